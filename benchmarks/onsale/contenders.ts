/**
 * The three servers under test, in the production shape: `instances` processes of each behind
 * HAProxy (testkit `startFleet`, the ALB stand-in: round-robin, X-Forwarded-For, health checks):
 * the hello-world ceiling, the seed's design (seed-design/server.ts) and ours (the reference API's
 * production mode, packages/ticketing-api/dist/server.js, with its production defaults: JWT on,
 * default rate limits, TRUST_PROXY=1 for the one proxy hop). Each contender gets a fresh database
 * on the benchmark's dedicated mariadbd and a fresh redis-server, so nothing is shared between runs.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type Fleet,
  mintJwt,
  type Spawned,
  spawnServer,
  startFleet,
  startRedis,
  uniquePrefix,
} from '@ticketing/testkit'
import mysql from 'mysql2/promise'
import type { AuditSchema } from './audit.js'
import { NETWORKS, type NetworkModel, openLink } from './network.js'

const here = dirname(fileURLToPath(import.meta.url))

export type ContenderName = 'seedDesign' | 'ours'

export interface RunningServer {
  /** The load balancer's URL: what the load generator calls. */
  origin: string
  /** Process ids for the CPU meter: the API instances and the load balancer (HAProxy). */
  pids: { server: number[]; loadBalancer: number }
  stop(): Promise<void>
}

export interface RunningContender extends RunningServer {
  name: ContenderName
  /**
   * Process ids of the API instances, the load balancer, the redis-server and the latency proxy
   * (if any), for the CPU meter.
   */
  pids: { server: number[]; loadBalancer: number; redis: number; proxy?: number }
  /** Headers that let the harness create events (an admin token for ours; none for the seed's open API). */
  adminHeaders: Record<string, string>
  /** Headers of one buyer's requests (a token whose `sub` is `userId` for ours). */
  buyerHeaders?: (userId: string) => Record<string, string>
  /** The contender's database, reached directly (the audit's way, never through the proxy). */
  databaseUrl: string
  /** Is this answer the contender's "busy, try again"? */
  isBusy(status: number, code: string | undefined): boolean
  audit: AuditSchema
  /** Is this SQL statement (normalised) the read path of GET /api/events/:id? */
  isReadStatement(sql: string): boolean
}

/**
 * The load balancer's health checks in the benchmarks' fleets. The reference stack's target
 * group takes an instance out after 3 failed checks 15 s apart (an ALB's defaults: 2, 30 s);
 * testkit's defaults (2 checks 500 ms apart, 500 ms each) suit the fault tests, but on this
 * shared 2-core machine a saturated or fresh instance misses a check or two, and both were
 * taken out at the start of a flash crowd (HAProxy's own 503s). 10 failed checks, 1 s apart,
 * before an instance is taken out.
 */
export const BENCH_HEALTH_CHECKS = { healthIntervalMs: 1000, unhealthyThreshold: 10 } as const

/**
 * Starts `instances` processes of a server behind HAProxy (testkit's fleet: instance 0 first, so
 * that it runs the migrations alone), each ready when `readyPath` answers 200. On failure the
 * message carries the end of each instance's output.
 */
async function startBehindProxy(
  what: string,
  instances: number,
  readyPath: string,
  spawn: (env: { PORT: string; HOST: string }) => Spawned,
): Promise<Fleet> {
  const started: Spawned[] = []
  try {
    return await startFleet({
      instances,
      healthPath: readyPath,
      startTimeoutMs: 60_000,
      loadBalancer: BENCH_HEALTH_CHECKS,
      spawn: (_i, env) => {
        const proc = spawn(env)
        started.push(proc)
        return proc
      },
    })
  } catch (error) {
    const outputs = started.map((p, i) => `--- ${what} instance ${i} output ---\n${p.output()}`).join('\n')
    throw new Error(`${what}: ${(error as Error).message}\n${outputs}`, { cause: error })
  }
}

const fleetPids = (fleet: Fleet) => ({
  server: fleet.instances.map((i) => i.pid),
  loadBalancer: fleet.loadBalancer.pid,
})

