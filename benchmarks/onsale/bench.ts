/**
 * The on-sale macro benchmark as a function (run.ts is its CLI, the smoke test calls it with tiny
 * numbers): for each connection count, the hello-world ceiling, then the seed's design, then ours,
 * one after the other on the same dedicated mariadbd, each against one hot event.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sourceAddress, startMariaDb, startRedis } from '@ticketing/testkit'
import mysql from 'mysql2/promise'
import { audit } from './audit.js'
import {
  type RunningContender,
  type RunningServer,
  startCeiling,
  startOurs,
  startSeedDesign,
} from './contenders.js'
import { cpuMeter } from './cpu.js'
import { type BuyersResult, hammer, requestJson, runBuyers } from './load.js'
import { calibrate, NETWORKS, type NetworkModel, openLink } from './network.js'
import { merge, QueryLog, type StatementCounts, split } from './query-log.js'
import { round, Samples, type SeriesPoint, type Summary, series, summarize } from './stats.js'

export interface OnSaleOptions {
  /** Seats of the hot event. @default 10_000 */
  seats: number
  /** Connection counts, one full run each; the first is the headline. @default [200, 1000] */
  connections: number[]
  /** Cap on one contender's on-sale phase. @default 90_000 */
  maxSaleMs: number
  /** How long buyers go on after the first SOLD_OUT, to measure the rejection path. @default 5_000 */
  afterSellOutMs: number
  /**
   * Cap on the write-only phase (no reads: every connection only reserves, on a fresh event of
   * `seats`), which measures each design's raw selling rate. 0 skips it. @default 30_000
   */
  writeOnlyMs: number
  /** Ceiling and cached-read phases. @default 10_000 */
  steadyMs: number
  /**
   * Warm-up of the ceiling (and of the generator): Node needs a few seconds of load before it serves
   * at full speed. @default 3_000
   */
  ceilingWarmupMs: number
  /** Warm-up (JIT, pools) before each measured phase, not recorded. @default 2_000 */
  warmupMs: number
  readsPerAttempt: number
  resendRatio: number
  busyRetryMs: number
  /** Width of the time-series buckets. @default 1_000 */
  bucketMs: number
  /**
   * Server processes per contender (WORKERS), the same for the ceiling, the seed's design and
   * ours. @default 1
   */
  workers: number
  /**
   * API processes behind the load balancer (HAProxy, testkit's fleet), the same for the ceiling,
   * the seed's design and ours. @default 1
   */
  instances: number
  /** Which contenders to run. @default ['seedDesign', 'ours'] */
  contenders: Array<'seedDesign' | 'ours'>
  /** What lies between the contenders and MySQL / Redis (network.ts). @default NETWORKS.loopback */
  network: NetworkModel
  log: (line: string) => void
  /** Progress line (overwritten in place on a TTY). */
  progress: (line: string) => void
}

export const DEFAULTS: Omit<OnSaleOptions, 'log' | 'progress'> = {
  seats: 10_000,
  connections: [200, 1000],
  maxSaleMs: 90_000,
  afterSellOutMs: 5_000,
  writeOnlyMs: 30_000,
  steadyMs: 10_000,
  warmupMs: 2_000,
  ceilingWarmupMs: 3_000,
  readsPerAttempt: 10,
  resendRatio: 0.1,
  busyRetryMs: 500,
  bucketMs: 1_000,
  workers: 1,
  instances: 1,
  contenders: ['seedDesign', 'ours'],
  network: NETWORKS.loopback,
}

export interface CeilingResult {
  connections: number
  /** The higher of the two measurements (before and after the contenders): the stricter ceiling. */
  rps: number
  /** req/s measured before and after the contenders. */
  rpsBeforeAfter: number[]
  p50Ms: number
  p99Ms: number
  errors: number
  /** Cores used by the hello-world instances and by the load balancer in front of them. */
  cpuCores: Record<string, number>
  series: SeriesPoint[]
}

