import { fileURLToPath } from 'node:url'
import { type ForkedScript, forkScript, sharedRedis, sharedRedisUrl, uniquePrefix } from '@ticketing/testkit'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const worker = fileURLToPath(new URL('./fixtures/cache-worker.ts', import.meta.url))

describe('across processes (3 child processes, shared Redis)', () => {
  const namespace = uniquePrefix('ic-xp')
  let redis: Redis
  let children: ForkedScript[] = []

  beforeAll(async () => {
    redis = sharedRedis()
    children = [forkScript(worker), forkScript(worker), forkScript(worker)]
    await Promise.all(children.map((c) => c.request({ cmd: 'init', url: sharedRedisUrl, namespace })))
  })

  afterAll(async () => {
    await Promise.all(children.map((c) => c.request({ cmd: 'close' }).catch(() => {})))
    await Promise.all(children.map((c) => c.stop()))
    const keys = await redis.keys(`{${namespace}:*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.del(`${namespace}:loads`, `${namespace}:loads2`, `${namespace}:db`)
    redis.disconnect()
  })

  it('3 processes × 300 concurrent misses on one key → exactly 1 loader call in total', async () => {
    const loadsKey = `${namespace}:loads`
    const replies = await Promise.all(
      children.map((c) =>
        c.request<{ pids: number[] }>({
          cmd: 'stampede',
          key: 'event:1',
          loadsKey,
          concurrency: 300,
          loaderDelayMs: 200,
        }),
      ),
    )
    expect(Number(await redis.get(loadsKey))).toBe(1)
    // Every one of the 900 callers got the value loaded by the single process that held the lease.
    const pids = new Set(replies.flatMap((r) => r.pids))
    expect(pids.size).toBe(1)
    expect(children.map((c) => c.pid)).toContain([...pids][0])
  })

  it('an invalidation in process A is visible in the L1 of B and C within 100 ms', async () => {
    const [a, b, c] = children as [ForkedScript, ForkedScript, ForkedScript]
    const key = 'event:2'
    const dbKey = `${namespace}:db`
    const loadsKey = `${namespace}:loads2`
    await redis.set(dbKey, '10')
    for (const child of [a, b, c]) {
      expect((await child.request<{ seats: number }>({ cmd: 'get', key, dbKey, loadsKey })).seats).toBe(10)
    }
    // The writer commits, then invalidates. L1 in B and C lives 60 s: only pub/sub can clear it.
    await redis.set(dbKey, '8')
    const before = await b.request<{ seats: number }>({ cmd: 'get', key, dbKey, loadsKey })
    expect(before.seats).toBe(10) // B still serves its L1 copy: the DB change alone is invisible
    const t0 = Date.now()
    await a.request({ cmd: 'invalidate', key })
    type GetReply = { seats: number; remoteInvalidations: number; lastRemoteInvalidationAt: number }
    const seen = new Map<ForkedScript, GetReply>()
    while (seen.size < 2 && Date.now() - t0 < 2_000) {
      for (const child of [b, c]) {
        if (seen.has(child)) continue
        const r = await child.request<GetReply>({ cmd: 'get', key, dbKey, loadsKey })
        if (r.seats === 8) seen.set(child, r)
      }
    }
    expect(seen.size).toBe(2)
    for (const r of seen.values()) {
      // The L1 entry was dropped by the pub/sub message (not by a TTL: L1 lives 60 s here), and
      // that happened within 100 ms of asking A to invalidate (same machine, same clock).
      expect(r.remoteInvalidations).toBe(1)
      expect(r.lastRemoteInvalidationAt - t0).toBeLessThan(100)
    }
  })
})
