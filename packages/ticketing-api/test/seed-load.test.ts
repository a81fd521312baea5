// The seed's own load tests over real HTTP: `ab -n 100 -c 100` on a 50-seat event, and
// concurrent_test.py (1,000 buyers, 100 at a time, 1 ticket each) on 300 seats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkI1, createEvent, type Harness, MODES, pool, post, startHarness } from './helpers.js'

describe.each(MODES)('seed load tests (%s, real HTTP)', (mode) => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness(mode)
    await h.listen()
  })
  afterAll(async () => h?.close())

  it('ab -n 100 -c 100 (one user, quantity 1) on 50 seats: exactly 50 non-2xx', async () => {
    const eventId = await createEvent(h.app, 50)
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        post(`${h.url}/api/reservations`, { eventId, userId: 'loadtest', quantity: 1 }),
      ),
    )
    const ok = results.filter((r) => r.status >= 200 && r.status < 300)
    const failed = results.filter((r) => r.status < 200 || r.status >= 300)
    expect(ok).toHaveLength(50)
    expect(failed).toHaveLength(50)
    for (const f of failed) {
      expect(f.status).toBe(409)
      expect(f.body.error.code).toBe('SOLD_OUT')
    }
    expect(new Set(ok.map((r) => r.body.data.reservationId)).size).toBe(50)
    if (mode === 'production') await checkI1(h)
  })

  it('concurrent_test.py: 1,000 buyers, 100 concurrent, 300 seats → exactly 300 successes', async () => {
    const eventId = await createEvent(h.app, 300)
    const started = performance.now()
    const results = await pool(1000, 100, (i) =>
      post(`${h.url}/api/reservations`, { eventId, userId: `user${i}`, quantity: 1 }),
    )
    const seconds = (performance.now() - started) / 1000
    const ok = results.filter((r) => r.status === 201)
    expect(ok).toHaveLength(300)
    expect(results.filter((r) => r.status === 409)).toHaveLength(700)
    // Zero double bookings: 300 distinct buyers, 300 distinct reservations.
    expect(new Set(ok.map((r) => r.body.data.userId)).size).toBe(300)
    expect(new Set(ok.map((r) => r.body.data.reservationId)).size).toBe(300)
    console.log(`[${mode}] concurrent_test: 1000 requests in ${seconds.toFixed(2)} s`)
    if (mode === 'production') {
      const rows = await checkI1(h)
      expect(rows.find((r) => Number(r.id) === eventId)?.available_seats).toBe(0)
      const [n] = await h.sql<{ n: number }>('SELECT COUNT(*) AS n FROM reservations WHERE event_id = ?', [
        eventId,
      ])
      expect(Number(n!.n)).toBe(300)
    }
  })
})