export interface ContenderResult {
  connections: number
  soldOut: boolean
  timeToSellOutSec: number | null
  confirmedReservations: number
  confirmedSeats: number
  /** Confirmed reservations per second until sell-out (or over the whole phase if it did not). */
  confirmedPerSec: number
  seatsPerSec: number
  /** Attempt latency (first send → final answer, busy retries included) while seats remained. */
  p50Ms: number
  p99Ms: number
  /** Attempt latency once the event was sold out (the rejection path). */
  afterSellOut: Summary
  /** Every reservation POST on its own (busy answers are individual requests). */
  perRequest: Summary
  readP50Ms: number
  readP99Ms: number
  reads: number
  /** Every request served per second while seats remained (reads + reservations, acked after commit). */
  sellingReqPerSec: number
  attempts: number
  busyAnswers: number
  failedAttempts: number
  openAttempts: number
  errors: Record<string, number>
  readErrors: number
  falseRejections: number
  falseRejectionExamples: unknown[]
  oversold: number
  duplicates: number
  lostAcks: number
  unacknowledgedRows: number
  i1: { holds: boolean; total: number; available: number; soldSeats: number }
  resends: { sent: number; sameAnswer: number; newSale: number; otherAnswer: number }
  /** Reads sent after the last sale was acknowledged that still showed seats. */
  staleReadsAfterSellOut: number
  staleReadWindowMs: number
  dbQueriesPerRead: number
  readsTouchingDbPct: number
  dbStatementsPerReservationRequest: number
  /**
   * DB statements (outside the read path) per reservation request answered after the first
   * SOLD_OUT: what the rejection path costs MySQL (null if the event did not sell out).
   */
  dbStatementsPerRefusalAfterSellOut: number | null
  dbStatements: Record<string, number>
  cachedReads: { rps: number; p50Ms: number; p99Ms: number; dbQueriesPerRead: number }
  /** The same buyers without reads: the raw selling rate of the design (null when skipped). */
  writeOnly: WriteOnlyResult | null
  /** Cores used per process (server, its redis, mariadb, the load generator) in each phase. */
  cpuCores: Record<string, Record<string, number>>
  series: { confirmedPerSec: SeriesPoint[]; requestsPerSec: SeriesPoint[] }
}

export interface WriteOnlyResult {
  soldOut: boolean
  timeToSellOutSec: number | null
  confirmedReservations: number
  confirmedPerSec: number
  /** Reservation POSTs answered per second until sell-out (busy answers included). */
  reservationReqPerSec: number
  p50Ms: number
  p99Ms: number
  busyAnswers: number
  falseRejections: number
  oversold: number
  duplicates: number
  lostAcks: number
  i1Holds: boolean
}

export interface PendingResult {
  pending: true
  reason: string
}

/** The network model of a run, with what it really added (calibrate() in network.ts). */
export interface NetworkRecord extends NetworkModel {
  /** innodb_flush_log_at_trx_commit as the dedicated mariadbd reports it. */
  flushLogAtTrxCommitSeen: number
  measured: Awaited<ReturnType<typeof calibrate>> | null
}

export interface ConnectionRun {
  connections: number
  network: NetworkRecord
  ceiling: CeilingResult
  seedDesign?: ContenderResult | PendingResult
  ours?: ContenderResult | PendingResult
}

export function isMeasured(r: ContenderResult | PendingResult | undefined): r is ContenderResult {
  return r !== undefined && !('pending' in r)
}

async function warmUp(server: RunningServer, path: string, connections: number, ms: number): Promise<void> {
  if (ms > 0) await hammer(server.origin, path, connections, ms, undefined, sourceAddress)
}

async function createEvent(contender: RunningContender, name: string, seats: number): Promise<number> {
  const r = await requestJson(
    contender.origin,
    'POST',
    '/api/events',
    { eventName: name, totalSeats: seats, eventDate: '2027-12-31T19:00:00' },
    contender.adminHeaders,
  )
  const data = (r.json as { data?: { eventId?: number } }).data
  if (r.status !== 201 || typeof data?.eventId !== 'number')
    throw new Error(`POST /api/events answered ${r.status}: ${JSON.stringify(r.json)}`)
  return data.eventId
}

async function measureCeiling(connections: number, o: OnSaleOptions): Promise<CeilingResult> {
  const server = await startCeiling(o.workers, o.instances)
  try {
    await warmUp(server, '/hello', connections, o.ceilingWarmupMs)
    const meter = cpuMeter({ ...server.pids, generator: process.pid })
    const r = await hammer(
      server.origin,
      '/hello',
      connections,
      o.steadyMs,
      (ms, done) => o.progress(`[ceiling ${connections}c] ${(ms / 1000).toFixed(0)}s  ${done} requests`),
      sourceAddress,
    )
    const cpuCores = meter.stop()
    const s = summarize(r.latency.latencies)
    return {
      connections,
      rps: round(r.rps, 0),
      rpsBeforeAfter: [round(r.rps, 0)],
      p50Ms: s.p50Ms,
      p99Ms: s.p99Ms,
      errors: r.errors,
      cpuCores,
      series: series(r.latency.times, r.latency, r.durationMs, o.bucketMs),
    }
  } finally {
    await server.stop()
  }
}

