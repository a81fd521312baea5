import { createTestDatabase, type TestDatabase } from '@ticketing/testkit'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runMigrations } from '../src/infra/migrations.js'

describe('migrations (umzug, plain SQL)', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase(undefined, 'mig')
  })
  afterAll(async () => db?.drop())

  it('applies once; applying again (also concurrently) is a no-op', async () => {
    expect(await runMigrations(db.url)).toEqual([
      '0001_init.sql',
      '0002_seating.sql',
      '0003_idempotency_event.sql',
      '0004_event_queue.sql',
    ])
    const again = await Promise.all([runMigrations(db.url), runMigrations(db.url)])
    expect(again).toEqual([[], []])
    const conn = await mysql.createConnection(db.url)
    try {
      const [tables] = await conn.query('SHOW TABLES')
      const names = (tables as Record<string, string>[]).map((t) => Object.values(t)[0]).sort()
      expect(names).toEqual([
        'events',
        'fencing_tokens',
        'idempotency_keys',
        'reservations',
        'schema_migrations',
        'seat_maps',
        'seat_sales',
      ])
      const [applied] = await conn.query('SELECT name FROM schema_migrations')
      expect(applied).toHaveLength(4)
    } finally {
      await conn.end()
    }
  })

  it('runs concurrently on a fresh database without failing (GET_LOCK serialises starters)', async () => {
    const fresh = await createTestDatabase(undefined, 'mig')
    try {
      const results = await Promise.all([
        runMigrations(fresh.url),
        runMigrations(fresh.url),
        runMigrations(fresh.url),
      ])
      expect(results.flat()).toEqual([
        '0001_init.sql',
        '0002_seating.sql',
        '0003_idempotency_event.sql',
        '0004_event_queue.sql',
      ])
    } finally {
      await fresh.drop()
    }
  })
})
