// The API contract, run unchanged against both compositions (fastify.inject).
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkI1, createEvent, type Harness, MODES, startHarness } from './helpers.js'

describe.each(MODES)('contract (%s)', (mode) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(mode)
  })
  afterAll(async () => {
    await h?.close()
  })
  const inject = (opts: InjectOptions) => h.app.inject(opts)

  it("serves the seed's curl examples (section 5.1)", async () => {
    const health = await inject({ method: 'GET', url: '/api/health' })
    expect(health.statusCode).toBe(200)
    expect(health.json()).toMatchObject({ status: 'UP', database: 'connected', redis: 'connected' })
    expect(typeof health.json().timestamp).toBe('string')

    const created = await inject({
      method: 'POST',
      url: '/api/events',
      payload: { eventName: 'IU 콘서트', totalSeats: 10000, eventDate: '2024-12-31T19:00:00' },
    })
    expect(created.statusCode).toBe(201)
    const event = created.json()
    expect(event).toMatchObject({
      success: true,
      message: 'Event created successfully',
      data: {
        eventName: 'IU 콘서트',
        totalSeats: 10000,
        availableSeats: 10000,
        eventDate: '2024-12-31T19:00:00',
      },
    })
    const eventId = event.data.eventId as number
    expect(Number.isInteger(eventId)).toBe(true)

    const list = await inject({ method: 'GET', url: '/api/events' })
    expect(list.statusCode).toBe(200)
    expect(list.json().data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ eventId, eventName: 'IU 콘서트', availableSeats: 10000 }),
      ]),
    )

    const reserved = await inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { eventId, userId: 'user123', quantity: 2 },
    })
    expect(reserved.statusCode).toBe(201)
    const r = reserved.json()
    expect(r).toMatchObject({
      success: true,
      message: 'Reservation successful',
      data: { eventId, userId: 'user123', quantity: 2 },
    })
    expect(r.data.reservationId).toMatch(/^[0-9a-f-]{36}$/)
    expect(Number.isNaN(Date.parse(r.data.reservationTime))).toBe(false)

    const mine = await inject({ method: 'GET', url: '/api/reservations/user/user123' })
    expect(mine.json()).toMatchObject({
      success: true,
      data: [{ reservationId: r.data.reservationId, eventName: 'IU 콘서트', quantity: 2 }],
    })

    const one = await inject({ method: 'GET', url: `/api/events/${eventId}` })
    expect(one.json().data).toMatchObject({ eventId, availableSeats: 9998 })
    const byId = await inject({ method: 'GET', url: `/api/reservations/${r.data.reservationId}` })
    expect(byId.json().data).toMatchObject({ status: 'CONFIRMED', quantity: 2 })
    if (mode === 'production') await checkI1(h)
  })

  it('answers 409 SOLD_OUT / INSUFFICIENT_SEATS with what remains', async () => {
    const eventId = await createEvent(h.app, 3)
    const ok = await inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { eventId, userId: 'a', quantity: 2 },
    })
    expect(ok.statusCode).toBe(201)
    const tooMany = await inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { eventId, userId: 'b', quantity: 2 },
    })
    expect(tooMany.statusCode).toBe(409)
    expect(tooMany.json()).toMatchObject({
      success: false,
      error: { code: 'INSUFFICIENT_SEATS', availableSeats: 1 },
    })
    await inject({ method: 'POST', url: '/api/reservations', payload: { eventId, userId: 'c', quantity: 1 } })
    const sold = await inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { eventId, userId: 'd', quantity: 1 },
    })
    expect(sold.statusCode).toBe(409)
    expect(sold.json()).toMatchObject({ success: false, error: { code: 'SOLD_OUT', availableSeats: 0 } })
    const available = await inject({ method: 'GET', url: '/api/events/available?size=100' })
    expect(available.json().data.map((e: { eventId: number }) => e.eventId)).not.toContain(eventId)
    if (mode === 'production') await checkI1(h)
  })

  it('cancels exactly once: the seats come back once, a second cancel is 409', async () => {
    const eventId = await createEvent(h.app, 5)
    const r = await inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { eventId, userId: 'u', quantity: 5 },
    })
    const id = r.json().data.reservationId
    const [first, second] = await Promise.all([
      inject({ method: 'DELETE', url: `/api/reservations/${id}` }),
      inject({ method: 'DELETE', url: `/api/reservations/${id}` }),
    ])
    expect([first!.statusCode, second!.statusCode].sort()).toEqual([200, 409])
    const loser = first!.statusCode === 409 ? first! : second!
    expect(loser.json().error.code).toBe('ALREADY_CANCELLED')
    const third = await inject({ method: 'DELETE', url: `/api/reservations/${id}` })
    expect(third.statusCode).toBe(409)
    const event = await inject({ method: 'GET', url: `/api/events/${eventId}` })
    expect(event.json().data.availableSeats).toBe(5)
    // The returned seats are on sale again, exactly 5 of them.
    const again = await inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { eventId, userId: 'v', quantity: 5 },
    })
    expect(again.statusCode).toBe(201)
    const none = await inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { eventId, userId: 'w', quantity: 1 },
    })
    expect(none.json().error.code).toBe('SOLD_OUT')
    const got = await inject({ method: 'GET', url: `/api/reservations/${id}` })
    expect(got.json().data.status).toBe('CANCELLED')
    if (mode === 'production') await checkI1(h)
  })

  it('Idempotency-Key: same body replays the first answer, also concurrently; a different body is 422', async () => {
    const eventId = await createEvent(h.app, 10)
    const send = (key: string, quantity: number) =>
      inject({
        method: 'POST',
        url: '/api/reservations',
        headers: { 'idempotency-key': key },
        payload: { eventId, userId: 'idem', quantity },
      })
    const results = await Promise.all(Array.from({ length: 8 }, () => send('k-1', 2)))
    const ids = new Set(results.map((r) => r.json().data?.reservationId))
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(201))
    expect(ids.size).toBe(1)
    const later = await send('k-1', 2)
    expect(later.statusCode).toBe(201)
    expect(later.headers['idempotent-replayed']).toBe('true')
    expect(later.json().data.reservationId).toBe([...ids][0])
    const reused = await send('k-1', 3)
    expect(reused.statusCode).toBe(422)
    expect(reused.json().error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    const event = await inject({ method: 'GET', url: `/api/events/${eventId}` })
    expect(event.json().data.availableSeats).toBe(8)

    // A failed first attempt (sold out) is not stored: the retry runs again.
    const big = await send('k-2', 20)
    expect(big.statusCode).toBe(409)
    expect((await send('k-2', 20)).statusCode).toBe(409)

    const ev1 = await inject({
      method: 'POST',
      url: '/api/events',
      headers: { 'idempotency-key': 'e-1' },
      payload: { eventName: 'Once', totalSeats: 5, eventDate: '2025-01-01T10:00:00' },
    })
    const ev2 = await inject({
      method: 'POST',
      url: '/api/events',
      headers: { 'idempotency-key': 'e-1' },
      payload: { eventName: 'Once', totalSeats: 5, eventDate: '2025-01-01T10:00:00' },
    })
    expect(ev1.statusCode).toBe(201)
    expect(ev2.statusCode).toBe(201)
    expect(ev2.json().data.eventId).toBe(ev1.json().data.eventId)
    if (mode === 'production') {
      await checkI1(h)
      const [row] = await h.sql<{ n: number }>(
        "SELECT COUNT(*) AS n FROM reservations WHERE user_id = 'idem'",
      )
      expect(Number(row!.n)).toBe(1)
    }
  })

  it('enforces the per-user ticket limit without races', async () => {
    const eventId = await createEvent(h.app, 100, { maxTicketsPerUser: 4 })
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        inject({
          method: 'POST',
          url: '/api/reservations',
          payload: { eventId, userId: 'greedy', quantity: 1 },
        }),
      ),
    )
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(4)
    const refused = results.filter((r) => r.statusCode === 409)
    expect(refused).toHaveLength(6)
    expect(refused[0]!.json().error.code).toBe('TICKET_LIMIT_EXCEEDED')
    const tooBig = await inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { eventId, userId: 'other', quantity: 5 },
    })
    expect(tooBig.statusCode).toBe(400)
    expect(tooBig.json().error).toMatchObject({ code: 'E_VALIDATION', field: 'quantity' })
    const other = await inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { eventId, userId: 'other', quantity: 4 },
    })
    expect(other.statusCode).toBe(201)
    // Cancelling frees the buyer's allowance.
    const first = results.find((r) => r.statusCode === 201)!.json().data.reservationId
    expect((await inject({ method: 'DELETE', url: `/api/reservations/${first}` })).statusCode).toBe(200)
    const back = await inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { eventId, userId: 'greedy', quantity: 1 },
    })
    expect(back.statusCode).toBe(201)
  })

  it.each([
    ['wrong type', { eventId: 1, userId: 'x', quantity: '2' }, 'quantity'],
    ['zero quantity', { eventId: 1, userId: 'x', quantity: 0 }, 'quantity'],
    ['absurd quantity', { eventId: 1, userId: 'x', quantity: 1_000_000 }, 'quantity'],
    ['fractional', { eventId: 1, userId: 'x', quantity: 1.5 }, 'quantity'],
    ['unknown field', { eventId: 1, userId: 'x', quantity: 1, admin: true }, 'admin'],
    ['missing field', { eventId: 1, quantity: 1 }, 'userId'],
    ['negative id', { eventId: -1, userId: 'x', quantity: 1 }, 'eventId'],
    ['empty user', { eventId: 1, userId: '', quantity: 1 }, 'userId'],
  ])('400 E_VALIDATION for %s', async (_name, payload, field) => {
    const res = await inject({ method: 'POST', url: '/api/reservations', payload })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ success: false, error: { code: 'E_VALIDATION', field } })
  })

  it.each([
    ['bad date', { eventName: 'x', totalSeats: 1, eventDate: '2024-13-01T00:00:00' }, 'eventDate'],
    ['impossible date', { eventName: 'x', totalSeats: 1, eventDate: '2024-02-30T10:00:00' }, 'eventDate'],
    ['no seats', { eventName: 'x', totalSeats: 0, eventDate: '2024-12-31T19:00:00' }, 'totalSeats'],
    ['seats as string', { eventName: 'x', totalSeats: '10', eventDate: '2024-12-31T19:00:00' }, 'totalSeats'],
    [
      'long name',
      { eventName: 'x'.repeat(201), totalSeats: 1, eventDate: '2024-12-31T19:00:00' },
      'eventName',
    ],
  ])('400 E_VALIDATION on events for %s', async (_name, payload, field) => {
    const res = await inject({ method: 'POST', url: '/api/events', payload })
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toMatchObject({ code: 'E_VALIDATION', field })
  })

  it('400 for malformed JSON, oversized and missing bodies; 404 in the envelope; never a 5xx', async () => {
    const cases = [
      {
        method: 'POST',
        url: '/api/reservations',
        headers: { 'content-type': 'application/json' },
        payload: '{"eventId":',
      },
      {
        method: 'POST',
        url: '/api/reservations',
        headers: { 'content-type': 'application/json' },
        payload: 'x'.repeat(100_000),
      },
      {
        method: 'POST',
        url: '/api/reservations',
        headers: { 'content-type': 'application/json' },
        payload: '',
      },
      {
        method: 'POST',
        url: '/api/reservations',
        headers: { 'content-type': 'application/json' },
        payload: '[]',
      },
      {
        method: 'POST',
        url: '/api/reservations',
        headers: { 'content-type': 'application/json' },
        payload: 'null',
      },
    ] as const
    for (const c of cases) {
      const res = await inject(c as never)
      expect(res.statusCode, c.payload.slice(0, 20)).toBe(400)
      expect(res.json()).toMatchObject({ success: false, error: { code: 'E_VALIDATION' } })
    }
    const notFound = [
      ['GET', '/api/events/999999', 'EVENT_NOT_FOUND'],
      ['GET', '/api/reservations/00000000-0000-4000-8000-000000000000', 'RESERVATION_NOT_FOUND'],
      ['DELETE', '/api/reservations/00000000-0000-4000-8000-000000000000', 'RESERVATION_NOT_FOUND'],
      ['GET', '/api/nothing-here', 'NOT_FOUND'],
    ] as const
    for (const [method, url, code] of notFound) {
      const res = await inject({ method, url })
      expect(res.statusCode, url).toBe(404)
      expect(res.json()).toMatchObject({ success: false, error: { code } })
    }
    // Router errors raised before any route runs get the envelope too.
    const longParam = await inject({ method: 'GET', url: `/api/reservations/${'a'.repeat(10_000)}` })
    expect(longParam.statusCode).toBe(414)
    expect(longParam.json()).toMatchObject({ success: false, error: { code: 'URI_TOO_LONG' } })
    const badUrl = await inject({ method: 'GET', url: '/api/events/%E0%A4%A' })
    expect(badUrl.statusCode).toBe(400)
    expect(badUrl.json()).toMatchObject({ success: false, error: { code: 'E_VALIDATION' } })
    const unknownEvent = await inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { eventId: 987654, userId: 'x', quantity: 1 },
    })
    expect(unknownEvent.statusCode).toBe(404)
    expect(unknownEvent.json().error.code).toBe('EVENT_NOT_FOUND')
    for (const url of [
      '/api/events/abc',
      '/api/events/1e3',
      '/api/reservations/not-a-uuid',
      '/api/events?page=-1',
    ]) {
      const res = await inject({ method: 'GET', url })
      expect(res.statusCode, url).toBe(400)
      expect(res.json().error.code).toBe('E_VALIDATION')
    }
    const wrongType = await inject({
      method: 'POST',
      url: '/api/reservations',
      headers: { 'content-type': 'application/xml' },
      payload: 'hello',
    })
    expect(wrongType.statusCode).toBe(415)
    expect(wrongType.json().success).toBe(false)
  })

  it('publishes the OpenAPI document and the UI', async () => {
    const doc = await inject({ method: 'GET', url: '/docs/json' })
    expect(doc.statusCode).toBe(200)
    const paths = Object.keys(doc.json().paths)
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/health',
        '/api/events',
        '/api/events/available',
        '/api/events/{eventId}',
        '/api/reservations',
        '/api/reservations/{reservationId}',
        '/api/reservations/user/{userId}',
      ]),
    )
    expect((await inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400)
    expect((await inject({ method: 'GET', url: '/api/health/live' })).json().status).toBe('UP')
  })

  it('paginates event lists', async () => {
    for (let i = 0; i < 3; i++) await createEvent(h.app, 1)
    const p = await inject({ method: 'GET', url: '/api/events?page=0&size=2' })
    expect(p.json().data).toHaveLength(2)
    expect(p.json().page).toMatchObject({ page: 0, size: 2 })
    expect(p.json().page.total).toBeGreaterThanOrEqual(3)
    expect((await inject({ method: 'GET', url: '/api/events?size=0' })).statusCode).toBe(400)
  })
})
