import { createTestDatabase, sharedRedis, type TestDatabase, uniquePrefix } from '@ticketing/testkit'
import type { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSeatLock, FENCING_TABLE_SQL, fencedWrite, StaleTokenError } from '../src/index.js'
import { sleep } from './helpers.js'

// Kleppmann's scenario against the real MariaDB: a holder pauses past its TTL, another buyer
// gets the seat with a newer token and writes; the stale holder's late write must be rejected.
describe('fencing tokens in MariaDB', () => {
  let db: TestDatabase
  let pool: mysql.Pool
  let redis: Redis

  beforeAll(async () => {
    db = await createTestDatabase(undefined, 'seatlock')
    pool = mysql.createPool({ uri: db.url, connectionLimit: 4 })
    await pool.query(FENCING_TABLE_SQL)
    await pool.query('CREATE TABLE seats (id VARCHAR(16) PRIMARY KEY, buyer VARCHAR(32) NOT NULL)')
    redis = sharedRedis()
  })
  afterAll(async () => {
    await pool?.end()
    await db?.drop()
    redis?.disconnect()
  })

  async function book(buyer: string, token: number) {
    const conn = await pool.getConnection()
    try {
      await conn.beginTransaction()
      await fencedWrite(conn, 'event:1:seat:A1', token, () =>
        conn.query('REPLACE INTO seats (id, buyer) VALUES (?, ?)', ['A1', buyer]),
      )
      await conn.commit()
    } catch (error) {
      await conn.rollback()
      throw error
    } finally {
      conn.release()
    }
  }

  it('a stale token loses against a newer one', async () => {
    const lock = createSeatLock({ redis, prefix: uniquePrefix('fence') })
    const slow = await lock.holdSeats({ eventId: 'e1', seats: ['A1'], owner: 'slow', ttlMs: 200 })
    await sleep(300) // "GC pause": slow's hold lapses
    const fast = await lock.holdSeats({ eventId: 'e1', seats: ['A1'], owner: 'fast', ttlMs: 5_000 })
    expect(fast.token).toBeGreaterThan(slow.token)

    await book('fast', fast.token)
    await book('fast', fast.token) // the same holder may write again with its token
    const err = await book('slow', slow.token).catch((e) => e)
    expect(err).toBeInstanceOf(StaleTokenError)
    expect(err.code).toBe('E_STALE_TOKEN')
    const [rows] = await pool.query('SELECT buyer FROM seats WHERE id = ?', ['A1'])
    expect(rows).toEqual([{ buyer: 'fast' }])
    const [fence] = await pool.query('SELECT token FROM fencing_tokens WHERE resource = ?', [
      'event:1:seat:A1',
    ])
    expect(fence).toEqual([{ token: fast.token }])
    await lock.close()
  })
})
