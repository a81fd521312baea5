import { createTestDatabase, type TestDatabase, uniquePrefix } from '@ticketing/testkit'
import mysql from 'mysql2/promise'
import { type ApiOptions, type ApiProcess, startApis, stopAll } from './api.js'

/**
 * A running service for scenarios that break nothing: N API processes over a fresh database on
 * the shared MariaDB and a fresh key prefix on the shared Redis. `close` stops the processes by
 * pid and drops the database; it never touches the shared servers themselves.
 */
export interface SharedService {
  apis: ApiProcess[]
  db: TestDatabase
  baseUrl: string
  close(): Promise<void>
}

export async function startOnSharedServices(
  count = 1,
  extra: Partial<ApiOptions> = {},
): Promise<SharedService> {
  const db = await createTestDatabase(undefined, 'faults')
  try {
    const apis = await startApis(count, {
      databaseUrl: db.url,
      redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      keyPrefix: uniquePrefix('faults'),
      ...extra,
    })
    return {
      apis,
      db,
      baseUrl: apis[0]!.baseUrl,
      async close() {
        await stopAll(apis)
        await db.drop()
      },
    }
  } catch (error) {
    await db.drop()
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
 * in front of one): the scenario breaks those, never the shared ones.
 */
export async function startOnDedicated(options: {
  count: number
  redisUrl: string
  /** A MariaDB server URL; a fresh database is created on it. @default the shared MariaDB */
  mariaDbUrl?: string
  env?: Record<string, string>
}): Promise<SharedService> {
  const db = await createTestDatabase(options.mariaDbUrl, 'faults')
  try {
    const apis = await startApis(options.count, {
      databaseUrl: db.url,
      redisUrl: options.redisUrl,
      keyPrefix: uniquePrefix('faults'),
      env: options.env,
    })
    return {
      apis,
      db,
      baseUrl: apis[0]!.baseUrl,
      async close() {
        await stopAll(apis)
        await db.drop().catch(() => undefined)
      },
    }
  } catch (error) {
    await db.drop().catch(() => undefined)
    throw error
  }
}
