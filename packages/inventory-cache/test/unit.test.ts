import { sharedRedis, uniquePrefix, waitFor } from '@ticketing/testkit'
import type { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { CircuitBreaker } from '../src/breaker.js'
import { createInventoryCache, InvalidOptionsError } from '../src/index.js'
import { L1Cache } from '../src/l1.js'
import { ServerClock } from '../src/redis-tier.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('options', () => {
  it.each([
    [{ ttlMs: 0 }, /ttlMs/],
    [{ ttlMs: 1.5 }, /ttlMs must be an integer/],
    [{ l1: { maxEntries: -1 } }, /l1.maxEntries/],
    [{ jitter: 2 }, /jitter/],
    [{ namespace: '' }, /namespace/],
    [{ namespace: 'a{b}' }, /namespace/],
    [{ redis: {} }, /redis must be an ioredis/],
    [{ versionTtlMs: 10 }, /versionTtlMs/],
    [{ breaker: { failureThreshold: 0 } }, /breaker.failureThreshold/],
  ])('rejects %j', (options, message) => {
    expect(() => createInventoryCache(options as never)).toThrow(InvalidOptionsError)
    expect(() => createInventoryCache(options as never)).toThrow(message)
  })

  it('rejects a subscriber that is the redis client itself', () => {
    const redis = sharedRedis()
    try {
      expect(() => createInventoryCache({ redis, subscriber: redis })).toThrow(/dedicated connection/)
    } finally {
      redis.disconnect()
    }
  })

  it('rejects bad call arguments with E_INVALID_ARGUMENT', async () => {
    const cache = createInventoryCache({})
    await expect(cache.getOrLoad('', async () => ({}))).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
    await expect(cache.getOrLoad('k', async () => ({}), { maxStaleMs: -1 })).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    })
    await expect(cache.getOrLoad('k', async () => 42 as never)).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    })
    await cache.close()
    await expect(cache.getOrLoad('k', async () => ({}))).rejects.toMatchObject({ code: 'E_CLOSED' })
  })
})

describe('L1 (LRU)', () => {
  it('is bounded, evicts the least recently used, and expires', () => {
    const l1 = new L1Cache(2, 100)
    l1.set('a', { a: 1 }, 0, 0)
    l1.set('b', { b: 1 }, 0, 0)
    expect(l1.get('a', 1)?.value).toEqual({ a: 1 }) // a is now the most recent
    l1.set('c', { c: 1 }, 0, 1)
    expect(l1.get('b', 2)).toBeUndefined()
    expect(l1.get('a', 2)).toBeDefined()
    expect(l1.size).toBe(2)
    expect(l1.get('a', 100)).toBeUndefined() // expired
  })

  it('keeps a tombstone so an older version cannot come back', () => {
    const l1 = new L1Cache(10, 100)
    l1.set('k', { v: 1 }, 1, 0)
    expect(l1.invalidate('k', 1, 0)).toBe(false) // same version: a late message, ignored
    expect(l1.invalidate('k', 2, 0)).toBe(true)
    expect(l1.get('k', 1)).toBeUndefined()
    expect(l1.set('k', { v: 1 }, 1, 1)).toBe(false) // a slow read of version 1
    expect(l1.set('k', { v: 2 }, 2, 1)).toBe(true)
    expect(l1.get('k', 2)?.value).toEqual({ v: 2 })
  })
})

describe('CircuitBreaker', () => {
  it('opens after consecutive failures, lets one probe through after openMs, closes on success', () => {
    const states: string[] = []
    const breaker = new CircuitBreaker(2, 100, (s) => states.push(s))
    expect(breaker.allow(0)).toBe(true)
    breaker.failure(0)
    breaker.success() // a success resets the count
    breaker.failure(0)
    expect(breaker.state).toBe('closed')
    breaker.failure(0)
    expect(breaker.state).toBe('open')
    expect(breaker.allow(50)).toBe(false)
    expect(breaker.allow(100)).toBe(true) // the probe
    expect(breaker.allow(100)).toBe(false) // only one
    breaker.failure(100) // probe failed: open again
    expect(breaker.allow(150)).toBe(false)
    expect(breaker.allow(200)).toBe(true)
    breaker.success()
    expect(breaker.state).toBe('closed')
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed'])
  })
})

