// Reserved seating, the same suite in both modes: seat maps on POST /api/events, holds,
// confirm, release, expiry, seated cancellation, and the guards around the GA path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, MODES, startHarness } from './helpers.js'
import { openStream } from './sse-client.js'

const DATE = '2025-07-01T20:00:00'

describe.each(MODES)('reserved seating (%s)', (mode) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(mode, { HOLD_SEATS_TTL_MS: '1000', MAX_SEATS_PER_HOLD: '4' })
  })
  afterAll(async () => h?.close())

  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    h.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) })

  async function seatedEvent(rows = { from: 'A', to: 'C' }, seats = { from: 1, to: 4 }) {
    const res = await inject('POST', '/api/events', {
      eventName: 'Seated',
      eventDate: DATE,
      seatMap: { rows, seats },
    })
    expect(res.statusCode, res.body).toBe(201)
    return res.json().data as { eventId: number; totalSeats: number; availableSeats: number }
  }
  const stateOf = async (eventId: number) => {
    const res = await inject('GET', `/api/events/${eventId}/seats`)
    expect(res.statusCode, res.body).toBe(200)
    const data = res.json().data
    const states: Record<string, string> = {}
    for (const s of data.sections)
      for (const r of s.rows) for (const seat of r.seats) states[seat.id] = seat.state
    return { data, states }
  }

  it('derives totalSeats from a compact seat map; GA events are unchanged', async () => {
    const e = await seatedEvent()
    expect(e.totalSeats).toBe(12)
    expect(e.availableSeats).toBe(12)
    const { data, states } = await stateOf(e.eventId)
    expect(data.counts).toEqual({ available: 12, held: 0, sold: 0 })
    expect(Object.keys(states)).toContain('C-4')
    const ga = await inject('POST', '/api/events', { eventName: 'GA', totalSeats: 5, eventDate: DATE })
    expect(ga.statusCode).toBe(201)
    const seats = await inject('GET', `/api/events/${ga.json().data.eventId}/seats`)
    expect(seats.statusCode).toBe(409)
    expect(seats.json().error.code).toBe('NOT_SEATED')
  })

  it('accepts the explicit sections form and rejects a mismatching totalSeats', async () => {
    const seatMap = {
      sections: [
        { name: 'Floor', rows: [{ name: 'A', seats: ['1', '2', '3'] }] },
        { name: 'Balcony', rows: [{ name: 'A', seats: ['1', '2'] }] },
      ],
    }
    const ok = await inject('POST', '/api/events', { eventName: 'S', eventDate: DATE, seatMap })
    expect(ok.statusCode, ok.body).toBe(201)
    expect(ok.json().data.totalSeats).toBe(5)
    const { states } = await stateOf(ok.json().data.eventId)
    expect(Object.keys(states).sort()).toEqual([
      'Balcony:A-1',
      'Balcony:A-2',
      'Floor:A-1',
      'Floor:A-2',
      'Floor:A-3',
    ])
    const bad = await inject('POST', '/api/events', {
      eventName: 'S',
      eventDate: DATE,
      totalSeats: 9,
      seatMap,
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.field).toBe('totalSeats')
    const none = await inject('POST', '/api/events', { eventName: 'S', eventDate: DATE })
    expect(none.statusCode).toBe(400)
  })

  it('holds all-or-nothing; a conflict names exactly the taken seats; confirm sells them', async () => {
    const e = await seatedEvent()
    const a = await inject('POST', `/api/events/${e.eventId}/holds`, { seats: ['A-1', 'A-2'], userId: 'ann' })
    expect(a.statusCode, a.body).toBe(201)
    const hold = a.json().data
    expect(hold.seats).toEqual(['A-1', 'A-2'])
    expect(Date.parse(hold.expiresAt)).toBeGreaterThan(Date.now())

    const b = await inject('POST', `/api/events/${e.eventId}/holds`, { seats: ['A-2', 'A-3'], userId: 'bob' })
    expect(b.statusCode).toBe(409)
    expect(b.json().error).toMatchObject({ code: 'SEATS_UNAVAILABLE', seats: ['A-2'] })
    // All-or-nothing: A-3 was not held by the refused request.
    expect((await stateOf(e.eventId)).states['A-3']).toBe('available')
    expect((await stateOf(e.eventId)).states['A-1']).toBe('held')

    // A retried hold (lost answer) gets the same hold back, not a 409 against itself.
    const retry = await inject('POST', `/api/events/${e.eventId}/holds`, {
      seats: ['A-2', 'A-1'],
      userId: 'ann',
    })
    expect(retry.statusCode).toBe(200)
    expect(retry.json().data.holdId).toBe(hold.holdId)

    const c = await inject('POST', `/api/holds/${hold.holdId}/confirm`)
    expect(c.statusCode, c.body).toBe(201)
    expect(c.json().data).toMatchObject({
      eventId: e.eventId,
      userId: 'ann',
      quantity: 2,
      seats: ['A-1', 'A-2'],
    })
    const again = await inject('POST', `/api/holds/${hold.holdId}/confirm`)
    expect(again.statusCode).toBe(200)
    expect(again.json().data.reservationId).toBe(c.json().data.reservationId)

    const { states } = await stateOf(e.eventId)
    expect(states['A-1']).toBe('sold')
    expect(states['A-2']).toBe('sold')
    const event = (await inject('GET', `/api/events/${e.eventId}`)).json().data
    expect(event.availableSeats).toBe(10)

    // The seats stay taken after the hold's TTL: sold is sold.
    await new Promise((r) => setTimeout(r, 1200))
    const late = await inject('POST', `/api/events/${e.eventId}/holds`, { seats: ['A-1'], userId: 'cid' })
    expect(late.statusCode).toBe(409)
    expect(late.json().error.seats).toEqual(['A-1'])
  })

  it('expiry returns the seats on their own; a confirm after expiry is 409', async () => {
    const e = await seatedEvent()
    const a = await inject('POST', `/api/events/${e.eventId}/holds`, { seats: ['B-1', 'B-2'], userId: 'ann' })
    expect(a.statusCode).toBe(201)
    expect((await stateOf(e.eventId)).states['B-1']).toBe('held')
    await new Promise((r) => setTimeout(r, 1300))
    const { states, data } = await stateOf(e.eventId)
    expect(states['B-1']).toBe('available')
    expect(data.counts.held).toBe(0)
    const late = await inject('POST', `/api/holds/${a.json().data.holdId}/confirm`)
    expect(late.statusCode).toBe(409)
    expect(late.json().error.code).toBe('HOLD_EXPIRED')
    const b = await inject('POST', `/api/events/${e.eventId}/holds`, { seats: ['B-1'], userId: 'bob' })
    expect(b.statusCode).toBe(201)
  })

  it('release puts the seats back at once; releasing twice is 404', async () => {
    const e = await seatedEvent()
    const a = await inject('POST', `/api/events/${e.eventId}/holds`, { seats: ['C-1'], userId: 'ann' })
    const holdId = a.json().data.holdId
    const r = await inject('DELETE', `/api/holds/${holdId}`)
    expect(r.statusCode, r.body).toBe(200)
    expect(r.json().data).toMatchObject({ released: true, seats: ['C-1'] })
    expect((await stateOf(e.eventId)).states['C-1']).toBe('available')
    expect((await inject('DELETE', `/api/holds/${holdId}`)).statusCode).toBe(404)
    expect((await inject('POST', `/api/holds/${holdId}/confirm`)).statusCode).toBe(409)
  })

  it('validates seats and applies per-user limits', async () => {
    const e = await seatedEvent()
    const unknown = await inject('POST', `/api/events/${e.eventId}/holds`, { seats: ['Z-9'], userId: 'ann' })
    expect(unknown.statusCode).toBe(400)
    const tooMany = await inject('POST', `/api/events/${e.eventId}/holds`, {
      seats: ['A-1', 'A-2', 'A-3', 'A-4', 'B-1'],
      userId: 'ann',
    })
    expect(tooMany.statusCode).toBe(400)
    const first = await inject('POST', `/api/events/${e.eventId}/holds`, {
      seats: ['A-1', 'A-2', 'A-3'],
      userId: 'ann',
    })
    expect(first.statusCode).toBe(201)
    const over = await inject('POST', `/api/events/${e.eventId}/holds`, {
      seats: ['B-1', 'B-2'],
      userId: 'ann',
    })
    expect(over.statusCode).toBe(409)
    expect(over.json().error).toMatchObject({ code: 'TICKET_LIMIT_EXCEEDED', limit: 4, alreadyHeld: 3 })
    // Another buyer is not affected; a released hold no longer counts; nor does an expired one.
    expect(
      (await inject('POST', `/api/events/${e.eventId}/holds`, { seats: ['C-1'], userId: 'bob' })).statusCode,
    ).toBe(201)
    await inject('DELETE', `/api/holds/${first.json().data.holdId}`)
    const four = ['B-1', 'B-2', 'B-3', 'B-4']
    expect(
      (await inject('POST', `/api/events/${e.eventId}/holds`, { seats: four, userId: 'ann' })).statusCode,
    ).toBe(201)
    await new Promise((r) => setTimeout(r, 1400))
    expect(
      (await inject('POST', `/api/events/${e.eventId}/holds`, { seats: ['A-4'], userId: 'ann' })).statusCode,
    ).toBe(201)
  })

  it('refuses quantity reservations on seated events; cancelling returns exactly the seats', async () => {
    const e = await seatedEvent()
    const ga = await inject('POST', '/api/reservations', { eventId: e.eventId, userId: 'ann', quantity: 1 })
    expect(ga.statusCode).toBe(409)
    expect(ga.json().error.code).toBe('SEATED_EVENT')

    const a = await inject('POST', `/api/events/${e.eventId}/holds`, { seats: ['A-3', 'B-3'], userId: 'ann' })
    const c = await inject('POST', `/api/holds/${a.json().data.holdId}/confirm`)
    expect(c.statusCode).toBe(201)
    const other = await inject('POST', `/api/events/${e.eventId}/holds`, { seats: ['A-4'], userId: 'bob' })
    await inject('POST', `/api/holds/${other.json().data.holdId}/confirm`)

    const cancel = await inject('DELETE', `/api/reservations/${c.json().data.reservationId}`)
    expect(cancel.statusCode, cancel.body).toBe(200)
    expect(cancel.json().data.status).toBe('CANCELLED')
    const { states } = await stateOf(e.eventId)
    expect(states['A-3']).toBe('available')
    expect(states['B-3']).toBe('available')
    expect(states['A-4']).toBe('sold')
    expect((await inject('GET', `/api/events/${e.eventId}`)).json().data.availableSeats).toBe(11)
    expect((await inject('DELETE', `/api/reservations/${c.json().data.reservationId}`)).statusCode).toBe(409)
    // The freed seats can be held and sold again.
    const again = await inject('POST', `/api/events/${e.eventId}/holds`, { seats: ['A-3'], userId: 'cid' })
    expect(again.statusCode).toBe(201)
    expect((await inject('POST', `/api/holds/${again.json().data.holdId}/confirm`)).statusCode).toBe(201)
  })

  it('streams a snapshot, then every change (hold, release, sale) as Server-Sent Events', async () => {
    const e = await seatedEvent()
    const base = await h.listen()
    const sse = await openStream(`${base}/api/events/${e.eventId}/stream`)
    try {
      expect((await sse.next('snapshot')).data.counts.available).toBe(12)
      const a = await inject('POST', `/api/events/${e.eventId}/holds`, {
        seats: ['C-3', 'C-4'],
        userId: 'ann',
      })
      expect((await sse.next('change')).data).toEqual({
        eventId: e.eventId,
        changes: { 'C-3': 'held', 'C-4': 'held' },
      })
      await inject('DELETE', `/api/holds/${a.json().data.holdId}`)
      expect((await sse.next('change')).data.changes).toEqual({ 'C-3': 'available', 'C-4': 'available' })
      const b = await inject('POST', `/api/events/${e.eventId}/holds`, { seats: ['C-3'], userId: 'bob' })
      await sse.next('change')
      await inject('POST', `/api/holds/${b.json().data.holdId}/confirm`)
      expect((await sse.next('change')).data.changes).toEqual({ 'C-3': 'sold' })
    } finally {
      sse.close()
    }
    const ga = await inject('POST', '/api/events', { eventName: 'GA', totalSeats: 5, eventDate: DATE })
    const refused = await fetch(`${base}/api/events/${ga.json().data.eventId}/stream`)
    expect(refused.status).toBe(409)
  })

  it('serves the page at /', async () => {
    const res = await inject('GET', '/')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(res.body).toContain('<main')
  })
})
