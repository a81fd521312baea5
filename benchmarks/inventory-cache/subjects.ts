// The three caches under test, configured alike on the same Redis: ours, bentocache
// (L1 memory + L2 redis driver on ioredis), cache-manager (Keyv memory + @keyv/redis).
import { realpathSync } from 'node:fs'
import KeyvRedis from '@keyv/redis'
import { createInventoryCache } from '@ticketing/inventory-cache'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisDriver } from 'bentocache/drivers/redis'
import { createCache } from 'cache-manager'
import { Redis } from 'ioredis'
import { Keyv } from 'keyv'
import { Bench } from 'tinybench'

/** The benchmark's only env read: where the shared Redis is. */
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

export type Loader = () => Promise<object>

/** One cache behind a common read-through call. */
export interface Subject {
  readonly name: string
  get(key: string, loader: Loader): Promise<unknown>
  close(): Promise<void>
}

export interface SubjectOptions {
  /** Use an in-process L1 in front of Redis. */
  l1: boolean
  /** Key prefix, so runs never see each other's keys. */
  prefix: string
  /** L2 TTL (and L1 TTL where the library ties them). */
  ttlMs: number
}

export async function ours(o: SubjectOptions): Promise<Subject> {
  const redis = new Redis(redisUrl)
  const cache = createInventoryCache({
    redis,
    namespace: o.prefix,
    ttlMs: o.ttlMs,
    l1: o.l1 ? { ttlMs: o.ttlMs } : { maxEntries: 0 },
    xfetchBeta: 0,
  })
  return {
    name: '@ticketing/inventory-cache',
    get: (key, loader) => cache.getOrLoad(key, loader),
    async close() {
      await cache.close()
      redis.disconnect()
    },
  }
}

export async function bento(o: SubjectOptions): Promise<Subject> {
  const redis = new Redis(redisUrl)
  let store = bentostore()
  if (o.l1) store = store.useL1Layer(memoryDriver({ maxItems: 10_000 }))
  store = store.useL2Layer(redisDriver({ connection: redis, prefix: o.prefix }))
  const cache = new BentoCache({ default: 'store', stores: { store } })
  return {
    name: 'bentocache',
    get: (key, loader) => cache.getOrSet({ key, factory: loader, ttl: o.ttlMs }),
    async close() {
      await cache.disconnectAll().catch(() => {})
      redis.disconnect()
    },
  }
}

export async function cacheManager(o: SubjectOptions): Promise<Subject> {
  const l2 = new Keyv({ store: new KeyvRedis(redisUrl), namespace: o.prefix })
  const stores = o.l1 ? [new Keyv(), l2] : [l2]
  const cache = createCache({ stores })
  return {
    name: 'cache-manager',
    get: (key, loader) => cache.wrap(key, loader, o.ttlMs),
    async close() {
      await cache.disconnect().catch(() => {})
    },
  }
}

/** The subjects, in table order; `name` is the library's package name. */
export const factories: Array<{ name: string; create: (o: SubjectOptions) => Promise<Subject> }> = [
  { name: '@ticketing/inventory-cache', create: ours },
  { name: 'bentocache', create: bento },
  { name: 'cache-manager', create: cacheManager },
]

/** A row of a results table: median latency per operation and throughput. */
export interface Row {
  scenario: string
  subject: string
  /** Median latency of one operation, µs. */
  medianUs: number
  /** Median throughput, operations per second. */
  opsPerSec: number
  note?: string
}

export function printRows(rows: Row[]): void {
  const base = new Map(rows.filter((r) => r.subject === 'bentocache').map((r) => [r.scenario, r]))
  console.log('| scenario | library | median µs/op | ops/s (median) | vs bentocache |')
  console.log('|---|---|---:|---:|---:|')
  for (const r of rows) {
    const b = base.get(r.scenario)
    const ratio = b ? `${(b.medianUs / r.medianUs).toFixed(2)}×` : '–'
    console.log(
      `| ${r.scenario} | ${r.subject} | ${r.medianUs.toFixed(2)} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} | ${ratio} |`,
    )
  }
}

/**
 * Runs one tinybench task per subject, `rounds` times, rotating the order each round, and
 * reports the median over rounds of each task's median. On a shared 2-core box the load drifts
 * during a run; interleaving keeps that drift from landing on one library only.
 */
export async function interleaved(
  scenario: string,
  tasks: Array<{ name: string; fn: () => Promise<unknown> }>,
  { rounds = 5, timeMs = 400, perIteration = 1 } = {},
): Promise<Row[]> {
  const latencies = new Map<string, number[]>()
  const throughputs = new Map<string, number[]>()
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({ time: timeMs, warmupTime: 100 })
    const order = tasks.map((_, i) => tasks[(i + r) % tasks.length]!)
    for (const t of order) bench.add(t.name, t.fn)
    await bench.run()
    for (const t of bench.tasks) {
      const result = t.result as { latency: { p50: number }; throughput: { p50: number } }
      latencies.set(t.name, [...(latencies.get(t.name) ?? []), result.latency.p50])
      throughputs.set(t.name, [...(throughputs.get(t.name) ?? []), result.throughput.p50])
    }
  }
  return tasks.map((t) => ({
    scenario,
    subject: t.name,
    medianUs: (median(latencies.get(t.name)!) * 1000) / perIteration,
    opsPerSec: median(throughputs.get(t.name)!) * perIteration,
  }))
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** True when `url` (import.meta.url) is the script node was started with. */
export function isMain(url: string): boolean {
  const entry = process.argv[1]
  return entry !== undefined && new URL(url).pathname === realpathSync(entry)
}