/**
 * With ONSALE_CPU_PROF=<dir>, the servers under test write a V8 CPU profile there when they stop
 * (`npm run bench:onsale -- --cpu-prof`); profile-summary.ts prints where their time went.
 */
function profileArgs(): string[] {
  const dir = process.env.ONSALE_CPU_PROF
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []
}

function tsxArgs(script: string): string[] {
  return [...profileArgs(), '--import', 'tsx', join(here, script)]
}

/** The hello-world ceiling, behind the same proxy as the contenders (the same path to a handler). */
export async function startCeiling(workers = 1, instances = 1): Promise<RunningServer> {
  const fleet = await startBehindProxy('ceiling server', instances, '/hello', (env) =>
    spawnServer(process.execPath, tsxArgs('ceiling/server.ts'), {
      env: { ...process.env, ...env, WORKERS: String(workers) },
    }),
  )
  return { origin: fleet.url, pids: fleetPids(fleet), stop: () => fleet.stop() }
}

async function createDatabase(serverUrl: string, label: string): Promise<string> {
  const name = `${label}_${uniquePrefix('x').slice(2)}`
  const admin = await mysql.createConnection(serverUrl)
  try {
    await admin.query(`CREATE DATABASE \`${name}\``)
  } finally {
    await admin.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/**
 * A contender's fresh database and redis-server, and the URLs its server uses to reach them:
 * through the network model's latency proxy when it has one.
 */
async function startBackends(mariaDbUrl: string, label: string, network: NetworkModel) {
  const databaseUrl = await createDatabase(mariaDbUrl, label)
  const redis = await startRedis()
  let link: Awaited<ReturnType<typeof openLink>>
  try {
    link = await openLink(network, { mysqlPort: Number(new URL(databaseUrl).port), redisPort: redis.port })
  } catch (error) {
    await redis.stop()
    throw error
  }
  const serverDatabaseUrl = new URL(databaseUrl)
  serverDatabaseUrl.port = String(link.mysqlPort)
  return {
    databaseUrl,
    serverDatabaseUrl: serverDatabaseUrl.toString(),
    serverRedisUrl: `redis://127.0.0.1:${link.redisPort}`,
    pids: { redis: redis.process.pid, ...(link.pid === undefined ? {} : { proxy: link.pid }) },
    async stop() {
      await link.stop()
      await redis.stop()
    },
  }
}

export async function startSeedDesign(
  mariaDbUrl: string,
  workers = 1,
  network: NetworkModel = NETWORKS.loopback,
  instances = 1,
): Promise<RunningContender> {
  const backends = await startBackends(mariaDbUrl, 'seed', network)
  // One key prefix for all instances: they share the per-event lock and the cache, as the seed's do.
  const keyPrefix = uniquePrefix('seed')
  let fleet: Fleet
  try {
    fleet = await startBehindProxy('seed-design server', instances, '/api/health', (env) =>
      spawnServer(process.execPath, tsxArgs('seed-design/server.ts'), {
        env: {
          ...process.env,
          ...env,
          DATABASE_URL: backends.serverDatabaseUrl,
          REDIS_URL: backends.serverRedisUrl,
          KEY_PREFIX: keyPrefix,
          WORKERS: String(workers),
        },
      }),
    )
  } catch (error) {
    await backends.stop()
    throw error
  }
  const origin = fleet.url
  return {
    name: 'seedDesign',
    origin,
    pids: { ...fleetPids(fleet), ...backends.pids },
    // The seed's API is open (no authentication, no rate limit): it keeps that here.
    adminHeaders: {},
    databaseUrl: backends.databaseUrl,
    isBusy: (status, code) => status === 409 && code === 'LOCK_BUSY',
    audit: {
      eventSql: 'SELECT total_seats AS total, available_seats AS available FROM events WHERE event_id = ?',
      reservationsSql:
        'SELECT reservation_id AS id, quantity, client_key AS idem_key FROM reservations WHERE event_id = ?',
    },
    // The cached GET's loader selects event_name; the reservation path's read does not.
    isReadStatement: (sql) => /^SELECT event_id, event_name\b/i.test(sql),
    async stop() {
      await fleet.stop()
      await backends.stop()
    },
  }
}

/** How the reference API's tables hold an event and its confirmed reservations (audit.ts). */
export const OURS_AUDIT: AuditSchema = {
  eventSql: 'SELECT total_seats AS total, available_seats AS available FROM events WHERE id = ?',
  reservationsSql:
    "SELECT id, quantity, NULL AS idem_key FROM reservations WHERE event_id = ? AND status = 'CONFIRMED'",
}

/** Where the reference API's production entry point is, or why it cannot run. */
export function oursEntryPoint(): { path?: string; problem?: string } {
  // ONSALE_API_ENTRY points at another build of the same server (e.g. of a given commit).
  const override = process.env.ONSALE_API_ENTRY
  if (override)
    return existsSync(override)
      ? { path: override }
      : { problem: `ONSALE_API_ENTRY=${override} does not exist` }
  let dir: string
  try {
    dir = dirname(createRequire(import.meta.url).resolve('@ticketing/ticketing-api/package.json'))
  } catch {
    return { problem: '@ticketing/ticketing-api is not installed' }
  }
  const path = join(dir, 'dist', 'server.js')
  if (!existsSync(path)) {
    return {
      problem: `${path} does not exist: build it with npx lerna run build --scope @ticketing/ticketing-api --include-dependencies`,
    }
  }
  return { path }
}

/**
 * The HS256 secret ours runs with in the benchmark; the harness mints its buyers' and its admin's
 * tokens with it (testkit `mintJwt`), as an identity provider would.
 */
const JWT_SECRET = 'onsale-benchmark-test-secret-not-for-production'

export async function startOurs(
  mariaDbUrl: string,
  workers = 1,
  network: NetworkModel = NETWORKS.loopback,
  instances = 1,
): Promise<RunningContender> {
  const entry = oursEntryPoint()
  if (!entry.path) throw new Error(entry.problem)
  const backends = await startBackends(mariaDbUrl, 'ours', network)
  const keyPrefix = uniquePrefix('ours')
  let fleet: Fleet
  try {
    fleet = await startBehindProxy('ticketing-api (production mode)', instances, '/api/health', (env) =>
      spawnServer(process.execPath, [...profileArgs(), entry.path!], {
        env: {
          ...process.env,
          ...env,
          DATABASE_URL: backends.serverDatabaseUrl,
          REDIS_URL: backends.serverRedisUrl,
          REDIS_KEY_PREFIX: keyPrefix,
          // Production defaults: AUTH_MODE (jwt) and the rate limits are left unset on purpose.
          JWT_SECRET,
          // One proxy hop (HAProxy, as the ALB in the deploy stack): its X-Forwarded-For is believed.
          TRUST_PROXY: '1',
          LOG_LEVEL: 'warn',
          NODE_ENV: 'production',
          WORKERS: String(workers),
        },
      }),
    )
  } catch (error) {
    await backends.stop()
    throw error
  }
  const origin = fleet.url
  // Tokens are minted once per buyer (a buyer keeps its token for its reads and its attempt).
  const adminHeaders = {
    authorization: `Bearer ${mintJwt('onsale-admin', { secret: JWT_SECRET, admin: true })}`,
  }
  return {
    name: 'ours',
    origin,
    pids: { ...fleetPids(fleet), ...backends.pids },
    adminHeaders,
    buyerHeaders: (userId) => ({ authorization: `Bearer ${mintJwt(userId, { secret: JWT_SECRET })}` }),
    databaseUrl: backends.databaseUrl,
    // Ours never answers "busy": any refusal other than SOLD_OUT / INSUFFICIENT_SEATS is an error.
    isBusy: () => false,
    audit: OURS_AUDIT,
    // The cache loader's getEvent (production/repositories.ts): a plain SELECT of the event row
    // by id. The group commit reads the same row FOR UPDATE: that is not a read of the read path.
    // (A cache miss taken by the reservation route would count here too: conservative.)
    isReadStatement: (sql) => /^SELECT id, event_name\b.* FROM events WHERE id = \?$/i.test(sql),
    async stop() {
      await fleet.stop()
      await backends.stop()
    },
  }
}
