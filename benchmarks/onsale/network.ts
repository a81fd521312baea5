/**
 * The on-sale benchmark's network models (`--network=aws,loopback`): what lies between a
 * contender and its MySQL and Redis. Both contenders pay the same model; the ceiling (no I/O)
 * pays none.
 *
 * - loopback: nothing; the dedicated mariadbd with innodb_flush_log_at_trx_commit=2 (no fsync per
 *   commit), as every run before this model.
 * - aws: the reference deployment (ALB → instances in 2 AZs → Aurora MySQL writer, ElastiCache
 *   primary), seen from an instance in the *other* AZ than the writer and the primary, which is
 *   where half of the Auto Scaling Group runs. Figures and their sources are in onsale/README.md
 *   ("The network model"):
 *   - `rttMs` 1: a round trip between two AZs of one region. AWS states "single-digit
 *     millisecond" latency between AZs; its Network Manager Infrastructure Performance publishes
 *     P50 inter-AZ round trips, and public measurements of all AZ pairs give 0.25–3.4 ms, most
 *     pairs under 1.5 ms (James Hamilton, re:Invent 2014: "<2 ms, usually <1 ms").
 *   - `commitMs` 2: an Aurora commit waits until 4 of the 6 storage copies (2 per AZ, 3 AZs) have
 *     the redo record, which takes at least one more inter-AZ round trip from the writer plus
 *     the storage nodes' own write; public COMMIT latency measurements of Aurora MySQL are in
 *     the low milliseconds. We charge 2 ms on top of the query's own round trip.
 *   - the dedicated mariadbd runs with innodb_flush_log_at_trx_commit=1: each commit is
 *     durable, as Aurora's is, so the local fsync is paid too (on top of `commitMs`: pessimistic
 *     for whichever design commits more often).
 */
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { spawnServer } from '@ticketing/testkit'
import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import type { LinkSpec } from './latency-proxy.js'

export interface NetworkModel {
  name: 'loopback' | 'aws'
  /** Round trip added to every request to MySQL and Redis (ms). */
  rttMs: number
  /** Added to a MySQL query that commits (COMMIT statement), on top of `rttMs` (ms). */
  commitMs: number
  /** innodb_flush_log_at_trx_commit of the dedicated mariadbd. */
  flushLogAtTrxCommit: 1 | 2
}

export const NETWORKS: Record<NetworkModel['name'], NetworkModel> = {
  loopback: { name: 'loopback', rttMs: 0, commitMs: 0, flushLogAtTrxCommit: 2 },
  aws: { name: 'aws', rttMs: 1, commitMs: 2, flushLogAtTrxCommit: 1 },
}

/** Parses `--network=aws,loopback`; the first one is the headline. */
export function parseNetworks(value: string): NetworkModel[] {
  return value.split(',').map((name) => {
    const model = NETWORKS[name as NetworkModel['name']]
    if (!model)
      throw new Error(`--network: unknown model "${name}" (known: ${Object.keys(NETWORKS).join(', ')})`)
    return model
  })
}

/** A contender's way to its MySQL and Redis under a model. */
export interface Link {
  mysqlPort: number
  redisPort: number
  /** The proxy process (for the CPU meter), when the model has one. */
  pid?: number
  stop(): Promise<void>
}

/** Routes a contender's MySQL and Redis through the model's proxy process (none for loopback). */
export async function openLink(
  model: NetworkModel,
  target: { mysqlPort: number; redisPort: number },
): Promise<Link> {
  if (model.rttMs === 0 && model.commitMs === 0) return { ...target, stop: async () => {} }
  const specs: LinkSpec[] = [
    { targetPort: target.mysqlPort, rttMs: model.rttMs, commitMs: model.commitMs },
    { targetPort: target.redisPort, rttMs: model.rttMs, commitMs: 0 },
  ]
  const script = fileURLToPath(new URL('./latency-proxy.ts', import.meta.url))
  const proc = spawnServer(process.execPath, ['--import', 'tsx', script, JSON.stringify(specs)])
  const lines = createInterface({ input: proc.child.stdout! })
  const ports = await new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`latency proxy did not start:\n${proc.output()}`)),
      30_000,
    )
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolve((JSON.parse(line) as { ports: number[] }).ports)
    })
  }).catch(async (error) => {
    await proc.kill()
    throw error
  })
  lines.close()
  return { mysqlPort: ports[0]!, redisPort: ports[1]!, pid: proc.pid, stop: () => proc.stop() }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!

/**
 * What the model really adds, measured through a link and directly (medians of 50 round trips,
 * ms): Redis PING, MySQL `SELECT 1`, and MySQL `BEGIN; … COMMIT` of an empty transaction. Timers
 * are whole milliseconds, so this can differ from the model's figures: the README quotes both.
 */
export async function calibrate(link: Link, direct: { mysqlPort: number; redisPort: number }) {
  const time = async (fn: () => Promise<unknown>) => {
    const out: number[] = []
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now()
      await fn()
      out.push(performance.now() - t0)
    }
    return Math.round(median(out) * 100) / 100
  }
  const measure = async (mysqlPort: number, redisPort: number) => {
    const redis = new Redis({ host: '127.0.0.1', port: redisPort, lazyConnect: true })
    const db = await mysql.createConnection({ host: '127.0.0.1', port: mysqlPort, user: 'root' })
    try {
      await redis.connect()
      return {
        redisPingMs: await time(() => redis.ping()),
        mysqlSelectMs: await time(() => db.query('SELECT 1')),
        mysqlCommitMs: await time(async () => {
          await db.query('BEGIN')
          await db.query('COMMIT')
        }),
      }
    } finally {
      redis.disconnect()
      await db.end()
    }
  }
  return {
    proxied: await measure(link.mysqlPort, link.redisPort),
    direct: await measure(direct.mysqlPort, direct.redisPort),
  }
}