async function measureContender(
  contender: RunningContender,
  connections: number,
  queryLog: QueryLog,
  logDir: string,
  mariadbPid: number,
  o: OnSaleOptions,
): Promise<ContenderResult> {
  const meter = () => cpuMeter({ ...contender.pids, mariadb: mariadbPid, generator: process.pid })
  const label = `${contender.name} ${connections}c`
  // A separate, roomy event takes the warm-up sales, so the hot event starts untouched. Roomy,
  // not huge: seat-lock puts an event's units on sale in one Lua call (1M units take seconds
  // of Redis time on a loaded machine, past the API's 5 s request deadline).
  const warmEvent = await createEvent(contender, 'warm-up', 100_000)
  const hotEvent = await createEvent(contender, 'IU concert', o.seats)
  if (o.warmupMs > 0) {
    await runBuyers({
      origin: contender.origin,
      eventId: warmEvent,
      connections: Math.min(connections, 50),
      readsPerAttempt: o.readsPerAttempt,
      resendRatio: 0,
      busyRetryMs: o.busyRetryMs,
      maxDurationMs: o.warmupMs,
      afterSellOutMs: 0,
      isBusy: contender.isBusy,
      sourceAddress,
      buyerHeaders: contender.buyerHeaders,
    })
  }

  const saleLog = join(logDir, `${contender.name}-${connections}-sale.log`)
  const afterLog = join(logDir, `${contender.name}-${connections}-after.log`)
  await queryLog.start(saleLog)
  // From the first SOLD_OUT on, statements go to a second file: what does a refusal cost the DB?
  let rotated: Promise<void> | undefined
  const saleCpu = meter()
  const run = await runBuyers({
    origin: contender.origin,
    eventId: hotEvent,
    connections,
    readsPerAttempt: o.readsPerAttempt,
    resendRatio: o.resendRatio,
    busyRetryMs: o.busyRetryMs,
    maxDurationMs: o.maxSaleMs,
    afterSellOutMs: o.afterSellOutMs,
    isBusy: contender.isBusy,
    sourceAddress,
    buyerHeaders: contender.buyerHeaders,
    onSoldOut: () => {
      rotated = queryLog.rotate(afterLog)
    },
    onProgress: (p) =>
      o.progress(
        `[${label}] ${(p.elapsedMs / 1000).toFixed(0)}s  confirmed ${p.confirmed} (${p.confirmedSeats}/${o.seats} seats)` +
          `  requests ${p.requests}  busy ${p.busy}${p.soldOutSeenAt !== undefined ? '  SOLD OUT' : ''}`,
      ),
  })
  const cpu: Record<string, Record<string, number>> = { sale: saleCpu.stop() }
  await rotated
  const [beforeSellOut, afterSellOut] = (await queryLog.stop(saleLog, afterLog)) as [
    StatementCounts,
    StatementCounts,
  ]
  const saleStatements = merge(beforeSellOut, afterSellOut)

  const readLog = join(logDir, `${contender.name}-${connections}-reads.log`)
  await queryLog.start(readLog)
  const readCpu = meter()
  // Anonymous public reads (no token), one client address per connection: the address budget.
  const cached = await hammer(
    contender.origin,
    `/api/events/${hotEvent}`,
    connections,
    o.steadyMs,
    (ms, done) => o.progress(`[${label} cached reads] ${(ms / 1000).toFixed(0)}s  ${done} reads`),
    sourceAddress,
  )
  cpu.cachedReads = readCpu.stop()
  const [readStatements] = (await queryLog.stop(readLog)) as [StatementCounts]

  const checked = await audit(contender.databaseUrl, contender.audit, hotEvent, run)
  const writeCpu = meter()
  const writeOnly = o.writeOnlyMs > 0 ? await measureWriteOnly(contender, connections, o) : null
  if (writeOnly) cpu.writeOnly = writeCpu.stop()
  return summarise(run, checked, writeOnly, {
    cpu,
    connections,
    saleStatements: split(saleStatements, contender.isReadStatement),
    afterSellOutStatements:
      run.soldOutSeenAt !== undefined ? split(afterSellOut, contender.isReadStatement).other : null,
    saleByStatement: Object.fromEntries(saleStatements.byStatement),
    cachedReadQueries: split(readStatements, contender.isReadStatement).read,
    cached,
    bucketMs: o.bucketMs,
  })
}

