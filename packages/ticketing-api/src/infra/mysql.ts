import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import mysql, { type Pool } from 'mysql2/promise'
import { type CredentialSource, withCredentials } from './credentials.js'
import { withConnection } from './transaction.js'

declare module 'fastify' {
  interface FastifyInstance {
    mysql: { writer: Pool; reader: Pool }
  }
}

/** A mysql2 pool as the service uses it; `multipleStatements` for the writer (group commits). */
export function createPool(url: string, size: number, multipleStatements = false): Pool {
  return mysql.createPool({
    uri: url,
    connectionLimit: size,
    // Queue instead of failing when every connection is busy (the batcher keeps this short).
    waitForConnections: true,
    queueLimit: 0,
    connectTimeout: 5000,
    enableKeepAlive: true,
    // DATETIME columns are UTC.
    timezone: 'Z',
    supportBigNumbers: true,
    // The writer sends each group commit as two multi-statement round trips
    // (sales/adapters/mysql/group-commit.ts). Every query here binds its values through mysql2's escaping,
    // never string concatenation, so this does not widen an injection.
    multipleStatements,
  })
}

/** What MySQL answers when the password is wrong: it rotated. */
const isAccessDenied = (error: unknown) => (error as { errno?: number }).errno === 1045

/** How long a pool replaced after a rotation lives on, for the transactions still on it. */
const RETIRED_POOL_GRACE_MS = 30_000

export interface DbPoolOptions {
  url: string
  size: number
  multipleStatements?: boolean
  /** Rotating credentials (Secrets Manager); without, the URL's own. */
  credentials?: CredentialSource
  log?: { warn(obj: unknown, msg?: string): void }
}

/**
 * A pool as the stores use it, over a mysql2 pool it may replace:
 * - each query runs through `withConnection`, so a connection left on a writer that turned
 *   read-only (failover, 1290) is dropped and the query runs again on a new one;
 * - when MySQL refuses a new connection's password (1045: it rotated), the credentials are
 *   read again and a new mysql2 pool takes over; the old one closes after a grace period, its
 *   open connections (still valid: MySQL does not cut sessions on a rotation) finishing first.
 */
export async function createDbPool(options: DbPoolOptions): Promise<Pool> {
  const build = async (fresh = false) =>
    createPool(
      withCredentials(options.url, await options.credentials?.get({ fresh })),
      options.size,
      options.multipleStatements,
    )
  let current = await build()
  let rotating: Promise<void> | undefined
  const retired = new Set<Pool>()
  const rotate = () => {
    rotating ??= (async () => {
      const old = current
      current = await build(true)
      options.log?.warn({}, 'database password rotated: connecting with the new credentials')
      retired.add(old)
      setTimeout(() => {
        retired.delete(old)
        void old.end().catch(() => {})
      }, RETIRED_POOL_GRACE_MS).unref()
    })().finally(() => {
      rotating = undefined
    })
    return rotating
  }
  const pool = {
    async getConnection() {
      try {
        return await current.getConnection()
      } catch (error) {
        if (!options.credentials || !isAccessDenied(error)) throw error
        await rotate()
        return current.getConnection()
      }
    },
    query: (...args: unknown[]) =>
      withConnection(pool as unknown as Pool, (conn) =>
        (conn.query as (...a: unknown[]) => Promise<unknown>)(...args),
      ),
    execute: (...args: unknown[]) =>
      withConnection(pool as unknown as Pool, (conn) =>
        (conn.execute as (...a: unknown[]) => Promise<unknown>)(...args),
      ),
    async end() {
      await Promise.allSettled([current.end(), ...[...retired].map((p) => p.end())])
    },
  }
  return pool as unknown as Pool
}

/** The pools: the writer, and the reader (Aurora reader endpoint) for list pages. */
export const mysqlPlugin = fp(
  async (
    app: FastifyInstance,
    opts: { url: string; readerUrl?: string; poolSize: number; credentials?: CredentialSource },
  ) => {
    const common = { credentials: opts.credentials, log: app.log }
    const writer = await createDbPool({
      ...common,
      url: opts.url,
      size: opts.poolSize,
      multipleStatements: true,
    })
    const reader = opts.readerUrl
      ? await createDbPool({
          ...common,
          url: opts.readerUrl,
          size: Math.max(2, Math.ceil(opts.poolSize / 2)),
        })
      : writer
    app.decorate('mysql', { writer, reader })
    app.addHook('onClose', async () => {
      await writer.end()
      if (reader !== writer) await reader.end()
    })
  },
  { name: 'mysql' },
)
