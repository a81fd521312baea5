import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import mysql from 'mysql2/promise'
import { describe, expect, it } from 'vitest'
import { createDbUser, createTestDatabase, sharedDatabaseUrl, startFakeSecretsManager } from '../src/index.js'

/** host, port and database of a mysql:// URL. */
function where(url: string) {
  const u = new URL(url)
  return { host: u.hostname, port: Number(u.port), database: u.pathname.slice(1) }
}

describe('startFakeSecretsManager', () => {
  it('serves GetSecretValue to the real AWS SDK client, and rotate() changes the answer', async () => {
    const fake = await startFakeSecretsManager({
      secrets: { 'ticketing/db': { username: 'app', password: 'one' } },
    })
    const client = new SecretsManagerClient({ ...fake.clientConfig, maxAttempts: 1 })
    try {
      const first = await client.send(new GetSecretValueCommand({ SecretId: 'ticketing/db' }))
      expect(JSON.parse(first.SecretString!)).toEqual({ username: 'app', password: 'one' })
      expect(first.Name).toBe('ticketing/db')
      expect(first.ARN).toBe(fake.arn('ticketing/db'))
      expect(first.VersionStages).toEqual(['AWSCURRENT'])
      expect(first.CreatedDate).toBeInstanceOf(Date)

      const versionId = fake.rotate('ticketing/db', { username: 'app', password: 'two' })
      const byArn = await client.send(new GetSecretValueCommand({ SecretId: fake.arn('ticketing/db') }))
      expect(JSON.parse(byArn.SecretString!).password).toBe('two')
      expect(byArn.VersionId).toBe(versionId)
      const previous = await client.send(
        new GetSecretValueCommand({ SecretId: 'ticketing/db', VersionStage: 'AWSPREVIOUS' }),
      )
      expect(JSON.parse(previous.SecretString!).password).toBe('one')

      await expect(client.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      })
      expect(fake.calls.map((c) => c.operation)).toEqual(Array(4).fill('GetSecretValue'))
    } finally {
      client.destroy()
      await fake.stop()
    }
  })
})

describe('createDbUser', () => {
  it('creates a non-admin user whose password rotates: old password refused, open connections kept', async () => {
    const db = await createTestDatabase(sharedDatabaseUrl, 'rot')
    const user = await createDbUser({ database: db.name })
    try {
      const before = await mysql.createConnection(user.url)
      await before.query('CREATE TABLE t (id INT PRIMARY KEY)')
      const oldUrl = user.url
      const next = await user.rotate()
      expect(user.password).toBe(next)
      await expect(mysql.createConnection(oldUrl)).rejects.toMatchObject({ errno: 1045 })
      const after = await mysql.createConnection(user.url)
      await after.query('INSERT INTO t VALUES (1)')
      await after.end()
      // A connection opened before the rotation keeps working (MySQL checks passwords at login).
      const [rows] = await before.query('SELECT id FROM t')
      expect(rows).toEqual([{ id: 1 }])
      await before.end()
      // No global privileges: it cannot see another database.
      const conn = await mysql.createConnection(user.url)
      await expect(conn.query('SELECT * FROM mysql.user')).rejects.toMatchObject({ errno: 1142 })
      await conn.end()
    } finally {
      await user.drop()
      await db.drop()
    }
  })

  it('works with the fake Secrets Manager as the source of the current password', async () => {
    const db = await createTestDatabase(sharedDatabaseUrl, 'rot')
    const user = await createDbUser({ database: db.name })
    const fake = await startFakeSecretsManager({
      secrets: { db: { username: user.user, password: user.password } },
    })
    const client = new SecretsManagerClient({ ...fake.clientConfig, maxAttempts: 1 })
    const login = async () => {
      const secret = await client.send(new GetSecretValueCommand({ SecretId: 'db' }))
      const { username, password } = JSON.parse(secret.SecretString!)
      const conn = await mysql.createConnection({ ...where(user.url), user: username, password })
      await conn.query('SELECT 1')
      await conn.end()
    }
    try {
      await login()
      fake.rotate('db', { username: user.user, password: await user.rotate() })
      await login()
    } finally {
      client.destroy()
      await fake.stop()
      await user.drop()
      await db.drop()
    }
  })
})
