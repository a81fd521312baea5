import { type RedisTopology, redisTopologies, sharedRedis, uniquePrefix, waitFor } from '@ticketing/testkit'
import { Cluster, type Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createInventoryCache, type InventoryCache, type InventoryCacheOptions } from '../src/index.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A gate the test opens by hand, to order a loader against a writer deterministically. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

describe.each(redisTopologies(['single', 'cluster']))('inventory cache on $name', (spec) => {
  let topology: RedisTopology
  let redis: Redis | Cluster
  const subscribers: Array<Redis | Cluster> = []
  const caches: InventoryCache[] = []

  function subscriber(): Redis | Cluster {
    const sub =
      topology.kind === 'cluster'
        ? new Cluster(topology.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })))
        : sharedRedis()
    sub.on('error', () => {})
    subscribers.push(sub)
    return sub
  }

  function make(options: Partial<InventoryCacheOptions> = {}): InventoryCache {
    const cache = createInventoryCache({ redis, namespace: uniquePrefix('ic'), xfetchBeta: 0, ...options })
    caches.push(cache)
    return cache
  }

  beforeAll(async () => {
    topology = await spec.start()
    redis = topology.clients[0]!
  })

  afterAll(async () => {
    await Promise.all(caches.map((c) => c.close()))
    for (const s of subscribers) s.disconnect()
    await topology.teardown()
  })

  it('a miss + fill of a key this process has not seen is LEASE + FILL (no GET); a later L2 hit is one GET', async () => {
    // A pass-through spy: every call reaches the real Redis; it only records which kind it was.
    // EVAL is not counted: it is the NOSCRIPT retry of an EVALSHA (a cluster node's first use).
    const calls: string[] = []
    const spied = new Proxy(redis, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target)
        if (typeof value !== 'function') return value
        if (prop === 'get' || prop === 'evalsha') {
          return (...args: unknown[]) => {
            calls.push(prop === 'get' ? 'GET' : 'SCRIPT')
            return value.apply(target, args)
          }
        }
        return value.bind(target)
      },
    })
    const namespace = uniquePrefix('ic')
    const cache = make({ redis: spied, namespace, l1: { maxEntries: 0 } })
    let loads = 0
    const loader = async () => ({ eventId: 9, availableSeats: 10 + loads++ })
    await cache.getOrLoad('warm-up', loader) // learns the server clock
    calls.length = 0
    expect(await cache.getOrLoad('cold', loader)).toEqual({ eventId: 9, availableSeats: 11 })
    expect(calls).toEqual(['SCRIPT', 'SCRIPT'])
    calls.length = 0
    expect(await cache.getOrLoad('cold', loader)).toEqual({ eventId: 9, availableSeats: 11 })
    expect(calls).toEqual(['GET'])
    // Another instance (no hint for the key) still reads the fresh value, through LEASE alone.
    const other = make({ redis, namespace, l1: { maxEntries: 0 } })
    other.on('miss', () => loads++)
    expect(await other.getOrLoad('cold', loader)).toEqual({ eventId: 9, availableSeats: 11 })
    expect(loads).toBe(2)
  })

  it('reads through: one load, then L1 hits, then L2 hits after L1 expires', async () => {
    const cache = make({ l1: { ttlMs: 50 } })
    const tiers: string[] = []
    cache.on('hit', (e) => tiers.push(e.tier))
    let loads = 0
    const loader = async () => ({ eventId: 7, availableSeats: 100 - loads++ })
    expect(await cache.getOrLoad('event:7', loader)).toEqual({ eventId: 7, availableSeats: 100 })
    expect(await cache.getOrLoad('event:7', loader)).toEqual({ eventId: 7, availableSeats: 100 })
    await sleep(80)
    expect(await cache.getOrLoad('event:7', loader)).toEqual({ eventId: 7, availableSeats: 100 })
    expect(loads).toBe(1)
    expect(tiers).toEqual(['l1', 'l2'])
  })

  it('single-flights 200 concurrent misses in one process into one load', async () => {
    const cache = make()
    let loads = 0
    const loader = async () => {
      loads++
      await sleep(50)
      return { n: 1 }
    }
    const values = await Promise.all(Array.from({ length: 200 }, () => cache.getOrLoad('hot', loader)))
    expect(loads).toBe(1)
    expect(new Set(values).size).toBe(1)
  })

  it('waits on a lease held elsewhere, then loads once when it expires (a crashed holder)', async () => {
    const namespace = uniquePrefix('ic-lease')
    const cache = make({ namespace, lease: { ttlMs: 2_000, waitMs: 5_000, pollMs: 10 } })
    await redis.set(`{${namespace}:k}:lease`, 'crashed-process', 'PX', 300)
    const waits: Array<{ outcome: string; ms: number }> = []
    cache.on('leaseWait', (e) => waits.push(e))
    let loads = 0
    const t0 = performance.now()
    const values = await Promise.all(
      Array.from({ length: 20 }, () => cache.getOrLoad('k', async () => ({ loads: ++loads }))),
    )
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250)
    expect(loads).toBe(1)
    expect(values.every((v) => v?.loads === 1)).toBe(true)
    expect(waits).toEqual([expect.objectContaining({ outcome: 'acquired' })])
  })

  it('stops waiting after lease.waitMs and loads anyway (still fenced)', async () => {
    const namespace = uniquePrefix('ic-lease')
    const cache = make({ namespace, lease: { ttlMs: 2_000, waitMs: 150, pollMs: 10 } })
    await redis.set(`{${namespace}:k}:lease`, 'slow-process', 'PX', 10_000)
    const waits: string[] = []
    cache.on('leaseWait', (e) => waits.push(e.outcome))
    expect(await cache.getOrLoad('k', async () => ({ ok: true }))).toEqual({ ok: true })
    expect(waits).toEqual(['timeout'])
    expect(await redis.get(`{${namespace}:k}:lease`)).toBe('slow-process') // not ours to release
    expect(await redis.exists(`{${namespace}:k}:v`)).toBe(1)
  })

  it('hands the lease back when the loader throws, and caches nothing', async () => {
    const namespace = uniquePrefix('ic-lease')
    const cache = make({ namespace })
    const boom = new Error('db down')
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        cache.getOrLoad('k', async () => {
          await sleep(20)
          throw boom
        }),
      ),
    )
    expect(results.every((r) => r.status === 'rejected' && r.reason === boom)).toBe(true)
    await waitFor(
      'the lease release',
      async () => (await redis.exists(`{${namespace}:k}:lease`)) === 0,
      1_000,
      10,
    )
    expect(await redis.exists(`{${namespace}:k}:v`)).toBe(0)
    expect(await cache.getOrLoad('k', async () => ({ ok: 1 }))).toEqual({ ok: 1 })
  })

  it('hands out frozen JSON copies, the same on a miss as on a hit', async () => {
    const cache = make({ l1: { maxEntries: 0 } })
    const loaded = { at: new Date(0), nested: { seats: [1, 2] } }
    const miss = await cache.getOrLoad('frozen', async () => loaded)
    const hit = await cache.getOrLoad('frozen', async () => loaded)
    expect(miss).toEqual({ at: '1970-01-01T00:00:00.000Z', nested: { seats: [1, 2] } })
    expect(hit).toEqual(miss)
    expect(Object.isFrozen(miss)).toBe(true)
    expect(() => {
      ;(miss as { nested: { seats: number[] } }).nested.seats.push(3)
    }).toThrow(TypeError)
    expect(loaded.nested.seats).toEqual([1, 2]) // the loader's own object is not frozen either
  })

  it('caches "not found" for negativeTtlMs', async () => {
    const cache = make({ negativeTtlMs: 150, l1: { maxEntries: 0 } })
    let loads = 0
    const loader = async () => {
      loads++
      return undefined
    }
    expect(await cache.getOrLoad('missing', loader)).toBeUndefined()
    expect(await cache.getOrLoad('missing', loader)).toBeUndefined()
    expect(loads).toBe(1)
    await sleep(200)
    await cache.getOrLoad('missing', loader)
    expect(loads).toBe(2)
  })

  it('drops a stale fill: reader loads the old row, writer commits + invalidates, reader sets', async () => {
    const namespace = uniquePrefix('ic-race')
    const reader = make({ namespace })
    const writer = make({ namespace })
    const dropped: unknown[] = []
    reader.on('fillDropped', (e) => dropped.push(e))
    let db = 100 // the row, as the database holds it
    const loaderStarted = gate()
    const writerDone = gate()
    const read = reader.getOrLoad('event:1', async () => {
      const row = { availableSeats: db } // 1. the reader reads the old row ...
      loaderStarted.open()
      await writerDone.opened // ... and is slow to set it
      return row
    })
    await loaderStarted.opened
    db = 98 // 2. the writer commits ...
    await writer.invalidate('event:1') // ... then invalidates
    writerDone.open()
    expect(await read).toEqual({ availableSeats: 100 }) // 3. the reader's own caller gets its read
    expect(dropped).toHaveLength(1) // ... but its set was dropped
    expect(await redis.exists(`{${namespace}:event:1}:v`)).toBe(0)
    // Nobody serves the old row afterwards: not L2, not the reader's L1.
    expect(await writer.getOrLoad('event:1', async () => ({ availableSeats: db }))).toEqual({
      availableSeats: 98,
    })
    expect(await reader.getOrLoad('event:1', async () => ({ availableSeats: -1 }))).toEqual({
      availableSeats: 98,
    })
  })

  it('drops a stale fill when the writer applies a delta instead of invalidating', async () => {
    const namespace = uniquePrefix('ic-race')
    const reader = make({ namespace })
    const writer = make({ namespace })
    const loaderStarted = gate()
    const writerDone = gate()
    const read = reader.getOrLoad('event:2', async () => {
      const row = { availableSeats: 50 }
      loaderStarted.open()
      await writerDone.opened
      return row
    })
    await loaderStarted.opened
    expect(await writer.applyDelta('event:2', 'availableSeats', -2)).toBe(false) // not cached yet
    writerDone.open()
    await read
    expect(await redis.exists(`{${namespace}:event:2}:v`)).toBe(0)
  })

  it('jitters the TTL of values filled together', async () => {
    const namespace = uniquePrefix('ic')
    const cache = make({ namespace, ttlMs: 10_000, graceMs: 0, jitter: 0.5 })
    await Promise.all(Array.from({ length: 20 }, (_, i) => cache.getOrLoad(`j${i}`, async () => ({ i }))))
    const ttls = await Promise.all(Array.from({ length: 20 }, (_, i) => redis.pttl(`{${namespace}:j${i}}:v`)))
    expect(Math.min(...ttls)).toBeGreaterThanOrEqual(4_900)
    expect(Math.max(...ttls)).toBeLessThanOrEqual(10_000)
    expect(Math.max(...ttls) - Math.min(...ttls)).toBeGreaterThan(1_000)
  })

  it('invalidate bumps a version that outlives the value', async () => {
    const namespace = uniquePrefix('ic')
    const cache = make({ namespace })
    await cache.getOrLoad('e', async () => ({ a: 1 }))
    await cache.invalidate('e')
    await cache.invalidate('e')
    expect(await redis.exists(`{${namespace}:e}:v`)).toBe(0)
    expect(await redis.get(`{${namespace}:e}:ver`)).toBe('2')
    const ttl = await redis.pttl(`{${namespace}:e}:ver`)
    expect(ttl).toBeGreaterThan(3_600_000)
  })

  it('applies counter deltas in place, and never creates a partial value', async () => {
    const namespace = uniquePrefix('ic')
    const cache = make({ namespace, l1: { maxEntries: 0 } })
    let loads = 0
    const loader = async () => {
      loads++
      return { eventId: 'e1', availableSeats: 100, name: 'Gala' }
    }
    await cache.getOrLoad('e1', loader)
    expect(await cache.applyDelta('e1', 'availableSeats', -2)).toBe(true)
    expect(await cache.applyDelta('e1', 'availableSeats', -3)).toBe(true)
    expect(await cache.getOrLoad('e1', loader)).toEqual({ eventId: 'e1', availableSeats: 95, name: 'Gala' })
    expect(loads).toBe(1) // stayed cached through the sales
    // A field that is not an integer counter cannot be patched: the key is invalidated instead.
    expect(await cache.applyDelta('e1', 'name', 1)).toBe(false)
    expect(await redis.exists(`{${namespace}:e1}:v`)).toBe(0)
    // Not cached: no-op, nothing created.
    expect(await cache.applyDelta('e2', 'availableSeats', -1)).toBe(false)
    expect(await redis.exists(`{${namespace}:e2}:v`)).toBe(0)
    await expect(cache.applyDelta('e1', 'availableSeats', 1.5)).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    })
  })

  it('keeps any JSON intact through fills and deltas (separators, empty arrays, big numbers)', async () => {
    const cache = make({ l1: { maxEntries: 0 } })
    const row = { name: 'a|b,c:d\n|', tags: [], big: 2 ** 60, 'odd|key': 3, availableSeats: 7, neg: -4 }
    const expected = JSON.parse(JSON.stringify(row))
    expect(await cache.getOrLoad('json', async () => row)).toEqual(expected)
    expect(await cache.applyDelta('json', 'neg', -1)).toBe(true)
    expect(await cache.applyDelta('json', 'availableSeats', 2)).toBe(true)
    expect(await cache.getOrLoad('json', async () => undefined)).toEqual({
      ...expected,
      neg: -5,
      availableSeats: 9,
    })
    // 'odd|key' is an integer but its name cannot be a counter: the key is invalidated instead.
    expect(await cache.applyDelta('json', 'odd|key', 1)).toBe(false)
    expect(await cache.getOrLoad('json', async () => ({ reloaded: true }))).toEqual({ reloaded: true })
  })

  it('applies a delta exactly once with a row-version guard', async () => {
    const namespace = uniquePrefix('ic')
    const cache = make({ namespace, l1: { maxEntries: 0 } })
    await cache.getOrLoad('e', async () => ({ availableSeats: 10, version: 4 }))
    // The commit took the row from version 4 to 5: the cached value is at 4, apply.
    expect(
      await cache.applyDelta('e', 'availableSeats', -1, { rowVersion: { field: 'version', value: 5 } }),
    ).toBe(true)
    expect(await cache.getOrLoad('e', async () => undefined)).toEqual({ availableSeats: 9, version: 5 })
    // A fill that already read version 6 must not get the 5→6 delta again.
    await cache.invalidate('e')
    await cache.getOrLoad('e', async () => ({ availableSeats: 8, version: 6 }))
    expect(
      await cache.applyDelta('e', 'availableSeats', -1, { rowVersion: { field: 'version', value: 6 } }),
    ).toBe(false)
    expect(await redis.exists(`{${namespace}:e}:v`)).toBe(0)
  })

  it('getMany: one loader call for the missing keys, joins in-flight loads, caches absences', async () => {
    const cache = make({ l1: { maxEntries: 0 } })
    await cache.getOrLoad('a', async () => ({ id: 'a' }))
    const slow = gate()
    const bStarted = gate()
    const inflight = cache.getOrLoad('b', async () => {
      bStarted.open()
      await slow.opened
      return { id: 'b' }
    })
    await bStarted.opened // 'b' is being loaded by this process when getMany asks for it
    const calls: string[][] = []
    const loader = async (missing: string[]) => {
      calls.push([...missing].sort())
      return new Map(missing.filter((k) => k !== 'd').map((k) => [k, { id: k }]))
    }
    const many = cache.getMany(['a', 'b', 'c', 'd', 'c'], loader)
    await sleep(30)
    slow.open()
    const result = await many
    await inflight
    expect(calls).toEqual([['c', 'd']])
    expect([...result.keys()].sort()).toEqual(['a', 'b', 'c'])
    expect(result.get('b')).toEqual({ id: 'b' })
    // Everything is cached now, 'd' as absent.
    await cache.getMany(['a', 'b', 'c', 'd'], loader)
    expect(calls).toHaveLength(1)
  })

  it('serves stale within graceMs while one background refresh runs; maxStaleMs 0 waits', async () => {
    const cache = make({ ttlMs: 100, graceMs: 5_000, jitter: 0, l1: { maxEntries: 0 } })
    let version = 1
    let loads = 0
    const loader = async () => {
      await sleep(100)
      loads++
      return { version }
    }
    await cache.getOrLoad('swr', loader)
    version = 2
    await sleep(150)
    const stale: number[] = []
    cache.on('stale', (e) => stale.push(e.staleMs))
    const t0 = performance.now()
    expect(await cache.getOrLoad('swr', loader)).toEqual({ version: 1 })
    expect(await cache.getOrLoad('swr', loader)).toEqual({ version: 1 })
    expect(performance.now() - t0).toBeLessThan(80) // did not wait for the 100 ms loader
    expect(stale).toHaveLength(2)
    await waitFor('the background refresh', async () => loads === 2, 2_000, 10)
    await sleep(30) // the fill's round trip
    expect(await cache.getOrLoad('swr', loader)).toEqual({ version: 2 })
    // A checkout path demands fresh data: it waits for the loader instead.
    version = 3
    await sleep(150)
    expect(await cache.getOrLoad('swr', loader, { maxStaleMs: 0 })).toEqual({ version: 3 })
  })

  it('refreshes early with XFetch before the value expires', async () => {
    const cache = make({ ttlMs: 1_000, jitter: 0, xfetchBeta: 20, l1: { maxEntries: 0 } })
    let loads = 0
    const loader = async () => {
      loads++
      await sleep(40)
      return { loads }
    }
    await cache.getOrLoad('xf', loader)
    const reasons: string[] = []
    cache.on('refresh', (e) => reasons.push(e.reason))
    await sleep(700)
    for (let i = 0; i < 20 && loads < 2; i++) {
      expect(await cache.getOrLoad('xf', loader)).toBeDefined()
      await sleep(5)
    }
    expect(reasons[0]).toBe('xfetch')
    await waitFor('the early refresh', async () => loads === 2, 2_000, 10)
  })

  it('invalidates other instances over pub/sub, ignoring out-of-order (older) messages', async () => {
    const namespace = uniquePrefix('ic-pubsub')
    const a = make({ namespace, subscriber: subscriber(), l1: { ttlMs: 60_000 } })
    const b = make({ namespace, subscriber: subscriber(), l1: { ttlMs: 60_000 } })
    await Promise.all([a.whenReady(), b.whenReady()])
    let db = 1
    const loader = async () => ({ db })
    await a.getOrLoad('k', loader)
    await a.invalidate('k') // version 1
    await b.getOrLoad('k', loader) // B caches version 1 in L1
    const remote: number[] = []
    b.on('invalidate', (e) => remote.push(e.version))
    // A late message about version 1 (already reflected in B's L1) must not drop it.
    await redis.publish(`${namespace}:invalidate`, `someone-else|1|k`)
    db = 2
    await sleep(50)
    expect(await b.getOrLoad('k', loader)).toEqual({ db: 1 })
    expect(remote).toEqual([])
    await a.invalidate('k') // version 2
    await waitFor('B to drop its L1 copy', async () => (await b.getOrLoad('k', loader))?.db === 2, 1_000, 5)
    expect(remote).toEqual([2])
    // A delta applied by A reaches B's L1 the same way (B re-reads the patched L2 value).
    expect(await a.applyDelta('k', 'db', 5)).toBe(true) // version 3
    await waitFor('B to see the delta', async () => (await b.getOrLoad('k', loader))?.db === 7, 1_000, 5)
    expect(remote).toEqual([2, 3])
  })
})