/** Every connection only reserves, on a fresh event: how fast does the design sell? */
async function measureWriteOnly(
  contender: RunningContender,
  connections: number,
  o: OnSaleOptions,
): Promise<WriteOnlyResult> {
  const label = `${contender.name} ${connections}c write-only`
  const eventId = await createEvent(contender, 'write-only', o.seats)
  const run = await runBuyers({
    origin: contender.origin,
    eventId,
    connections,
    readsPerAttempt: 0,
    resendRatio: o.resendRatio,
    busyRetryMs: o.busyRetryMs,
    maxDurationMs: o.writeOnlyMs,
    afterSellOutMs: 1_000,
    isBusy: contender.isBusy,
    sourceAddress,
    buyerHeaders: contender.buyerHeaders,
    onProgress: (p) =>
      o.progress(
        `[${label}] ${(p.elapsedMs / 1000).toFixed(0)}s  confirmed ${p.confirmed} (${p.confirmedSeats}/${o.seats} seats)  busy ${p.busy}`,
      ),
  })
  const checked = await audit(contender.databaseUrl, contender.audit, eventId, run)
  const end = checked.soldOutAtMs ?? run.durationMs
  const latency = run.attempts
    .filter((a) => a.endAt !== undefined && a.outcome !== 'open' && a.firstSentAt < end)
    .map((a) => a.endAt! - a.firstSentAt)
  const s = summarize(latency)
  return {
    soldOut: checked.soldOutAtMs !== undefined,
    timeToSellOutSec: checked.soldOutAtMs !== undefined ? round(end / 1000, 3) : null,
    confirmedReservations: checked.rows,
    confirmedPerSec: round((checked.rows * 1000) / end, 1),
    reservationReqPerSec: round((run.posts.times.filter((t) => t < end).length * 1000) / end, 0),
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
    busyAnswers: run.attempts.reduce((n, a) => n + a.busy, 0),
    falseRejections: checked.falseRejections,
    oversold: checked.oversold,
    duplicates: checked.duplicates,
    lostAcks: checked.lostAcks,
    i1Holds: checked.i1Holds,
  }
}

