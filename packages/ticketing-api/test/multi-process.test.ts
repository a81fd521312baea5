// Three API processes (node dist/server.js) on different ports sharing one MariaDB database and
// the shared Redis (own key prefix); buyers are spread across them. I1–I5 must hold.
import { existsSync } from 'node:fs'
import {
  createTestDatabase,
  type Spawned,
  type TestDatabase,
  uniquePrefix,
  waitFor,
} from '@ticketing/testkit'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteRedisPrefix, pool, post, serverEntry, spawnApi } from './helpers.js'

describe.skipIf(!existsSync(serverEntry))(
  'three processes, one Redis + MariaDB (needs `npm run build`)',
  () => {
    let db: TestDatabase
    let prefix: string
    let sql: mysql.Pool
    const procs: Spawned[] = []
    const urls: string[] = []

    beforeAll(async () => {
      db = await createTestDatabase(undefined, 'mp')
      prefix = uniquePrefix('mp')
      const started = await Promise.all([0, 1, 2].map(() => spawnApi(db.url, prefix, { DB_POOL_SIZE: '10' })))
      for (const { proc, url } of started) {
        procs.push(proc)
        urls.push(url)
      }
      sql = mysql.createPool({ uri: db.url, connectionLimit: 2 })
    })

    afterAll(async () => {
      await Promise.all(procs.map((p) => p.stop()))
      await sql?.end()
      if (prefix) await deleteRedisPrefix(prefix)
      await db?.drop()
    })

    it('I1–I5 hold with buyers spread over three instances', async () => {
      const created = await post(`${urls[0]}/api/events`, {
        eventName: 'Three',
        totalSeats: 200,
        eventDate: '2025-06-01T20:00:00',
      })
      expect(created.status).toBe(201)
      const eventId = created.body.data.eventId as number

      // 700 requests: 500 distinct buyers (1–2 tickets) + 100 buyers who send the same
      // Idempotency-Key twice, to two different instances, at the same time.
      const results = await pool(600, 60, async (i) => {
        const body = { eventId, userId: `buyer${i}`, quantity: 1 + (i % 2) }
        if (i < 100) {
          const key = { 'idempotency-key': `dup-${i}` }
          const [a, b] = await Promise.all([
            post(`${urls[i % 3]}/api/reservations`, body, key),
            post(`${urls[(i + 1) % 3]}/api/reservations`, body, key),
          ])
          // I4: the duplicate gets the first answer, never a second sale.
          expect(a.status).toBe(b.status)
          if (a.status === 201) expect(b.body.data.reservationId).toBe(a.body.data.reservationId)
          return a
        }
        return post(`${urls[i % 3]}/api/reservations`, body)
      })
      for (const r of results)
        expect(
          [201, 409],
          JSON.stringify(r.body) + procs.map((p) => p.output().slice(-1500)).join('\n'),
        ).toContain(r.status)
      const ok = results.filter((r) => r.status === 201)
      const sold = ok.reduce((n, r) => n + (r.body.data.quantity as number), 0)

      const [[event]] = (await sql.query('SELECT total_seats, available_seats FROM events WHERE id = ?', [
        eventId,
      ])) as unknown as [[{ total_seats: number; available_seats: number }]]
      const [rows] = (await sql.query(
        "SELECT id, user_id, quantity FROM reservations WHERE event_id = ? AND status = 'CONFIRMED'",
        [eventId],
      )) as unknown as [Array<{ id: string; user_id: string; quantity: number }>]
      const dbSold = rows.reduce((n, r) => n + r.quantity, 0)
      // I1
      expect(dbSold + event.available_seats).toBe(event.total_seats)
      // I2/I3: every acknowledged reservation is exactly one committed row, none extra.
      expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ok.map((r) => r.body.data.reservationId)))
      expect(dbSold).toBe(sold)
      // I5: demand (≈900 tickets) far exceeds supply, so nobody was refused while seats remained.
      // One seat may stay unsold when only 2-ticket requests were left for the last seat.
      expect(event.available_seats).toBeLessThanOrEqual(1)
      for (const r of results.filter((x) => x.status === 409)) {
        expect(['SOLD_OUT', 'INSUFFICIENT_SEATS']).toContain(r.body.error.code)
        expect(r.body.error.availableSeats).toBeLessThan(r.body.error.requested)
      }

      // Cancel through another instance: the seats come back once, visible on every instance.
      const victim = ok[0]!.body.data
      const del = await fetch(`${urls[2]}/api/reservations/${victim.reservationId}`, { method: 'DELETE' })
      expect(del.status).toBe(200)
      const again = await fetch(`${urls[1]}/api/reservations/${victim.reservationId}`, { method: 'DELETE' })
      expect(again.status).toBe(409)
      const expected = event.available_seats + victim.quantity
      for (const url of urls) {
        await waitFor('cache sees the cancellation', async () => {
          const res = await fetch(`${url}/api/events/${eventId}`)
          return ((await res.json()) as { data: { availableSeats: number } }).data.availableSeats === expected
        })
      }
      const rebuy = await post(`${urls[1]}/api/reservations`, {
        eventId,
        userId: 'late',
        quantity: victim.quantity,
      })
      expect(rebuy.status).toBe(201)
    })

    it('SIGTERM mid-sale: in-flight requests are answered, every 201 is committed (I3)', async () => {
      const created = await post(`${urls[0]}/api/events`, {
        eventName: 'Drain',
        totalSeats: 1000,
        eventDate: '2025-06-02T20:00:00',
      })
      const eventId = created.body.data.eventId as number
      const victim = procs[2]!
      const results = await pool(300, 60, async (i) => {
        if (i === 100) void victim.stop(10_000)
        try {
          return await post(`${urls[2]}/api/reservations`, { eventId, userId: `d${i}`, quantity: 1 })
        } catch {
          return { status: 0, body: { success: false, data: {}, error: {} } } // refused: server gone
        }
      })
      const ok = results.filter((r) => r.status === 201)
      expect(ok.length).toBeGreaterThan(0)
      for (const r of results) expect([0, 201, 503]).toContain(r.status)
      const [rows] = (await sql.query(
        "SELECT id FROM reservations WHERE event_id = ? AND status = 'CONFIRMED'",
        [eventId],
      )) as unknown as [Array<{ id: string }>]
      // Acknowledged ⇒ committed; and nothing committed that was not acknowledged as 201 — a
      // request cut off mid-flight would show up here as an extra row.
      expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ok.map((r) => r.body.data.reservationId)))
    })
  },
)
