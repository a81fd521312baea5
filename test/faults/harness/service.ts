import {
  createTestDatabase,
  type LoadBalancer,
  startLoadBalancer,
  type TestDatabase,
  uniquePrefix,
} from '@ticketing/testkit'
import mysql from 'mysql2/promise'
import { type ApiOptions, type ApiProcess, startApis, stopAll } from './api.js'

/**
 * A running service in the production shape: N API processes behind HAProxy (testkit
 * `startLoadBalancer`, the ALB stand-in: round-robin, X-Forwarded-For, health checks on
 * `/api/health`). `baseUrl` is the load balancer: what buyers call. `close` stops HAProxy and
 * the processes by pid and drops the database; it never touches the shared servers themselves.
 */
export interface SharedService {
  apis: ApiProcess[]
  db: TestDatabase
  /** The load balancer in front of `apis`. */
  lb: LoadBalancer
  /** The load balancer's URL (what buyers call); each API's own URL is `apis[i].baseUrl`. */
  baseUrl: string
  close(): Promise<void>
}

/**
 * HAProxy in front of `apis`, health-checked as the ALB does (`/api/health`, 2 failures out,
 * 2 successes in, every 500 ms). Like an ALB it never retries a request on another instance; unlike
 * an ALB it answers 503 itself (no Retry-After) when every instance is out, where an ALB fails open.
 */
export function behindLoadBalancer(apis: ApiProcess[]): Promise<LoadBalancer> {
  return startLoadBalancer({ backends: apis.map((a) => ({ port: a.port })) })
}

/** Starts the load balancer and waits until every API is in rotation. */
async function withLoadBalancer(apis: ApiProcess[]): Promise<LoadBalancer> {
  const lb = await behindLoadBalancer(apis)
  try {
    await Promise.all(apis.map((_, i) => lb.waitForStatus(i, 'UP', 30_000)))
  } catch (error) {
    await lb.stop()
    throw error
  }
  return lb
}

/**
 * API processes over a fresh database on the shared MariaDB and a fresh key prefix on the
 * shared Redis, behind the load balancer. @param count at least 2 (the production fleet's minimum).
 */
export async function startOnSharedServices(
  count = 2,
  extra: Partial<ApiOptions> = {},
): Promise<SharedService> {
  const db = await createTestDatabase(undefined, 'faults')
  return startOn(db, count, {
    databaseUrl: db.url,
    redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    keyPrefix: uniquePrefix('faults'),
    ...extra,
  })
}

/**
 * `count` API processes with `options` behind the load balancer, over a database the scenario
 * made (`db`; dropped at `close`, and `db.url` is what the checker reads). Each process may get
 * its own options (`perInstance`), e.g. one instance's Redis through a proxy the scenario cuts.
 */
export async function startService(
  db: TestDatabase,
  count: number,
  options: ApiOptions,
  perInstance?: (i: number) => Partial<ApiOptions>,
): Promise<SharedService> {
  return startOn(db, count, options, perInstance)
}

async function startOn(
  db: TestDatabase,
  count: number,
  options: ApiOptions,
  perInstance?: (i: number) => Partial<ApiOptions>,
): Promise<SharedService> {
  let apis: ApiProcess[] = []
  try {
    apis = await startApis(count, options, perInstance)
    const lb = await withLoadBalancer(apis)
    return {
      apis,
      db,
      lb,
      baseUrl: lb.url,
      async close() {
        await lb.stop().catch(() => undefined)
        await stopAll(apis)
        await db.drop().catch(() => undefined)
      },
    }
  } catch (error) {
    await stopAll(apis)
    await db.drop().catch(() => undefined)
    throw error
  }
}

/** Every row of the API's tables, in a stable order: compare two snapshots for "no state change". */
export async function snapshotTables(databaseUrl: string): Promise<Record<string, unknown[]>> {
  const conn = await mysql.createConnection(databaseUrl)
  try {
    const out: Record<string, unknown[]> = {}
    for (const [table, order] of [
      ['events', 'id'],
      ['reservations', 'id'],
      ['idempotency_keys', 'scope, idem_key'],
    ] as const) {
      const [rows] = await conn.query(`SELECT * FROM ${table} ORDER BY ${order}`)
      out[table] = rows as unknown[]
    }
    return out
  } finally {
    await conn.end()
  }
}

/**
 * API processes over servers the scenario owns (a dedicated redis-server, mariadbd, or a proxy
 * in front of one), behind the load balancer: the scenario breaks those, never the shared ones.
 */
export async function startOnDedicated(options: {
  /** At least 2 (the production fleet's minimum). */
  count: number
  redisUrl: string
  /** A MariaDB server URL; a fresh database is created on it. @default the shared MariaDB */
  mariaDbUrl?: string
  env?: Record<string, string>
}): Promise<SharedService> {
  const db = await createTestDatabase(options.mariaDbUrl, 'faults')
  return startOn(db, options.count, {
    databaseUrl: db.url,
    redisUrl: options.redisUrl,
    keyPrefix: uniquePrefix('faults'),
    env: options.env,
  })
}
