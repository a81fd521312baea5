// The database password rotates mid-sale (AWS rotates RDS-managed secrets every 7 days): the
// service reads its credentials from Secrets Manager when it connects, and again when MySQL
// refuses them, so new connections after the rotation use the new password. Nothing is lost,
// nothing is refused. A local Secrets Manager endpoint stands in for AWS, with the real SDK.
import {
  createDbUser,
  createTestDatabase,
  type DbUser,
  type FakeSecretsManager,
  sharedRedisUrl,
  startFakeSecretsManager,
  type TestDatabase,
  uniquePrefix,
} from '@ticketing/testkit'
import type { FastifyInstance } from 'fastify'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createEvent, deleteRedisPrefix, pool } from './helpers.js'

describe('database credentials that rotate (Secrets Manager)', () => {
  let db: TestDatabase
  let user: DbUser
  let sm: FakeSecretsManager
  let app: FastifyInstance
  const prefix = uniquePrefix('rotate')
  beforeAll(async () => {
    db = await createTestDatabase(undefined, 'rotate')
    user = await createDbUser({ database: db.name })
    sm = await startFakeSecretsManager({
      secrets: { 'ticketing/db': { username: user.user, password: user.password } },
    })
    // The SDK's credential chain reads these (dummy: the local endpoint checks no signature).
    Object.assign(
      process.env,
      sm.clientConfig.credentials && {
        AWS_ACCESS_KEY_ID: sm.clientConfig.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: sm.clientConfig.credentials.secretAccessKey,
      },
    )
    const url = new URL(db.url)
    url.username = 'from-the-secret'
    app = await buildApp(
      loadConfig({
        DATABASE_URL: url.toString(),
        DATABASE_SECRET_ID: 'ticketing/db',
        AWS_REGION: sm.clientConfig.region,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
        REDIS_URL: sharedRedisUrl,
        REDIS_KEY_PREFIX: prefix,
        // The subject is the database tier: buyers act for many users without tokens (the seed's
        // open API); rate limits stay at their defaults.
        AUTH_MODE: 'none',
        RECONCILE_INTERVAL_MS: '0',
        // The test worker runs the clients and the server in one loop: no load shedding.
        MAX_EVENT_LOOP_DELAY_MS: '0',
        DB_POOL_SIZE: '6',
      }),
      { logger: false },
    )
  })
  afterAll(async () => {
    await app?.close()
    await sm?.stop()
    await user?.drop()
    await db?.drop()
    await deleteRedisPrefix(prefix)
  })

  const reserve = (eventId: number, userId: string) =>
    app.inject({ method: 'POST', url: '/api/reservations', payload: { eventId, userId, quantity: 1 } })

  it('keeps selling through a rotation: new connections use the new password', async () => {
    const eventId = await createEvent(app, 250)
    const before = await pool(100, 10, async (i) => (await reserve(eventId, `before-${i}`)).statusCode)
    expect(before.every((s) => s === 201)).toBe(true)
    const reads = sm.calls.filter((c) => c.operation.endsWith('GetSecretValue')).length

    // The rotation: the database first, then the secret (as RDS's managed rotation does).
    const next = await user.rotate()
    sm.rotate('ticketing/db', { username: user.user, password: next })
    // Cut every open session of the app user: the pool must connect again, with the old password
    // still in its cache, be refused, read the secret again and reconnect.
    const admin = await mysql.createConnection(db.url)
    try {
      const [sessions] = (await admin.query('SELECT id FROM information_schema.processlist WHERE user = ?', [
        user.user,
      ])) as unknown as [Array<{ id: number }>]
      expect(sessions.length).toBeGreaterThan(0)
      for (const s of sessions) await admin.query('KILL CONNECTION ?', [s.id]).catch(() => {})
      const after = await pool(200, 10, async (i) => (await reserve(eventId, `after-${i}`)).statusCode)
      expect(after.filter((s) => s >= 500)).toEqual([])
      expect(after.filter((s) => s === 201).length).toBe(150)
      expect(after.filter((s) => s === 409).length).toBe(50)
      const [[row]] = (await admin.query(
        `SELECT available_seats AS available, (SELECT SUM(quantity) FROM reservations WHERE event_id = ? AND status = 'CONFIRMED') AS sold
         FROM events WHERE id = ?`,
        [eventId, eventId],
      )) as unknown as [Array<{ available: number; sold: string }>]
      expect(row).toEqual({ available: 0, sold: '250' })
    } finally {
      await admin.end()
    }
    expect(sm.calls.filter((c) => c.operation.endsWith('GetSecretValue')).length).toBeGreaterThan(reads)
  })
})