describe('ServerClock', () => {
  it('learns the offset from the shortest round trip and forgets it after a minute', () => {
    const clock = new ServerClock()
    expect(clock.now(1_000)).toBeUndefined()
    clock.observe(10_050, 1_000, 1_100) // rtt 100: offset 9_000
    expect(clock.now(2_000)).toBe(11_000)
    clock.observe(10_000, 1_000, 1_010) // rtt 10, more precise: offset 8_995
    expect(clock.now(2_000)).toBe(10_995)
    clock.observe(50_000, 1_020, 1_500) // a slow sample does not replace a recent precise one
    expect(clock.now(2_000)).toBe(10_995)
    expect(clock.now(1_010 + 60_001)).toBeUndefined()
  })
})

describe('L1-only mode (no redis)', () => {
  it('reads through, single-flights, invalidates and applies deltas in process', async () => {
    const cache = createInventoryCache({ l1: { ttlMs: 10_000 } })
    let loads = 0
    let db = 10
    const loader = async () => {
      loads++
      await sleep(10)
      return { availableSeats: db }
    }
    const values = await Promise.all(Array.from({ length: 20 }, () => cache.getOrLoad('e', loader)))
    expect(values.every((v) => v?.availableSeats === 10)).toBe(true)
    expect(loads).toBe(1)
    expect(await cache.applyDelta('e', 'availableSeats', -2)).toBe(true)
    expect(await cache.getOrLoad('e', loader)).toEqual({ availableSeats: 8 })
    expect(await cache.applyDelta('missing', 'availableSeats', -2)).toBe(false)
    db = 5
    await cache.invalidate('e')
    expect(await cache.getOrLoad('e', loader)).toEqual({ availableSeats: 5 })
    expect(loads).toBe(2)
    await cache.close()
  })

  it('does not cache a load that a writer invalidated mid-flight', async () => {
    const cache = createInventoryCache({ l1: { ttlMs: 10_000 } })
    let db = 1
    let release!: () => void
    const read = cache.getOrLoad('e', async () => {
      const row = { db }
      await new Promise<void>((r) => {
        release = r
      })
      return row
    })
    await sleep(5)
    db = 2
    await cache.invalidate('e')
    release()
    expect(await read).toEqual({ db: 1 })
    expect(await cache.getOrLoad('e', async () => ({ db }))).toEqual({ db: 2 })
    await cache.close()
  })
})

describe('subscriber reconnect', () => {
  const clients: Redis[] = []
  afterAll(() => {
    for (const c of clients) c.disconnect()
  })

  it('flushes L1 when the subscriber reconnects (messages may have been missed)', async () => {
    const redis = sharedRedis()
    const subscriber = sharedRedis()
    clients.push(redis, subscriber)
    const cache = createInventoryCache({
      redis,
      subscriber,
      namespace: uniquePrefix('ic'),
      l1: { ttlMs: 60_000 },
    })
    await cache.whenReady()
    await cache.getOrLoad('k', async () => ({ v: 1 }))
    const resyncs: number[] = []
    cache.on('resync', (e) => resyncs.push(e.entries))
    const tiers: string[] = []
    cache.on('hit', (e) => tiers.push(e.tier))
    subscriber.disconnect(true) // drop the connection; ioredis reconnects and resubscribes
    await waitFor('the resync', async () => resyncs.length === 1, 5_000, 10)
    expect(resyncs[0]).toBe(1)
    await cache.getOrLoad('k', async () => ({ v: 2 }))
    expect(tiers).toEqual(['l2']) // L1 was emptied; L2 still had it
    await cache.close()
  })
})
