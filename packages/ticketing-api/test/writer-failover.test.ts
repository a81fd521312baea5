// An Aurora-style writer failover mid-sale: a replica is promoted, the old writer comes back
// read-only, and the cluster endpoint moves — but connections the pool opened before stay on the
// old writer, where every write now fails with 1290. The writer pool drops such a connection and
// runs the work again on a new one: no sale is lost, none is answered 5xx, nothing is oversold.
import {
  type ReplicatedMariaDb,
  sharedRedisUrl,
  startReplicatedMariaDb,
  uniquePrefix,
} from '@ticketing/testkit'
import type { FastifyInstance } from 'fastify'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createEvent, deleteRedisPrefix, pool } from './helpers.js'

describe('writer failover (Aurora-style, 1290 on pooled connections)', () => {
  let cluster: ReplicatedMariaDb
  let app: FastifyInstance
  const prefix = uniquePrefix('failover')
  beforeAll(async () => {
    cluster = await startReplicatedMariaDb()
    app = await buildApp(
      loadConfig({
        DATABASE_URL: cluster.url,
        REDIS_URL: sharedRedisUrl,
        REDIS_KEY_PREFIX: prefix,
        // The subject is the database tier: buyers act for many users without tokens (the seed's
        // open API); rate limits stay at their defaults.
        AUTH_MODE: 'none',
        RECONCILE_INTERVAL_MS: '0',
        // The test worker runs the clients and the server in one loop: no load shedding.
        MAX_EVENT_LOOP_DELAY_MS: '0',
        DB_POOL_SIZE: '8',
      }),
      { logger: false },
    )
  })
  afterAll(async () => {
    await app?.close()
    await cluster?.stop()
    await deleteRedisPrefix(prefix)
  })

  const reserve = (eventId: number, userId: string) =>
    app.inject({ method: 'POST', url: '/api/reservations', payload: { eventId, userId, quantity: 1 } })

  it('sells on through the failover: every buyer a seat or SOLD_OUT, no 5xx, I1 on the new writer', async () => {
    const eventId = await createEvent(app, 300)
    // Fill the pool with connections to the current writer.
    const before = await pool(100, 20, async (i) => (await reserve(eventId, `before-${i}`)).statusCode)
    expect(before.every((s) => s === 201)).toBe(true)

    const during = pool(300, 20, async (i) => (await reserve(eventId, `during-${i}`)).statusCode)
    await new Promise((r) => setTimeout(r, 50))
    await cluster.failover() // pooled connections stay on the old writer, now read-only
    const codes = [...before, ...(await during)]
    const count = (s: number) => codes.filter((c) => c === s).length
    expect(codes.filter((c) => c >= 500)).toEqual([])
    expect(count(201)).toBe(300)
    expect(count(409)).toBe(100)

    const db = await mysql.createConnection(cluster.rootUrl)
    try {
      const [[row]] = (await db.query(
        `SELECT e.total_seats AS total, e.available_seats AS available,
                (SELECT COALESCE(SUM(quantity), 0) FROM reservations r WHERE r.event_id = e.id AND r.status = 'CONFIRMED') AS sold
         FROM events e WHERE e.id = ?`,
        [eventId],
      )) as unknown as [Array<{ total: number; available: number; sold: string }>]
      expect(row).toEqual({ total: 300, available: 0, sold: '300' })
      const [[server]] = (await db.query('SELECT @@port AS port')) as unknown as [Array<{ port: number }>]
      expect(server?.port).toBe(cluster.writer.port)
    } finally {
      await db.end()
    }
  })
})
