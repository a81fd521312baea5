// One factory for both modes: the contract suite runs unchanged against embedded (memory) and
// production (MariaDB + the shared Redis under a unique key prefix).
import { join } from 'node:path'
import {
  createTestDatabase,
  freePort,
  type Spawned,
  sharedRedis,
  sharedRedisUrl,
  spawnServer,
  type TestDatabase,
  uniquePrefix,
  waitFor,
} from '@ticketing/testkit'
import type { FastifyInstance } from 'fastify'
import mysql from 'mysql2/promise'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

export type Mode = 'embedded' | 'production'
export const MODES: Mode[] = ['embedded', 'production']

export interface Harness {
  mode: Mode
  app: FastifyInstance
  /** Base URL once `listen()` was called. */
  url: string
  db?: TestDatabase
  prefix?: string
  env: Record<string, string>
  listen(): Promise<string>
  /** Runs SQL on the test database (production only). */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>
  close(): Promise<void>
}

/**
 * Builds the service in `mode` with `env` on top of test defaults: the production defaults but
 * for these. AUTH_MODE=none: the seed's API is open, and most tests act for many users (the auth
 * tests set jwt). No periodic reconciler: tests that need it call it. Load shedding off: on a
 * shared 2-core CI box the event loop of a test worker (client and server in one process) lags
 * seconds, and shedding would turn correctness tests into 503s. Rate limits stay on, at their
 * defaults.
 */
export async function startHarness(mode: Mode, env: Record<string, string> = {}): Promise<Harness> {
  let db: TestDatabase | undefined
  let prefix: string | undefined
  const base: Record<string, string> = {
    AUTH_MODE: 'none',
    RECONCILE_INTERVAL_MS: '0',
    MAX_EVENT_LOOP_DELAY_MS: '0',
  }
  if (mode === 'production') {
    db = await createTestDatabase(undefined, 'api')
    prefix = uniquePrefix('api')
    // The reader URL points at the same database: it exercises the separate reader pool.
    Object.assign(base, {
      DATABASE_URL: db.url,
      DATABASE_READER_URL: db.url,
      REDIS_URL: sharedRedisUrl,
      REDIS_KEY_PREFIX: prefix,
    })
  }
  const fullEnv = { ...base, ...env }
  const app = await buildApp(loadConfig(fullEnv), { logger: false })
  let pool: mysql.Pool | undefined
  const h: Harness = {
    mode,
    app,
    url: '',
    db,
    prefix,
    env: fullEnv,
    async listen() {
      h.url = await app.listen({ port: 0, host: '127.0.0.1' })
      return h.url
    },
    async sql<T>(query: string, params: unknown[] = []) {
      if (!fullEnv.DATABASE_URL) throw new Error('no database in embedded mode')
      pool ??= mysql.createPool({ uri: fullEnv.DATABASE_URL, connectionLimit: 2, timezone: 'Z' })
      const [rows] = await pool.query(query, params)
      return rows as T[]
    },
    async close() {
      await app.close()
      await pool?.end()
      if (prefix) await deleteRedisPrefix(prefix)
      await db?.drop()
    },
  }
  return h
}

/**
 * Deletes every key containing `prefix` in ONE Lua call (SCAN + DEL inside the script, so it is
 * atomic like FLUSHALL, but only for our keys: the Redis is shared). Test-only: the script
 * touches undeclared keys, which a single node allows.
 */
const DELETE_BY_PATTERN = `
local cursor, n = '0', 0
repeat
  local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do redis.call('DEL', k); n = n + 1 end
until cursor == '0'
return n`

export async function deleteRedisPrefix(prefix: string): Promise<number> {
  const redis = sharedRedis()
  try {
    return (await redis.eval(DELETE_BY_PATTERN, 0, `*${prefix}*`)) as number
  } finally {
    redis.disconnect()
  }
}

/** POST /api/events via inject; returns the new event id. */
export async function createEvent(
  app: FastifyInstance,
  totalSeats: number,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/events',
    headers,
    payload: { eventName: 'Test', totalSeats, eventDate: '2024-12-31T19:00:00', ...extra },
  })
  if (res.statusCode !== 201) throw new Error(`create event: ${res.statusCode} ${res.body}`)
  return res.json().data.eventId as number
}

/** Runs `tasks` with at most `concurrency` in flight. */
export async function pool<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count)
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++
        results[i] = await task(i)
      }
    }),
  )
  return results
}

/** A plain HTTP POST (real sockets), returning status and parsed body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  type Loose = Record<string, any>
  return { status: res.status, body: (await res.json()) as { success: boolean; data: Loose; error: Loose } }
}

/** I1 in MySQL: confirmed quantities + available = total, available >= 0, for every event. */
export async function checkI1(h: Harness) {
  const rows = await h.sql<{ id: number; total_seats: number; available_seats: number; sold: string | null }>(
    `SELECT e.id, e.total_seats, e.available_seats,
       (SELECT SUM(quantity) FROM reservations r WHERE r.event_id = e.id AND r.status = 'CONFIRMED') AS sold
     FROM events e`,
  )
  for (const r of rows) {
    const sold = Number(r.sold ?? 0)
    if (sold + r.available_seats !== r.total_seats || r.available_seats < 0) {
      throw new Error(
        `I1 violated for event ${r.id}: sold ${sold} + available ${r.available_seats} != ${r.total_seats}`,
      )
    }
  }
  return rows
}

/** The built production entry point (tests that spawn it need `npm run build`). */
export const serverEntry = join(import.meta.dirname, '../dist/server.js')

/**
 * Spawns `node dist/server.js` in production mode on a free port over `databaseUrl` and the
 * shared Redis under `prefix` (no auth, no rate limit, no load shedding), and waits until its
 * /api/health answers 200.
 */
export async function spawnApi(
  databaseUrl: string,
  prefix: string,
  env: Record<string, string> = {},
): Promise<{ proc: Spawned; url: string }> {
  const port = await freePort()
  const proc = spawnServer(process.execPath, [serverEntry], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      REDIS_URL: sharedRedisUrl,
      REDIS_KEY_PREFIX: prefix,
      AUTH_MODE: 'none',
      LOG_LEVEL: 'warn',
      MAX_EVENT_LOOP_DELAY_MS: '0',
      ...env,
    },
  })
  const url = `http://127.0.0.1:${port}`
  await waitFor('api', async () => (await fetch(`${url}/api/health`)).status === 200, 30_000, 100).catch(
    (e) => {
      throw new Error(`${e.message}\n${proc.output()}`)
    },
  )
  return { proc, url }
}
