// Production-mode operations: crash between admission and commit, counter drift, a Redis
// outage (503 + Retry-After, never a 500), and rate limiting on the Redis store.
import { startRedis } from '@ticketing/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkI1, createEvent, type Harness, startHarness } from './helpers.js'

const reserve = (h: Harness, eventId: number, userId: string, quantity = 1) =>
  h.app.inject({ method: 'POST', url: '/api/reservations', payload: { eventId, userId, quantity } })

describe('operations (production)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness('production', { HOLD_TTL_MS: '1000' })
  })
  afterAll(async () => h?.close())

  it('units admitted by a process that died before its commit return to sale after the hold TTL', async () => {
    const eventId = await createEvent(h.app, 4)
    // A "crashed" request: admitted in Redis, never committed.
    await h.app.composition.ports.sales.gate.admit({ eventId, quantity: 3, owner: 'ghost', ttlMs: 1000 })
    const during = await reserve(h, eventId, 'a', 2)
    expect(during.json().error).toMatchObject({ code: 'INSUFFICIENT_SEATS', availableSeats: 1 })
    await new Promise((r) => setTimeout(r, 1300))
    expect((await reserve(h, eventId, 'a', 4)).statusCode).toBe(201)
    await checkI1(h)
  })

  it('the reconciler repairs a drifted admission counter from MySQL', async () => {
    const eventId = await createEvent(h.app, 10)
    await h.app.composition.ports.sales.gate.rebuild(eventId, 0) // Redis now (wrongly) says sold out
    expect((await reserve(h, eventId, 'b')).json().error.code).toBe('SOLD_OUT')
    // The first pass only notes the drift (a batch may be in flight); the second repairs it.
    await h.app.sales.reconcile()
    await h.app.sales.reconcile()
    expect((await reserve(h, eventId, 'b')).statusCode).toBe(201)
    expect(await h.app.composition.ports.sales.gate.state(eventId)).toMatchObject({ available: 9 })
  })

  it('a reservation admitted against a stale counter is refused by MySQL, not oversold', async () => {
    const eventId = await createEvent(h.app, 2)
    await h.app.composition.ports.sales.gate.rebuild(eventId, 2)
    expect((await reserve(h, eventId, 'c', 2)).statusCode).toBe(201)
    await h.app.composition.ports.sales.gate.rebuild(eventId, 2) // Redis (wrongly) believes 2 are free
    const over = await reserve(h, eventId, 'd', 1)
    expect(over.statusCode).toBe(409)
    expect(over.json().error).toMatchObject({ code: 'SOLD_OUT', availableSeats: 0 })
    await checkI1(h)
  })
})

describe('Redis outage (production, dedicated redis-server)', () => {
  it('answers 503 + Retry-After while Redis is down, and recovers after a restart that lost the data', async () => {
    const redis = await startRedis()
    const h = await startHarness('production', { REDIS_URL: redis.url })
    try {
      const eventId = await createEvent(h.app, 5)
      expect((await reserve(h, eventId, 'x')).statusCode).toBe(201)
      await redis.kill()
      const health = await h.app.inject({ method: 'GET', url: '/api/health' })
      expect(health.statusCode).toBe(503)
      expect(health.json()).toMatchObject({ status: 'DOWN', database: 'connected', redis: 'disconnected' })
      const down = await reserve(h, eventId, 'y')
      expect(down.statusCode).toBe(503)
      expect(down.headers['retry-after']).toBeDefined()
      expect(down.json()).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE' } })
      await redis.restart() // empty: every counter and hold is gone
      let after = await reserve(h, eventId, 'y')
      for (let i = 0; i < 50 && after.statusCode === 503; i++) {
        await new Promise((r) => setTimeout(r, 100))
        after = await reserve(h, eventId, 'y')
      }
      expect(after.statusCode).toBe(201)
      // Rebuilt from MySQL: exactly the 3 remaining seats are sold, then sold out.
      const rest = await Promise.all([1, 2, 3, 4].map((i) => reserve(h, eventId, `z${i}`)))
      expect(rest.filter((r) => r.statusCode === 201)).toHaveLength(3)
      await checkI1(h)
      expect((await h.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200)
    } finally {
      await h.close()
      await redis.stop()
    }
  })
})

describe('rate limiting (production, Redis store)', () => {
  it('answers 429 RATE_LIMITED in the envelope with Retry-After; health is exempt', async () => {
    // Budgets of 3 (×1 for an address) so that the fourth request is over.
    const h = await startHarness('production', { RATE_LIMIT_READS: '3', RATE_LIMIT_ADDRESS_FACTOR: '1' })
    try {
      const codes: number[] = []
      for (let i = 0; i < 4; i++)
        codes.push((await h.app.inject({ method: 'GET', url: '/api/events' })).statusCode)
      expect(codes).toEqual([200, 200, 200, 429])
      const limited = await h.app.inject({ method: 'GET', url: '/api/events' })
      expect(limited.json()).toMatchObject({ success: false, error: { code: 'RATE_LIMITED' } })
      expect(limited.headers['retry-after']).toBeDefined()
      expect((await h.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200)
    } finally {
      await h.close()
    }
  })
})