function summarise(
  run: BuyersResult,
  checked: Awaited<ReturnType<typeof audit>>,
  writeOnly: WriteOnlyResult | null,
  extra: {
    cpu: Record<string, Record<string, number>>
    connections: number
    saleStatements: { read: number; other: number }
    afterSellOutStatements: number | null
    saleByStatement: Record<string, number>
    cachedReadQueries: number
    cached: Awaited<ReturnType<typeof hammer>>
    bucketMs: number
  },
): ContenderResult {
  const soldOut = checked.soldOutAtMs !== undefined
  const sellingEnd = checked.soldOutAtMs ?? run.durationMs
  const sellingLatency: number[] = []
  const afterLatency: number[] = []
  for (const a of run.attempts) {
    if (a.endAt === undefined || a.outcome === 'open') continue
    const ms = a.endAt - a.firstSentAt
    if (a.firstSentAt < sellingEnd) sellingLatency.push(ms)
    else afterLatency.push(ms)
  }
  const selling = summarize(sellingLatency)
  const reads = summarize(run.reads.latencies)
  const requestsWhileSelling =
    run.reads.times.filter((t) => t < sellingEnd).length +
    run.posts.times.filter((t) => t < sellingEnd).length

  // First acknowledgements only: a replayed 201 is not a second sale.
  const firstAck = new Map<string, number>()
  for (const c of run.confirmations)
    firstAck.set(c.reservationId, Math.min(firstAck.get(c.reservationId) ?? Infinity, c.ackAt))
  const attemptLatency = new Samples()
  for (const a of run.attempts)
    if (a.endAt !== undefined) attemptLatency.add(a.endAt, a.endAt - a.firstSentAt)

  let resendSame = 0
  let resendNewSale = 0
  let resendOther = 0
  for (const r of run.resends) {
    if (r.status === r.firstStatus && r.reservationId === r.firstReservationId) resendSame++
    else if (r.status === 201 && r.reservationId !== r.firstReservationId) resendNewSale++
    else resendOther++
  }

  let stale = 0
  let lastStale = 0
  if (checked.soldOutAtMs !== undefined) {
    for (let i = 0; i < run.reads.times.length; i++) {
      const sent = run.reads.times[i]! - run.reads.latencies[i]!
      if (sent > checked.soldOutAtMs && (run.readAvailable[i] ?? 0) > 0) {
        stale++
        lastStale = Math.max(lastStale, run.reads.times[i]!)
      }
    }
  }

  const readsServed = run.reads.count
  const postCount = run.posts.count
  const sellSec = sellingEnd / 1000
  return {
    connections: extra.connections,
    soldOut,
    timeToSellOutSec: soldOut ? round(sellSec, 3) : null,
    confirmedReservations: checked.rows,
    confirmedSeats: checked.soldSeats,
    confirmedPerSec: round(checked.rows / sellSec, 1),
    seatsPerSec: round(checked.soldSeats / sellSec, 1),
    p50Ms: selling.p50Ms,
    p99Ms: selling.p99Ms,
    afterSellOut: summarize(afterLatency),
    perRequest: summarize(run.posts.latencies),
    readP50Ms: reads.p50Ms,
    readP99Ms: reads.p99Ms,
    reads: readsServed,
    sellingReqPerSec: round(requestsWhileSelling / sellSec, 0),
    attempts: run.attempts.length,
    busyAnswers: run.attempts.reduce((s, a) => s + a.busy, 0),
    failedAttempts: run.attempts.filter((a) => a.outcome === 'failed').length,
    openAttempts: run.attempts.filter((a) => a.outcome === 'open').length,
    errors: run.errorsByStatus,
    readErrors: run.readErrors,
    falseRejections: checked.falseRejections,
    falseRejectionExamples: checked.falseRejectionExamples,
    oversold: checked.oversold,
    duplicates: checked.duplicates,
    lostAcks: checked.lostAcks,
    unacknowledgedRows: checked.unacknowledgedRows,
    i1: {
      holds: checked.i1Holds,
      total: checked.total,
      available: checked.available,
      soldSeats: checked.soldSeats,
    },
    resends: {
      sent: run.resends.length,
      sameAnswer: resendSame,
      newSale: resendNewSale,
      otherAnswer: resendOther,
    },
    staleReadsAfterSellOut: stale,
    staleReadWindowMs: stale > 0 ? round(lastStale - (checked.soldOutAtMs ?? 0), 0) : 0,
    dbQueriesPerRead: readsServed > 0 ? round(extra.saleStatements.read / readsServed, 4) : Number.NaN,
    readsTouchingDbPct:
      readsServed > 0 ? round((100 * extra.saleStatements.read) / readsServed, 2) : Number.NaN,
    dbStatementsPerReservationRequest:
      postCount > 0 ? round(extra.saleStatements.other / postCount, 2) : Number.NaN,
    dbStatementsPerRefusalAfterSellOut:
      extra.afterSellOutStatements === null
        ? null
        : round(
            extra.afterSellOutStatements /
              Math.max(1, run.posts.times.filter((t) => t > (run.soldOutSeenAt ?? Infinity)).length),
            2,
          ),
    dbStatements: extra.saleByStatement,
    cachedReads: {
      rps: round(extra.cached.rps, 0),
      ...pick(summarize(extra.cached.latency.latencies)),
      dbQueriesPerRead:
        extra.cached.ok > 0 ? round(extra.cachedReadQueries / extra.cached.ok, 4) : Number.NaN,
    },
    writeOnly,
    cpuCores: extra.cpu,
    series: {
      confirmedPerSec: series([...firstAck.values()], attemptLatency, run.durationMs, extra.bucketMs),
      requestsPerSec: series(
        [...run.reads.times, ...run.posts.times],
        run.reads,
        run.durationMs,
        extra.bucketMs,
      ),
    },
  }
}

function pick(s: Summary): { p50Ms: number; p99Ms: number } {
  return { p50Ms: s.p50Ms, p99Ms: s.p99Ms }
}

