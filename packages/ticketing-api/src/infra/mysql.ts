import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import mysql, { type Pool } from 'mysql2/promise'

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

/** The mysql2 pools: the writer, and the reader (Aurora reader endpoint) for list pages. */
export const mysqlPlugin = fp(
  async (app: FastifyInstance, opts: { url: string; readerUrl?: string; poolSize: number }) => {
    const writer = createPool(opts.url, opts.poolSize, true)
    const reader = opts.readerUrl
      ? createPool(opts.readerUrl, Math.max(2, Math.ceil(opts.poolSize / 2)))
      : writer
    app.decorate('mysql', { writer, reader })
    app.addHook('onClose', async () => {
      await writer.end()
      if (reader !== writer) await reader.end()
    })
  },
  { name: 'mysql' },
)
