// What MySQL's clients throw when the database turns us away for a while must be a 503 with
// Retry-After (a dependency is unavailable), never a 500. Found by the fault suite's
// credential-rotation scenario: a pooled connection killed as it was handed out ("Can't add new
// command when connection is in closed state") answered 500 INTERNAL_ERROR. Real errors from
// the shared MariaDB, not hand-made ones.
import { createDbUser, createTestDatabase, type DbUser, type TestDatabase } from '@ticketing/testkit'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toApiError } from '../src/errors.js'

const caught = (work: Promise<unknown>) =>
  work.then(
    () => {
      throw new Error('expected a failure')
    },
    (error: unknown) => error,
  )

describe('database errors that mean "unavailable for now"', () => {
  let db: TestDatabase
  let user: DbUser
  beforeAll(async () => {
    db = await createTestDatabase(undefined, 'deperr')
    user = await createDbUser({ database: db.name })
  })
  afterAll(async () => {
    await user?.drop()
    await db?.drop()
  })

  const expect503 = (error: unknown) => {
    const api = toApiError(error)
    expect(api.code, String((error as Error).message)).toBe('SERVICE_UNAVAILABLE')
    expect(api.statusCode).toBe(503)
  }

  it('a password MySQL refuses (it rotated) is a 503', async () => {
    const url = new URL(user.url)
    url.password = 'rotated-away-test'
    const error = await caught(mysql.createConnection(url.toString()))
    expect((error as { code?: string }).code).toBe('ER_ACCESS_DENIED_ERROR')
    expect503(error)
  })

  it('a connection the server killed, used again, is a 503', async () => {
    const victim = await mysql.createConnection(db.url)
    const admin = await mysql.createConnection(db.url)
    try {
      await admin.query('KILL CONNECTION ?', [victim.threadId])
      await new Promise((r) => setTimeout(r, 200))
      const error = await caught(victim.query('SELECT 1'))
      expect503(error)
    } finally {
      victim.destroy()
      await admin.end()
    }
  })
})
