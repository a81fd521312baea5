// Reserved seating against real MariaDB + the shared Redis (own key prefix): seat-level I2
// under 1,000 concurrent overlapping holds, the fencing token in the database, and the SSE
// stream across two API instances sharing Redis and the database.
import { createSeatLock } from '@ticketing/seat-lock'
import { sharedRedis } from '@ticketing/testkit'
import type { FastifyInstance } from 'fastify'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createMysqlSeatingStore } from '../src/seating/adapters/mysql/store.js'
import { StaleHoldError, seatedReservation } from '../src/seating/model.js'
import { checkI1, type Harness, pool, post, startHarness } from './helpers.js'
import { openStream } from './sse-client.js'

const DATE = '2025-09-01T20:00:00'

async function seatedEvent(
  app: FastifyInstance,
  rows: { from: string; to: string },
  seats: { from: number; to: number },
) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/events',
    payload: { eventName: 'Seated', eventDate: DATE, seatMap: { rows, seats } },
  })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json().data.eventId as number
}

describe('reserved seating, production: I2 under 1,000 concurrent overlapping holds', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness('production', { DB_POOL_SIZE: '20' })
  })
  afterAll(async () => h?.close())

  it('never holds or sells a seat twice; every 409 names seats a winner holds', async () => {
    // 100 seats (A–J × 1–10); 1,000 buyers each want 1–4 adjacent seats of one row.
    const eventId = await seatedEvent(h.app, { from: 'A', to: 'J' }, { from: 1, to: 10 })
    const rows = 'ABCDEFGHIJ'
    const wants = Array.from({ length: 1000 }, (_, i) => {
      const row = rows[(i * 7) % 10]!
      const n = 1 + (i % 4)
      const start = 1 + ((i * 13) % (11 - n))
      return Array.from({ length: n }, (_, k) => `${row}-${start + k}`)
    })
    const results = await pool(1000, 100, async (i) => {
      const res = await h.app.inject({
        method: 'POST',
        url: `/api/events/${eventId}/holds`,
        payload: { seats: wants[i], userId: `buyer-${i}` },
      })
      return { i, status: res.statusCode, body: res.json() }
    })
    const winners = results.filter((r) => r.status === 201)
    const losers = results.filter((r) => r.status === 409)
    expect(winners.length + losers.length, JSON.stringify(results.find((r) => r.status >= 500)?.body)).toBe(
      1000,
    )
    expect(winners.length).toBeGreaterThan(0)
    // The requests really overlapped: most buyers lost.
    expect(losers.length).toBeGreaterThan(500)

    const owner = new Map<string, number>()
    for (const w of winners) {
      for (const seat of w.body.data.seats as string[]) {
        expect(owner.has(seat), `seat ${seat} held twice`).toBe(false)
        owner.set(seat, w.i)
      }
    }
    for (const l of losers) {
      expect(l.body.error.code).toBe('SEATS_UNAVAILABLE')
      const taken = l.body.error.seats as string[]
      expect(taken.length).toBeGreaterThan(0)
      // Exactly the taken seats: each one is in the request and held by a winner.
      for (const seat of taken) {
        expect(wants[l.i]).toContain(seat)
        expect(owner.has(seat), `409 named ${seat}, which nobody holds`).toBe(true)
      }
    }

    const map = (await h.app.inject({ method: 'GET', url: `/api/events/${eventId}/seats` })).json().data
    expect(map.counts.held).toBe(owner.size)

    // Confirm every winner concurrently: all commit, and the database agrees seat by seat.
    const confirms = await pool(winners.length, 50, async (k) => {
      const res = await h.app.inject({
        method: 'POST',
        url: `/api/holds/${winners[k]!.body.data.holdId}/confirm`,
      })
      return res.statusCode
    })
    expect(confirms.every((s) => s === 201)).toBe(true)
    const [sold] = await h.sql<{ n: number; d: number }>(
      'SELECT COUNT(*) AS n, COUNT(DISTINCT seat) AS d FROM seat_sales WHERE event_id = ?',
      [eventId],
    )
    expect(Number(sold!.n)).toBe(owner.size)
    expect(Number(sold!.d)).toBe(owner.size)
    await checkI1(h)
    const after = (await h.app.inject({ method: 'GET', url: `/api/events/${eventId}/seats` })).json().data
    expect(after.counts).toEqual({ available: 100 - owner.size, held: 0, sold: owner.size })
  })
})

