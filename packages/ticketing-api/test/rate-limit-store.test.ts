// The rate limiter's store counts locally and adds to Redis every flush: one instance's own
// requests count at once, and after a flush every instance sees the others' requests too.
import { setTimeout as sleep } from 'node:timers/promises'
import { sharedRedis, uniquePrefix } from '@ticketing/testkit'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { batchedRedisStore } from '../src/http/rate-limit-store.js'
import { deleteRedisPrefix } from './helpers.js'

const prefix = `${uniquePrefix('rl')}:`
const clients: Redis[] = []

/** One instance's store (its own Redis client), and a promise-returning incr. */
function instance(flushMs = 20) {
  const redis = sharedRedis()
  clients.push(redis)
  const Store = batchedRedisStore(redis, prefix, { flushMs })
  const store = new Store()
  return (key: string, windowMs = 60_000) =>
    new Promise<{ current: number; ttl: number }>((resolve, reject) =>
      store.incr(key, (error, result) => (error || !result ? reject(error) : resolve(result)), windowMs),
    )
}

describe('batched rate-limit store', () => {
  let a: ReturnType<typeof instance>
  let b: ReturnType<typeof instance>
  beforeAll(() => {
    a = instance()
    b = instance()
  })
  afterAll(async () => {
    await deleteRedisPrefix(prefix)
    await Promise.all(clients.map((c) => c.quit()))
  })

  it("counts an instance's own requests at once, without waiting for Redis", async () => {
    const counts = []
    for (let i = 0; i < 5; i++) counts.push((await a('own')).current)
    expect(counts).toEqual([1, 2, 3, 4, 5])
  })

  it("adds every instance's requests in Redis, and each sees the total after its next flush", async () => {
    for (let i = 0; i < 7; i++) await a('shared')
    for (let i = 0; i < 3; i++) await b('shared')
    await sleep(300)
    const redis = clients[0]!
    expect(Number(await redis.get(`${prefix}shared`))).toBe(10)
    // Each instance learns the total when its own increments reach Redis (the next flush).
    await a('shared')
    await sleep(300)
    expect((await a('shared')).current).toBe(12)
    await b('shared')
    await sleep(300)
    expect((await b('shared')).current).toBe(14)
    // The window's TTL is set once, by the first increment.
    const ttl = await redis.pttl(`${prefix}shared`)
    expect(ttl).toBeGreaterThan(50_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })

  it('starts a new window when the old one ends', async () => {
    for (let i = 0; i < 4; i++) await a('short', 150)
    await sleep(250)
    const next = await a('short', 150)
    expect(next.current).toBe(1)
    expect(next.ttl).toBeLessThanOrEqual(150)
  })
})
