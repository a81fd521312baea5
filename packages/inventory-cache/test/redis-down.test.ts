import { type RedisServer, startRedis, waitFor } from '@ticketing/testkit'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInventoryCache, type InventoryCache } from '../src/index.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// A dedicated redis-server (never the shared one), SIGKILLed in the middle of the test.
describe('when Redis dies mid-test', () => {
  let server: RedisServer
  let redis: Redis
  let subscriber: Redis
  let cache: InventoryCache
  const errors: Error[] = []
  const states: string[] = []

  beforeAll(async () => {
    server = await startRedis()
    redis = server.client()
    subscriber = server.client()
    cache = createInventoryCache({
      redis,
      subscriber,
      namespace: 'down',
      l1: { ttlMs: 3_000 },
      xfetchBeta: 0,
      commandTimeoutMs: 100,
      breaker: { failureThreshold: 2, openMs: 300 },
    })
    cache.on('error', (e) => errors.push(e))
    cache.on('breaker', (e) => states.push(e.state))
    await cache.whenReady()
  })

  afterAll(async () => {
    await cache.close()
    await server.stop()
  })

  it('keeps serving from L1 and the loader, surfaces errors as events, and recovers', async () => {
    let loads = 0
    const loader = (id: string) => async () => {
      loads++
      await sleep(20)
      return { id, availableSeats: 10 }
    }
    await cache.getOrLoad('warm', loader('warm'))
    expect(loads).toBe(1)

    await server.kill()

    // L1 still answers for the warm key, without the loader.
    expect(await cache.getOrLoad('warm', loader('warm'))).toEqual({ id: 'warm', availableSeats: 10 })
    expect(loads).toBe(1)
    // Misses go to the loader, single-flighted in-process, whatever Redis is doing.
    const t0 = performance.now()
    const cold = await Promise.all(Array.from({ length: 50 }, () => cache.getOrLoad('cold', loader('cold'))))
    expect(cold.every((v) => v?.id === 'cold')).toBe(true)
    expect(loads).toBe(2)
    expect(performance.now() - t0).toBeLessThan(1_000) // bounded by commandTimeoutMs, not ioredis retries
    for (let i = 0; i < 5; i++) await cache.getOrLoad(`other:${i}`, loader(`other:${i}`))
    expect(states).toContain('open')
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((e) => typeof (e as { code?: string }).code === 'string')).toBe(true)
    // With the circuit open, misses cost no Redis timeout at all.
    const t1 = performance.now()
    await cache.getOrLoad('fast-fallback', loader('fast-fallback'))
    expect(performance.now() - t1).toBeLessThan(90)

    // A writer's invalidation resolves; the failure is an event and the invalidation is queued.
    await cache.invalidate('warm')
    expect(errors.some((e) => (e as { code?: string }).code === 'E_INVALIDATION_FAILED')).toBe(true)

    await server.restart()
    // After openMs the half-open probe succeeds, the circuit closes, the invalidation is replayed.
    await waitFor(
      'the circuit to close',
      async () => {
        await cache.getOrLoad(`probe:${Math.random()}`, loader('probe'))
        return cache.breakerState === 'closed'
      },
      10_000,
      100,
    )
    await waitFor(
      'the replayed invalidation',
      async () => (await redis.get('{down:warm}:ver')) === '1',
      5_000,
      50,
    )
    // And L2 is used again.
    const tiers: string[] = []
    cache.on('hit', (e) => tiers.push(e.tier))
    await cache.getOrLoad('after', loader('after'), { maxStaleMs: 0 })
    await cache.getOrLoad('after', loader('after'), { maxStaleMs: 0 })
    expect(tiers).toEqual(['l2'])
  })

  it('never crashes without an error listener', async () => {
    const other = new Redis({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: 0 })
    const bare = createInventoryCache({ redis: other, namespace: 'bare', commandTimeoutMs: 50 })
    other.disconnect()
    expect(await bare.getOrLoad('k', async () => ({ ok: true }))).toEqual({ ok: true })
    await bare.invalidate('k')
    expect(await bare.applyDelta('k', 'n', 1)).toBe(false)
    await bare.close()
  })
})