describe('reserved seating, production: fencing and two instances', () => {
  let h: Harness
  let second: FastifyInstance
  let url2: string
  beforeAll(async () => {
    h = await startHarness('production', { HOLD_SEATS_TTL_MS: '1000' })
    await h.listen()
    second = await buildApp(loadConfig(h.env), { logger: false })
    url2 = await second.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(async () => {
    await second?.close()
    await h?.close()
  })

  it('a stale fencing token loses in the database, whatever Redis said', async () => {
    const eventId = await seatedEvent(h.app, { from: 'A', to: 'A' }, { from: 1, to: 3 })
    const redis = sharedRedis()
    const lock = createSeatLock({ redis, prefix: `${h.prefix}:lock` })
    const db = mysql.createPool({ uri: h.db!.url, connectionLimit: 2, timezone: 'Z' })
    try {
      const a = await post(`${h.url}/api/events/${eventId}/holds`, { seats: ['A-1'], userId: 'old' })
      expect(a.status).toBe(201)
      const stale = await lock.get(a.body.data.holdId)
      expect(stale).not.toBeNull()
      await new Promise((r) => setTimeout(r, 1200))
      // The seat went back on sale; a newer hold takes and buys it.
      const b = await post(`${h.url}/api/events/${eventId}/holds`, { seats: ['A-1'], userId: 'new' })
      expect(b.status).toBe(201)
      const fresh = await lock.get(b.body.data.holdId)
      expect(fresh!.token).toBeGreaterThan(stale!.token)
      expect((await post(`${h.url}/api/holds/${b.body.data.holdId}/confirm`, {})).status).toBe(201)

      // The old holder, paused past its TTL, now tries to commit with its token: the DB refuses.
      const store = createMysqlSeatingStore(db)
      await expect(
        store.commitHold({
          eventId,
          hold: { id: stale!.id, token: stale!.token, seats: ['A-1'], owner: 'old' },
          reservation: seatedReservation(
            { ...stale!, seats: ['A-1'] },
            '00000000-0000-4000-8000-000000000001',
            null,
            new Date(),
          ),
        }),
      ).rejects.toBeInstanceOf(StaleHoldError)
      const [rows] = await db.query(
        'SELECT r.user_id FROM seat_sales s JOIN reservations r ON r.id = s.reservation_id WHERE s.event_id = ?',
        [eventId],
      )
      expect(rows).toEqual([{ user_id: 'new' }])
      // Through the API the old hold is simply expired.
      const late = await post(`${h.url}/api/holds/${a.body.data.holdId}/confirm`, {})
      expect(late.status).toBe(409)
      expect(late.body.error.code).toBe('HOLD_EXPIRED')
      await checkI1(h)
    } finally {
      await db.end()
      redis.disconnect()
    }
  })

  it('SSE: a hold, a sale and an expiry on instance 1 reach a page on instance 2 within 1 s', async () => {
    const eventId = await seatedEvent(h.app, { from: 'A', to: 'B' }, { from: 1, to: 4 })
    const sse = await openStream(`${url2}/api/events/${eventId}/stream`)
    try {
      const snapshot = await sse.next('snapshot')
      expect(snapshot.data.counts.available).toBe(8)

      let t = Date.now()
      const held = await post(`${h.url}/api/events/${eventId}/holds`, {
        seats: ['A-1', 'A-2'],
        userId: 'ann',
      })
      expect(held.status).toBe(201)
      const c1 = await sse.next('change')
      expect(Date.now() - t).toBeLessThan(1000)
      expect(c1.data).toEqual({ eventId, changes: { 'A-1': 'held', 'A-2': 'held' } })

      t = Date.now()
      expect((await post(`${h.url}/api/holds/${held.body.data.holdId}/confirm`, {})).status).toBe(201)
      const c2 = await sse.next('change')
      expect(Date.now() - t).toBeLessThan(1000)
      expect(c2.data.changes).toEqual({ 'A-1': 'sold', 'A-2': 'sold' })

      const brief = await post(`${h.url}/api/events/${eventId}/holds`, { seats: ['B-4'], userId: 'bob' })
      expect((await sse.next('change')).data.changes).toEqual({ 'B-4': 'held' })
      const expiresAt = Date.parse(brief.body.data.expiresAt)
      const c3 = await sse.next('change', 3000)
      expect(c3.data.changes).toEqual({ 'B-4': 'available' })
      expect(Date.now() - expiresAt).toBeLessThan(1000)

      // Instance 2's own map agrees.
      const map = (await (await fetch(`${url2}/api/events/${eventId}/seats`)).json()) as {
        data: { counts: Record<string, number> }
      }
      expect(map.data.counts).toEqual({ available: 6, held: 0, sold: 2 })
    } finally {
      sse.close()
    }
  })
})
