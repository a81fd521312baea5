// Scenario 11: the database password rotates mid-sale, as AWS Secrets Manager's managed rotation
// does every 7 days. The API processes connect as an application user (testkit createDbUser: no
// global privilege) whose password they read from Secrets Manager (DATABASE_SECRET_ID; a local
// endpoint, testkit startFakeSecretsManager, with the real SDK). Mid-sale the password changes in
// MariaDB, then, a moment later, in the secret (the rotation's setSecret, then finishSecret), and
// every open session of the user is cut: the pools must connect again, be refused with the
// cached password, read the secret again, and reconnect. Nothing lost, nothing refused.
import {
  createDbUser,
  createTestDatabase,
  type DbUser,
  type FakeSecretsManager,
  startFakeSecretsManager,
  type TestDatabase,
  uniquePrefix,
} from '@ticketing/testkit'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordResult } from './harness/report.js'
import { expectNothingLost, runSale, saleResult, seatsFor } from './harness/sale.js'
import { scale, sleep } from './harness/scale.js'
import { type SharedService, startService } from './harness/service.js'

const SECRET_ID = 'ticketing/db'
/** Between the database's new password and the secret's: new connections are refused meanwhile. */
const GAP_MS = scale(300, 1500)

let db: TestDatabase
let user: DbUser
let sm: FakeSecretsManager
let svc: SharedService

const secretReads = () => sm.calls.filter((c) => c.operation.endsWith('GetSecretValue')).length

beforeAll(async () => {
  db = await createTestDatabase(undefined, 'faults')
  user = await createDbUser({ database: db.name })
  sm = await startFakeSecretsManager({
    secrets: { [SECRET_ID]: { username: user.user, password: user.password } },
  })
  // DATABASE_URL says where; the user and password come from the secret only.
  const url = new URL(db.url)
  url.username = 'from-the-secret'
  url.password = ''
  svc = await startService(db, 2, {
    databaseUrl: url.toString(),
    redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    keyPrefix: uniquePrefix('faults'),
    env: {
      DATABASE_SECRET_ID: SECRET_ID,
      AWS_REGION: sm.clientConfig.region,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
      // The SDK's credential chain reads these; the local endpoint checks no signature.
      AWS_ACCESS_KEY_ID: sm.clientConfig.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: sm.clientConfig.credentials.secretAccessKey,
    },
  })
})

afterAll(async () => {
  await svc?.close()
  await sm?.stop()
  await user?.drop()
  await db?.drop().catch(() => undefined)
})

describe('scenario 11: database credential rotation', () => {
  it('the password rotates mid-sale and every session is cut: nothing lost or refused', async () => {
    let readsBefore = 0
    let killed = 0
    const loadMs = scale(6000, 30_000)
    const outcome = await runSale({
      databaseUrl: db.url,
      baseUrls: () => [svc.baseUrl],
      totalSeats: seatsFor(loadMs),
      concurrency: scale(16, 40),
      durationMs: loadMs,
      faultAtMs: scale(2000, 8000),
      fault: async () => {
        readsBefore = secretReads()
        const faultAt = Date.now()
        const next = await user.rotate()
        await sleep(GAP_MS)
        sm.rotate(SECRET_ID, { username: user.user, password: next })
        // Old sessions would live on (MySQL checks a password at login only): cut them, so
        // every pool must log in again with what it has cached, be refused, and re-read.
        const admin = await mysql.createConnection(db.url)
        try {
          const [sessions] = (await admin.query(
            'SELECT id FROM information_schema.processlist WHERE user = ?',
            [user.user],
          )) as unknown as [Array<{ id: number }>]
          for (const s of sessions) await admin.query('KILL CONNECTION ?', [s.id]).catch(() => {})
          killed = sessions.length
        } finally {
          await admin.end()
        }
        return { faultAt, restoredAt: Date.now() }
      },
    })
    const reads = secretReads() - readsBefore
    console.log('credential rotation', outcome.load.statusCounts, outcome.check, { killed, reads })
    await recordResult(
      saleResult(
        '11-credential-rotation',
        '11. Database credential rotation (Secrets Manager)',
        outcome,
        [
          `ALTER USER … IDENTIFIED BY <new>; ${GAP_MS} ms later the secret's AWSCURRENT`,
          `KILL of the app user's ${killed} sessions`,
        ],
        `${reads} secret reads after the rotation`,
      ),
    )
    expectNothingLost(outcome, svc.apis)
    expect(outcome.recoverySeconds).not.toBeNull()
    // The rotation really bit: sessions were cut, and the processes read the secret again.
    expect(killed).toBeGreaterThan(0)
    expect(reads).toBeGreaterThan(0)
    for (const api of svc.apis) expect(api.alive(), api.name).toBe(true)
  })
})
