// The waiting room in front of the sale (src/queue), in both modes with JWT on: queued and
// unqueued events, the admission token on the protected routes (missing, forged, expired, used,
// another event's or another buyer's), joins before the queue opens, and a sell-out while
// people wait, told to every waiter (polls and streams) within 2 s.
import { bearerFor } from '@ticketing/testkit'
import { createMemoryQueueStore, placeOnBoard, type ServingBoard } from '@ticketing/waiting-room'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import type { MetricName, Metrics } from '../src/infra/metrics/index.js'
import { createHealth } from '../src/queue/health.js'
import { createRoom } from '../src/queue/room.js'
import { deleteRedisPrefix, type Harness, MODES, startHarness } from './helpers.js'
import { openStream } from './sse-client.js'

const JWT_SECRET = 'queue-test-secret-long-enough'
const as = (sub: string, admin = false) => bearerFor(sub, { secret: JWT_SECRET, admin })
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString()

describe.each(MODES)('waiting room (%s mode, JWT on)', (mode) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(mode, { AUTH_MODE: 'jwt', JWT_SECRET })
    await h.listen()
  })
  afterAll(async () => h?.close())

  async function createEvent(totalSeats: number, queue?: Record<string, unknown>, extra = {}) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: as('ops', true),
      payload: { eventName: 'On-sale', totalSeats, eventDate: '2026-12-31T20:00:00', queue, ...extra },
    })
    expect(res.statusCode, res.body).toBe(201)
    return res.json().data as { eventId: number; queue?: Record<string, unknown> }
  }
  /** A queue open now, admitting fast (the default pace, 600/min, would make tests wait). */
  const openQueue = (over: Record<string, unknown> = {}) => ({
    opensAt: iso(-1000),
    startsAt: iso(-1000),
    admitPerMinute: 60_000,
    ...over,
  })
  const join = (eventId: number, buyer: string) =>
    h.app.inject({ method: 'POST', url: `/api/events/${eventId}/queue`, headers: as(buyer) })
  const poll = (eventId: number, ticket: string) =>
    h.app.inject({ method: 'GET', url: `/api/events/${eventId}/queue`, headers: { 'queue-ticket': ticket } })
  const reserve = (eventId: number, buyer: string, token?: string, quantity = 1) =>
    h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: { ...as(buyer), ...(token ? { 'admission-token': token } : {}) },
      payload: { eventId, userId: buyer, quantity },
    })
  /** Polls until the waiter is admitted; returns their status body. */
  async function admitted(eventId: number, ticket: string, withinMs = 5000) {
    const deadline = Date.now() + withinMs
    for (;;) {
      const body = (await poll(eventId, ticket)).json().data
      if (body.status === 'admitted') return body
      if (Date.now() > deadline) throw new Error(`not admitted: ${JSON.stringify(body)}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  it('only an admin sets a queue; the event answers with it; unqueued events are unchanged', async () => {
    const refused = await h.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: as('fan'),
      payload: { eventName: 'X', totalSeats: 5, eventDate: '2026-12-31T20:00:00', queue: openQueue() },
    })
    expect(refused.statusCode).toBe(403)
    expect(refused.json().error.code).toBe('FORBIDDEN')
    const backwards = await h.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: as('ops', true),
      payload: {
        eventName: 'X',
        totalSeats: 5,
        eventDate: '2026-12-31T20:00:00',
        queue: { opensAt: iso(1000), startsAt: iso(0) },
      },
    })
    expect(backwards.statusCode).toBe(400)
    expect(backwards.json().error.field).toBe('queue.startsAt')

    const queued = await createEvent(5, { opensAt: '2026-01-01T10:00:00Z', startsAt: '2026-01-01T10:30:00Z' })
    expect(queued.queue).toEqual({
      opensAt: '2026-01-01T10:00:00.000Z',
      startsAt: '2026-01-01T10:30:00.000Z',
      maxActiveBuyers: 1000,
      admitPerMinute: 600,
      turnSeconds: 600,
    })
    const read = await h.app.inject({ method: 'GET', url: `/api/events/${queued.eventId}` })
    expect(read.json().data.queue).toEqual(queued.queue)

    const plain = await createEvent(5)
    expect(plain).not.toHaveProperty('queue')
    expect(
      (await h.app.inject({ method: 'GET', url: `/api/events/${plain.eventId}` })).json().data,
    ).not.toHaveProperty('queue')
    // No token needed, and no queue to join.
    expect((await reserve(plain.eventId, 'fan')).statusCode).toBe(201)
    const noQueue = await join(plain.eventId, 'fan')
    expect(noQueue.statusCode).toBe(404)
    expect(noQueue.json().error.code).toBe('QUEUE_NOT_FOUND')
  })

  it('refuses joins before opensAt (425) and keeps early joiners in the pre-queue', async () => {
    const later = await createEvent(5, { opensAt: iso(60_000), startsAt: iso(120_000) })
    const early = await join(later.eventId, 'fan')
    expect(early.statusCode).toBe(425)
    expect(early.json().error).toMatchObject({ code: 'QUEUE_NOT_OPEN', opensAt: later.queue!.opensAt })

    const pre = await createEvent(5, { opensAt: iso(-1000), startsAt: iso(60_000) })
    const joined = await join(pre.eventId, 'fan')
    expect(joined.statusCode).toBe(201)
    expect(joined.json().data).toMatchObject({ status: 'pre_queue', startsAt: pre.queue!.startsAt })
    const again = await join(pre.eventId, 'fan')
    expect(again.statusCode).toBe(200)
    // Still no sale before the turn.
    const sale = await reserve(pre.eventId, 'fan')
    expect(sale.statusCode).toBe(403)
    expect(sale.json().error).toMatchObject({ code: 'QUEUE_REQUIRED', reason: 'missing' })
  })

  it('admits in turn; the token is checked (missing, forged, other buyer, other event, used, expired)', async () => {
    const { eventId } = await createEvent(10, openQueue({ maxActiveBuyers: 1 }))
    const other = await createEvent(10, openQueue())
    const a = (await join(eventId, 'ann')).json().data
    const b = (await join(eventId, 'bob')).json().data
    expect(a.ticket).not.toBe(b.ticket)
    // One place per buyer: joining again gives the same place.
    const again = await join(eventId, 'ann')
    expect(again.statusCode).toBe(200)

    const turn = await admitted(eventId, a.ticket)
    expect(turn.admissionToken).toEqual(expect.any(String))
    expect(Date.parse(turn.expiresAt)).toBeGreaterThan(Date.now())
    // maxActiveBuyers 1: bob waits while ann holds the turn.
    const waiting = (await poll(eventId, b.ticket)).json().data
    expect(waiting).toMatchObject({ status: 'waiting', position: 1 })

    const missing = await reserve(eventId, 'ann')
    expect(missing.json().error).toMatchObject({ code: 'QUEUE_REQUIRED', reason: 'missing' })
    // Forged: bob rewrites ann's token to name himself (the signature no longer matches).
    const [kind, payload, sig] = turn.admissionToken.split('.')
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const forged = `${kind}.${Buffer.from(JSON.stringify({ ...claims, visitorId: 'bob' })).toString('base64url')}.${sig}`
    const forgedRes = await reserve(eventId, 'bob', forged)
    expect(forgedRes.statusCode).toBe(403)
    expect(forgedRes.json().error).toMatchObject({ code: 'QUEUE_REQUIRED', reason: 'invalid' })
    const stolen = await reserve(eventId, 'bob', turn.admissionToken)
    expect(stolen.json().error).toMatchObject({ code: 'QUEUE_REQUIRED', reason: 'other_visitor' })
    const elsewhere = await reserve(other.eventId, 'ann', turn.admissionToken)
    expect(elsewhere.json().error).toMatchObject({ code: 'QUEUE_REQUIRED', reason: 'other_event' })

    const bought = await reserve(eventId, 'ann', turn.admissionToken, 2)
    expect(bought.statusCode, bought.body).toBe(201)
    expect((await poll(eventId, a.ticket)).json().data.status).toBe('completed')
    // The turn bought once.
    const reused = await reserve(eventId, 'ann', turn.admissionToken)
    expect(reused.json().error).toMatchObject({ code: 'ADMISSION_EXPIRED', reason: 'turn_ended' })
    // Ann's completed turn freed the only slot: bob is next.
    await admitted(eventId, b.ticket)

    // A turn of 1 s, not used in time.
    const short = await createEvent(10, openQueue({ turnSeconds: 1 }))
    const c = (await join(short.eventId, 'cal')).json().data
    const cTurn = await admitted(short.eventId, c.ticket)
    await new Promise((r) => setTimeout(r, Date.parse(cTurn.expiresAt) - Date.now() + 100))
    const late = await reserve(short.eventId, 'cal', cTurn.admissionToken)
    expect(late.statusCode).toBe(403)
    expect(late.json().error).toMatchObject({ code: 'ADMISSION_EXPIRED', reason: 'expired' })
  })

  it('a queue ticket is its holder’s: unknown, forged and left tickets', async () => {
    const { eventId } = await createEvent(10, openQueue())
    const none = await h.app.inject({ method: 'GET', url: `/api/events/${eventId}/queue` })
    expect(none.statusCode).toBe(404)
    expect(none.json().error.code).toBe('QUEUE_NOT_FOUND')
    const t = (await join(eventId, 'dee')).json().data.ticket as string
    const forged = await poll(eventId, `${t.slice(0, -2)}xx`)
    expect(forged.json().error.code).toBe('QUEUE_NOT_FOUND')
    // Someone else's ticket, presented with one's own token: refused; with the holder's: fine.
    const url = `/api/events/${eventId}/queue`
    const theirs = await h.app.inject({ method: 'GET', url, headers: { ...as('eli'), 'queue-ticket': t } })
    expect(theirs.statusCode).toBe(403)
    expect(theirs.json().error.code).toBe('FORBIDDEN')
    const own = await h.app.inject({ method: 'GET', url, headers: { ...as('dee'), 'queue-ticket': t } })
    expect(own.statusCode).toBe(200)
    const left = await h.app.inject({
      method: 'DELETE',
      url: `/api/events/${eventId}/queue?ticket=${encodeURIComponent(t)}`,
    })
    expect(left.statusCode).toBe(204)
    // Polls are answered from the cached state: 'left' once the controller passes the place.
    const deadline = Date.now() + 3000
    let status = ''
    while (status !== 'left' && Date.now() < deadline) {
      status = (await poll(eventId, t)).json().data.status
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(status).toBe('left')
  })

  it('tells every waiter of a sell-out within 2 s, by poll and by stream', async () => {
    const { eventId } = await createEvent(3, openQueue({ maxActiveBuyers: 1 }))
    const buyers = Array.from({ length: 8 }, (_, i) => `w${i}`)
    const tickets: string[] = []
    for (const b of buyers) tickets.push((await join(eventId, b)).json().data.ticket)
    const first = await admitted(eventId, tickets[0]!)
    const stream = await openStream(
      `${h.url}/api/events/${eventId}/queue/stream?ticket=${encodeURIComponent(tickets[5]!)}`,
    )
    const opening = await stream.next('position')
    expect(opening.data).toMatchObject({ status: 'waiting' })

    const sale = await reserve(eventId, 'w0', first.admissionToken, 3)
    expect(sale.statusCode, sale.body).toBe(201)
    const soldAt = Date.now()
    const told = await stream.next('sold_out', 2000)
    expect(told.data.status).toBe('sold_out')
    stream.close()
    // Every waiter's next poll says so, within 2 s of the sale.
    const pending = new Set(tickets.slice(1))
    while (pending.size > 0 && Date.now() - soldAt < 2000) {
      for (const t of pending)
        if ((await poll(eventId, t)).json().data.status === 'sold_out') pending.delete(t)
      await new Promise((r) => setTimeout(r, 50))
    }
    expect([...pending], 'waiters not told within 2 s').toEqual([])
    const newcomer = await join(eventId, 'late')
    expect(newcomer.statusCode).toBe(409)
    expect(newcomer.json().error.code).toBe('SOLD_OUT')
  })

  it('the board is public and cacheable; each waiter places itself on it where its poll says', async () => {
    const { eventId } = await createEvent(50, openQueue({ maxActiveBuyers: 2, admitPerMinute: 60 }))
    const joined = []
    for (const b of ['b0', 'b1', 'b2', 'b3', 'b4']) joined.push((await join(eventId, b)).json().data)
    expect(joined.map((j) => j.index)).toEqual([0, 1, 2, 3, 4])
    await admitted(eventId, joined[0].ticket)
    // No token, no ticket: the same document for everyone, a CDN may keep it for a second.
    const res = await h.app.inject({ method: 'GET', url: `/api/events/${eventId}/queue/board` })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['cache-control']).toBe('public, max-age=1')
    const board = res.json().data as ServingBoard
    expect(board).toMatchObject({ eventId: String(eventId), status: 'open', preCount: 0 })
    expect(res.body).not.toMatch(/"b\d"|ticket/)
    for (const j of joined) {
      const polled = (await poll(eventId, j.ticket)).json().data
      const place = placeOnBoard(board, j.index)
      if (polled.status === 'admitted') expect(place.status).toBe('turn')
      else expect(place).toMatchObject({ status: 'waiting', position: polled.position })
    }
    // Before the start: the board as answered (every field survives the response schema) sends
    // a pre-queue waiter back at the start, within the room's spread.
    const startsIn = 60_000
    const later = await createEvent(5, openQueue({ startsAt: iso(startsIn) }))
    const early = (await join(later.eventId, 'early')).json().data
    const pre = (
      await h.app.inject({ method: 'GET', url: `/api/events/${later.eventId}/queue/board` })
    ).json().data as ServingBoard
    expect(pre).toMatchObject({ status: 'pre_queue', preCount: null, shuffleKeys: null })
    expect(Object.keys(pre).sort()).toEqual([
      'admitPerMinute',
      'at',
      'eventId',
      'pollMs',
      'preCount',
      'served',
      'shuffleKeys',
      'startsAt',
      'status',
    ])
    expect(Object.keys(pre.pollMs).sort()).toEqual(['base', 'max', 'startSpread'])
    const wait = placeOnBoard(pre, early.index, Date.now(), () => 0.5)
    if (wait.status !== 'pre_queue') throw new Error(`expected pre_queue, got ${wait.status}`)
    expect(Number.isFinite(wait.readAfterMs)).toBe(true)
    expect(wait.readAfterMs).toBeGreaterThan(0)
    expect(wait.readAfterMs).toBeLessThanOrEqual(pre.pollMs.max)

    const unknown = await h.app.inject({ method: 'GET', url: '/api/events/999999/queue/board' })
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'EVENT_NOT_FOUND'])
    const plain = await createEvent(5)
    const none = await h.app.inject({ method: 'GET', url: `/api/events/${plain.eventId}/queue/board` })
    expect([none.statusCode, none.json().error.code]).toEqual([404, 'QUEUE_NOT_FOUND'])
  })

  it('seat holds of a queued seated event need the token; the confirmed hold completes the turn', async () => {
    const { eventId } = await createEvent(0, openQueue(), {
      totalSeats: undefined,
      seatMap: { rows: { from: 'A', to: 'A' }, seats: { from: 1, to: 4 } },
    })
    const hold = (buyer: string, token?: string) =>
      h.app.inject({
        method: 'POST',
        url: `/api/events/${eventId}/holds`,
        headers: { ...as(buyer), ...(token ? { 'admission-token': token } : {}) },
        payload: { seats: ['A-1', 'A-2'], userId: buyer },
      })
    expect((await hold('eve')).json().error.code).toBe('QUEUE_REQUIRED')
    const t = (await join(eventId, 'eve')).json().data.ticket
    const turn = await admitted(eventId, t)
    const held = await hold('eve', turn.admissionToken)
    expect(held.statusCode, held.body).toBe(201)
    const confirmed = await h.app.inject({
      method: 'POST',
      url: `/api/holds/${held.json().data.holdId}/confirm`,
      headers: { ...as('eve'), 'admission-token': turn.admissionToken },
    })
    expect(confirmed.statusCode, confirmed.body).toBe(201)
    expect((await poll(eventId, t)).json().data.status).toBe('completed')
  })
})

describe('waiting room across two production instances (shared Redis and database)', () => {
  let h: Harness
  let other: FastifyInstance
  beforeAll(async () => {
    h = await startHarness('production', { AUTH_MODE: 'jwt', JWT_SECRET })
    // Same environment: the same key prefix, database and JWT_SECRET (so the same token key).
    other = await buildApp(loadConfig(h.env), { logger: false })
  })
  afterAll(async () => {
    await other?.close()
    await h?.close()
  })

  it('joined on one instance, admitted and sold on the other; the first sees the turn completed', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: as('ops', true),
      payload: {
        eventName: 'Fleet',
        totalSeats: 5,
        eventDate: '2026-12-31T20:00:00',
        queue: { opensAt: iso(-1000), startsAt: iso(-1000), admitPerMinute: 60_000 },
      },
    })
    const eventId = created.json().data.eventId
    const ticket = (
      await h.app.inject({ method: 'POST', url: `/api/events/${eventId}/queue`, headers: as('fay') })
    ).json().data.ticket
    const deadline = Date.now() + 5000
    let body: { status: string; admissionToken?: string } = { status: '' }
    while (body.status !== 'admitted' && Date.now() < deadline) {
      body = (
        await other.inject({
          method: 'GET',
          url: `/api/events/${eventId}/queue`,
          headers: { 'queue-ticket': ticket },
        })
      ).json().data
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(body.status).toBe('admitted')
    const sale = await other.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: { ...as('fay'), 'admission-token': body.admissionToken! },
      payload: { eventId, userId: 'fay', quantity: 1 },
    })
    expect(sale.statusCode, sale.body).toBe(201)
    // The first instance answers polls from its cached view of the room, refreshed by its tick:
    // it learns of the completion within a second, not at once.
    let after = ''
    const until = Date.now() + 3000
    while (after !== 'completed' && Date.now() < until) {
      const poll = await h.app.inject({
        method: 'GET',
        url: `/api/events/${eventId}/queue`,
        headers: { 'queue-ticket': ticket },
      })
      after = poll.json().data.status
      if (after !== 'completed') await new Promise((r) => setTimeout(r, 100))
    }
    expect(after).toBe('completed')
  })

  it('re-opens a queue Redis lost from the event’s settings (kept in the database)', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: as('ops', true),
      payload: {
        eventName: 'Lost',
        totalSeats: 5,
        eventDate: '2026-12-31T20:00:00',
        queue: { opensAt: iso(-1000), startsAt: iso(60_000) },
      },
    })
    const eventId = created.json().data.eventId
    expect(await deleteRedisPrefix(`${h.prefix}:wr`)).toBeGreaterThan(0)
    const joined = await other.inject({
      method: 'POST',
      url: `/api/events/${eventId}/queue`,
      headers: as('gil'),
    })
    expect(joined.statusCode, joined.body).toBe(201)
    expect(joined.json().data).toMatchObject({
      status: 'pre_queue',
      startsAt: created.json().data.queue.startsAt,
    })
  })
})

describe('waiting-room polls and the rate limiter (embedded)', () => {
  let h: Harness
  // A tiny read budget (RATE_LIMIT_MAX=5 per minute, on in embedded mode only when set, and
  // per address × 1) shows that queue polls do not draw from it, while other reads do.
  beforeAll(async () => {
    h = await startHarness('embedded', { RATE_LIMIT_MAX: '5', RATE_LIMIT_ADDRESS_FACTOR: '1' })
  })
  afterAll(async () => h?.close())

  it('never refuses a waiter’s polls; other reads are limited', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/api/events',
      payload: {
        eventName: 'Limits',
        totalSeats: 5,
        eventDate: '2026-12-31T20:00:00',
        queue: { opensAt: iso(-1000), startsAt: iso(60_000) },
      },
    })
    const eventId = created.json().data.eventId
    const joined = await h.app.inject({ method: 'POST', url: `/api/events/${eventId}/queue?userId=gus` })
    expect(joined.statusCode, joined.body).toBe(201)
    const ticket = joined.json().data.ticket
    for (let i = 0; i < 30; i++) {
      const res = await h.app.inject({
        method: 'GET',
        url: `/api/events/${eventId}/queue`,
        headers: { 'queue-ticket': ticket },
      })
      expect(res.statusCode).toBe(200)
    }
    const reads = await Promise.all(
      Array.from({ length: 10 }, () => h.app.inject({ method: 'GET', url: `/api/events/${eventId}` })),
    )
    expect(reads.map((r) => r.statusCode)).toContain(429)
  })
})

describe('waiting-room metrics', () => {
  it('reports QueueLength, QueueAdmissions, QueueWait and QueueAbandonedTurns', async () => {
    const seen: Array<[MetricName, number]> = []
    const metrics: Metrics = {
      increment: (name, value = 1) => void seen.push([name, value]),
      observe: (name, value) => void seen.push([name, value]),
      flush: async () => {},
      close: async () => {},
    }
    const room = createRoom({
      ports: { store: createMemoryQueueStore() },
      metrics,
      log: { warn() {}, debug() {} },
      events: { get: async () => undefined, remaining: async () => 100 },
      options: { secret: 'metrics-test-secret-0123456789abcdef' },
    })
    await room.openEvent('1', { maxActiveBuyers: 1, admitPerMinute: 60_000, claimSeconds: 0.2 })
    const a = await room.join('1', 'a')
    await room.join('1', 'b')
    // The admission bucket fills with time (1,000/s here): give it a few ms.
    await new Promise((r) => setTimeout(r, 20))
    await room.tick('1')
    expect(seen).toContainEqual(['QueueLength', 1])
    expect(seen).toContainEqual(['QueueAdmissions', 1])
    await room.poll(a.queueTicket)
    expect(seen.some(([n, v]) => n === 'QueueWait' && v >= 0)).toBe(true)
    // b is admitted after a gives up, and never collects the turn: it lapses (abandoned).
    await room.leave(a.queueTicket)
    await room.tick('1')
    await new Promise((r) => setTimeout(r, 300))
    await room.tick('1')
    expect(seen).toContainEqual(['QueueAbandonedTurns', 1])
    await room.close()
  })
})

describe('waiting-room health signal', () => {
  it('a slow or failing sale path pauses admission; a quiet or healthy one does not', async () => {
    const room = createRoom({
      ports: { store: createMemoryQueueStore() },
      metrics: { increment() {}, observe() {}, flush: async () => {}, close: async () => {} },
      log: { warn() {}, debug() {} },
      events: { get: async () => undefined, remaining: async () => 100 },
      options: { secret: 'health-test-secret-0123456789abcdef' },
    })
    const health = createHealth(room, { warn() {} })
    await room.openEvent('1', { admitPerMinute: 60_000 })
    for (let i = 0; i < 19; i++) health.observe(3000, 201)
    expect(await health.report(), 'under 20 sales say nothing').toBeNull()
    health.observe(3000, 201)
    expect(await health.report()).toBe(0)
    const waiter = await room.join('1', 'w')
    expect(await room.poll(waiter.queueTicket)).toMatchObject({ status: 'waiting', paused: true })
    await room.tick('1')
    expect((await room.state('1', { fresh: true }))?.admittedTotal).toBe(0)

    // Healthy latencies, but 1 in 4 sales failing with 503: still paused (10 % pauses).
    const failing = createHealth(room, { warn() {} })
    for (let i = 0; i < 40; i++) failing.observe(10, i % 4 === 0 ? 503 : 201)
    expect(await failing.report()).toBe(0)
    const fresh = createHealth(room, { warn() {} })
    for (let i = 0; i < 40; i++) fresh.observe(10, 201)
    expect(await fresh.report()).toBe(1)
    await new Promise((r) => setTimeout(r, 20))
    await room.tick('1')
    expect((await room.state('1', { fresh: true }))?.admittedTotal).toBe(1)
    await room.close()
  })
})
