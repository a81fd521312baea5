/**
 * The three servers under test, each started as its own process on a free port: the hello-world
 * ceiling, the seed's design (seed-design/server.ts) and ours (the reference API's production
 * mode, packages/ticketing-api/dist/server.js). Each contender gets a fresh database on the
 * benchmark's dedicated mariadbd and a fresh redis-server, so nothing is shared between runs.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, type Spawned, spawnServer, startRedis, uniquePrefix, waitFor } from '@ticketing/testkit'
import mysql from 'mysql2/promise'
import type { AuditSchema } from './audit.js'
import { requestJson } from './load.js'
import { NETWORKS, type NetworkModel, openLink } from './network.js'

const here = dirname(fileURLToPath(import.meta.url))

export type ContenderName = 'seedDesign' | 'ours'

export interface RunningServer {
  origin: string
  stop(): Promise<void>
}

export interface RunningContender extends RunningServer {
  name: ContenderName
  /** Process ids of the server, its redis-server and its latency proxy (if any), for the CPU meter. */
  pids: { server: number; redis: number; proxy?: number }
  /** The contender's database, reached directly (the audit's way, never through the proxy). */
  databaseUrl: string
  /** Is this answer the contender's "busy, try again"? */
  isBusy(status: number, code: string | undefined): boolean
  audit: AuditSchema
  /** Is this SQL statement (normalised) the read path of GET /api/events/:id? */
  isReadStatement(sql: string): boolean
}

async function waitHttp(origin: string, path: string, proc: Spawned, what: string): Promise<void> {
  await waitFor(
    what,
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`${what} exited with ${proc.child.exitCode}`)
      const r = await requestJson(origin, 'GET', path)
      return r.status > 0 && r.status < 500
    },
    60_000,
    200,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n--- ${what} output ---\n${proc.output()}`, { cause: error })
  })
}

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

export async function startCeiling(workers = 1): Promise<RunningServer> {
  const port = await freePort()
  const proc = spawnServer(process.execPath, tsxArgs('ceiling/server.ts'), {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WORKERS: String(workers) },
  })
  const origin = `http://127.0.0.1:${port}`
  await waitHttp(origin, '/hello', proc, 'ceiling server')
  return { origin, stop: () => proc.stop() }
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
): Promise<RunningContender> {
  const backends = await startBackends(mariaDbUrl, 'seed', network)
  const port = await freePort()
  const proc = spawnServer(process.execPath, tsxArgs('seed-design/server.ts'), {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: backends.serverDatabaseUrl,
      REDIS_URL: backends.serverRedisUrl,
      KEY_PREFIX: uniquePrefix('seed'),
      WORKERS: String(workers),
    },
  })
  const origin = `http://127.0.0.1:${port}`
  try {
    await waitHttp(origin, '/api/health', proc, 'seed-design server')
  } catch (error) {
    await proc.kill()
    await backends.stop()
    throw error
  }
  return {
    name: 'seedDesign',
    origin,
    pids: { server: proc.pid, ...backends.pids },
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
      await proc.stop()
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

export async function startOurs(
  mariaDbUrl: string,
  workers = 1,
  network: NetworkModel = NETWORKS.loopback,
): Promise<RunningContender> {
  const entry = oursEntryPoint()
  if (!entry.path) throw new Error(entry.problem)
  const backends = await startBackends(mariaDbUrl, 'ours', network)
  const port = await freePort()
  const proc = spawnServer(process.execPath, [...profileArgs(), entry.path], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: backends.serverDatabaseUrl,
      REDIS_URL: backends.serverRedisUrl,
      REDIS_KEY_PREFIX: uniquePrefix('ours'),
      AUTH_MODE: 'none',
      RATE_LIMIT_MAX: '0',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      WORKERS: String(workers),
    },
  })
  const origin = `http://127.0.0.1:${port}`
  try {
    await waitHttp(origin, '/api/health', proc, 'ticketing-api (production mode)')
    const health = await requestJson(origin, 'GET', '/api/health')
    if (health.status !== 200)
      throw new Error(`ticketing-api /api/health answered ${health.status}: ${JSON.stringify(health.json)}`)
  } catch (error) {
    await proc.kill()
    await backends.stop()
    throw error
  }
  return {
    name: 'ours',
    origin,
    pids: { server: proc.pid, ...backends.pids },
    databaseUrl: backends.databaseUrl,
    // Ours never answers "busy": any refusal other than SOLD_OUT / INSUFFICIENT_SEATS is an error.
    isBusy: () => false,
    audit: OURS_AUDIT,
    // The cache loader's getEvent (production/repositories.ts): a plain SELECT of the event row
    // by id. The group commit reads the same row FOR UPDATE: that is not a read of the read path.
    // (A cache miss taken by the reservation route would count here too: conservative.)
    isReadStatement: (sql) => /^SELECT id, event_name\b.* FROM events WHERE id = \?$/i.test(sql),
    async stop() {
      await proc.stop(10_000)
      await backends.stop()
    },
  }
}
