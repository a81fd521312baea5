// A batch stuck behind a lock on the event row gives up after LOCK_WAIT_TIMEOUT_S (and runs
// again a few times), instead of MySQL's 50 s: found by the fault suite's writer failover, where
// the old writer's read-only switch and a batch waiting for the event row blocked each other
// until the 50 s timeout. Here another session holds the row; the buyer gets 503 + Retry-After
// within the retries' budget, and buys once the row is free.
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LOCK_WAIT_TIMEOUT_S } from '../src/infra/transaction.js'
import { createEvent, type Harness, startHarness } from './helpers.js'

describe('waiting for the event row (production)', () => {
  let h: Harness
  beforeAll(async () => {
    // The subject is the database's lock wait: no request deadline answering first.
    h = await startHarness('production', { REQUEST_DEADLINE_MS: '0' })
  })
  afterAll(async () => h?.close())

  it(`gives up after ${LOCK_WAIT_TIMEOUT_S} s per attempt, not MySQL's 50 s`, async () => {
    const eventId = await createEvent(h.app, 10)
    const holder = await mysql.createConnection(h.env.DATABASE_URL!)
    try {
      await holder.query('START TRANSACTION')
      await holder.query('SELECT id FROM events WHERE id = ? FOR UPDATE', [eventId])
      const started = Date.now()
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/reservations',
        payload: { eventId, userId: 'waiting', quantity: 1 },
      })
      const waited = Date.now() - started
      expect(res.statusCode).toBe(503)
      expect(res.headers['retry-after']).toBeDefined()
      // 4 attempts of LOCK_WAIT_TIMEOUT_S each, plus slack; before: 4 × 50 s.
      expect(waited).toBeLessThan(4 * LOCK_WAIT_TIMEOUT_S * 1000 + 5000)
      await holder.query('ROLLBACK')
      const again = await h.app.inject({
        method: 'POST',
        url: '/api/reservations',
        payload: { eventId, userId: 'waiting', quantity: 1 },
      })
      expect(again.statusCode).toBe(201)
    } finally {
      await holder.end()
    }
  }, 60_000)
})