/** Runs everything; servers and databases are stopped even when a phase fails. */
export async function runOnSale(options: OnSaleOptions): Promise<ConnectionRun[]> {
  const o = options
  const logDir = await mkdtemp(join(tmpdir(), 'onsale-'))
  o.log('starting a dedicated mariadbd for the contenders…')
  // The same character set as the machine's (Debian's) MariaDB: testkit starts mariadbd with
  // --no-defaults, whose latin1 default breaks foreign keys between tables created without an
  // explicit charset and utf8mb4 ones (the API's migration 0002 hits exactly that).
  const mariadb = await startMariaDb({
    args: [
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_general_ci',
      // After testkit's own setting (2): the last one given wins.
      `--innodb-flush-log-at-trx-commit=${o.network.flushLogAtTrxCommit}`,
    ],
  })
  const queryLog = await QueryLog.open(mariadb.url)
  const runs: ConnectionRun[] = []
  try {
    const network = await describeNetwork(o.network, mariadb.url, mariadb.port)
    o.log(`network ${network.name}: ${JSON.stringify({ ...network, name: undefined })}`)
    for (const connections of o.connections) {
      o.log(`— ${connections} connections —`)
      const ceiling = await measureCeiling(connections, o)
      o.log(`ceiling: ${ceiling.rps} req/s, p99 ${ceiling.p99Ms} ms`)
      const run: ConnectionRun = { connections, network, ceiling }
      for (const name of o.contenders) {
        let contender: RunningContender
        try {
          contender =
            name === 'seedDesign'
              ? await startSeedDesign(mariadb.url, o.workers, o.network, o.instances)
              : await startOurs(mariadb.url, o.workers, o.network, o.instances)
        } catch (error) {
          const message = (error as Error).message
          // The first line says what failed; the end of the server's output usually says why.
          const reason =
            `${message.split('\n')[0]}\n${message.split('\n').slice(1).join('\n').slice(-1500)}`.trim()
          o.log(`${name}: PENDING, could not start: ${reason}`)
          run[name] = { pending: true, reason }
          continue
        }
        try {
          const result = await measureContender(
            contender,
            connections,
            queryLog,
            logDir,
            mariadb.process.pid,
            o,
          )
          run[name] = result
          o.log(
            `${name}: ${result.confirmedPerSec} confirmed/s, sold out ${result.soldOut ? `in ${result.timeToSellOutSec} s` : 'NO'}, ` +
              `p99 ${result.p99Ms} ms, false rejections ${result.falseRejections}, oversold ${result.oversold}, duplicates ${result.duplicates}`,
          )
        } finally {
          await contender.stop()
        }
      }
      // Measured again once the contenders are done (the machine and the generator warm up, and
      // other load comes and goes): the higher of the two is the ceiling.
      if (o.contenders.length > 0) {
        const again = await measureCeiling(connections, o)
        o.log(`ceiling again: ${again.rps} req/s, p99 ${again.p99Ms} ms`)
        const best = again.rps > ceiling.rps ? again : ceiling
        run.ceiling = { ...best, rpsBeforeAfter: [ceiling.rps, again.rps] }
      }
      runs.push(run)
    }
  } finally {
    await queryLog.close().catch(() => {})
    await mariadb.stop()
    await rm(logDir, { recursive: true, force: true })
  }
  return runs
}

/** The model, the flush setting the mariadbd really runs with, and what the proxy really adds. */
async function describeNetwork(
  model: NetworkModel,
  mariaDbUrl: string,
  mysqlPort: number,
): Promise<NetworkRecord> {
  const conn = await mysql.createConnection(mariaDbUrl)
  const [rows] = await conn.query('SELECT @@innodb_flush_log_at_trx_commit AS flush')
  await conn.end()
  const flushLogAtTrxCommitSeen = Number((rows as Array<{ flush: number }>)[0]!.flush)
  if (flushLogAtTrxCommitSeen !== model.flushLogAtTrxCommit)
    throw new Error(
      `mariadbd runs with innodb_flush_log_at_trx_commit=${flushLogAtTrxCommitSeen}, not ${model.flushLogAtTrxCommit}`,
    )
  if (model.rttMs === 0 && model.commitMs === 0) return { ...model, flushLogAtTrxCommitSeen, measured: null }
  const redis = await startRedis()
  const direct = { mysqlPort, redisPort: redis.port }
  const link = await openLink(model, direct)
  try {
    return { ...model, flushLogAtTrxCommitSeen, measured: await calibrate(link, direct) }
  } finally {
    await link.stop()
    await redis.stop()
  }
}
