// transaction(): READ COMMITTED for every transaction, with the level set once per physical
// connection (a round trip saved on each group commit), not before every transaction.
import { createTestDatabase, type TestDatabase } from '@ticketing/testkit'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { LOCK_WAIT_TIMEOUT_S, transaction } from '../src/infra/transaction.js'

let db: TestDatabase
let pool: mysql.Pool
beforeAll(async () => {
  db = await createTestDatabase(undefined, 'tx')
  pool = mysql.createPool({ uri: db.url, connectionLimit: 1 })
})
afterAll(async () => {
  await pool?.end()
  await db?.drop()
})

it('runs READ COMMITTED, with a short lock wait, set once per connection', async () => {
  const levels: string[] = []
  for (let i = 0; i < 3; i++) {
    await transaction(pool, async (conn) => {
      const [rows] = await conn.query<mysql.RowDataPacket[]>(
        'SELECT @@SESSION.tx_isolation AS level, @@SESSION.innodb_lock_wait_timeout AS wait',
      )
      levels.push(`${rows[0]!.level} ${rows[0]!.wait}`)
    })
  }
  expect(levels).toEqual(Array(3).fill(`READ-COMMITTED ${LOCK_WAIT_TIMEOUT_S}`))
  // The pool has one connection, so it served all three: the server saw its two SETs (the
  // isolation level, the lock wait) once, not before every transaction.
  const [status] = await pool.query<mysql.RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Com_set_option'")
  expect(Number(status[0]!.Value)).toBe(2)
})
