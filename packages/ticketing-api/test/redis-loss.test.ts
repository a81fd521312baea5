// Redis loses the service's keys mid-sale (a FLUSH of our prefix, by SCAN+DEL: the Redis is
// shared). MySQL's conditional UPDATE keeps it from overselling; admission is rebuilt from MySQL
// and the sale goes on to sell every seat.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkI1, createEvent, deleteRedisPrefix, type Harness, pool, post, startHarness } from './helpers.js'

describe('Redis data loss mid-sale (production)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness('production')
    await h.listen()
  })
  afterAll(async () => h?.close())

  it('never oversells and recovers: all 400 seats sold exactly once', async () => {
    const eventId = await createEvent(h.app, 400)
    let successes = 0
    let flushed = false
    const results = await pool(1000, 50, async (i) => {
      if (!flushed && successes >= 120) {
        flushed = true
        expect(await deleteRedisPrefix(h.prefix!)).toBeGreaterThan(0)
      }
      const r = await post(`${h.url}/api/reservations`, { eventId, userId: `u${i}`, quantity: 1 })
      if (r.status === 201) successes++
      return r
    })
    const counts: Record<string, number> = {}
    for (const r of results)
      counts[`${r.status} ${r.body.error?.code ?? ''}`] =
        (counts[`${r.status} ${r.body.error?.code ?? ''}`] ?? 0) + 1
    expect(flushed, JSON.stringify(counts)).toBe(true)
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s >= 500)).toEqual([])
    expect(statuses.filter((s) => s === 201)).toHaveLength(400)
    const rows = await checkI1(h)
    expect(rows.find((r) => Number(r.id) === eventId)?.available_seats).toBe(0)
    // After the sale, admission answers sold-out by itself again (no MySQL round trip needed).
    const after = await post(`${h.url}/api/reservations`, { eventId, userId: 'late', quantity: 1 })
    expect(after.body.error.code).toBe('SOLD_OUT')
  })
})
