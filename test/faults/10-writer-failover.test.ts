// Scenario 10: an Aurora-style writer failover mid-sale. Two dedicated mariadbd in GTID
// primary/replica replication behind a TCP endpoint (testkit startReplicatedMariaDb; the API's
// DATABASE_URL is the endpoint, with the application user, not root). Mid-sale `failover()`
// turns the old writer read_only=1, lets the replica catch up, promotes it and moves the
// endpoint — without cutting the connections already open, as a DNS endpoint does: pooled
// connections stay on the old writer and their writes fail with error 1290 (--read-only).
// The writer pool must drop such a connection and run the work again on the new writer:
// 0 lost, 0 oversold, 0 sold twice, 0 false rejections, no 5xx other than 503 + Retry-After.
import { type ReplicatedMariaDb, startReplicatedMariaDb, uniquePrefix } from '@ticketing/testkit'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordResult } from './harness/report.js'
import { expectNothingLost, round2, runSale, saleResult, seatsFor } from './harness/sale.js'
import { scale } from './harness/scale.js'
import { type SharedService, startService } from './harness/service.js'

/** One query's first row, on a connection of its own. */
async function firstRow<T>(url: string, sql: string): Promise<T | undefined> {
  const conn = await mysql.createConnection(url)
  try {
    const [rows] = await conn.query(sql)
    return (rows as T[])[0]
  } finally {
    await conn.end()
  }
}

let cluster: ReplicatedMariaDb
let svc: SharedService

beforeAll(async () => {
  cluster = await startReplicatedMariaDb()
  // The cluster's app user owns database `test` (created fresh with the servers): the checker
  // reads it through the endpoint, so after the failover it reads the new writer.
  const db = { name: 'test', url: cluster.url, drop: async () => undefined }
  svc = await startService(db, 2, {
    databaseUrl: cluster.url,
    redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    keyPrefix: uniquePrefix('faults'),
  })
})

afterAll(async () => {
  await svc?.close()
  await cluster?.stop()
})

describe('scenario 10: writer failover (Aurora-style)', () => {
  it('replica promoted, old writer read-only, endpoint moved, mid-sale: nothing lost, oversold or refused', async () => {
    const oldWriter = cluster.writer.port
    let failoverMs = 0
    let staleSessions = 0
    const sessionsOnOldWriter = async () =>
      (
        await firstRow<{ n: number }>(
          `mysql://root@127.0.0.1:${oldWriter}/test`,
          `SELECT COUNT(*) AS n FROM information_schema.processlist WHERE user = '${cluster.app.user}'`,
        )
      )?.n ?? 0
    const loadMs = scale(6000, 30_000)
    const outcome = await runSale({
      databaseUrl: cluster.url,
      baseUrls: () => [svc.baseUrl],
      totalSeats: seatsFor(loadMs),
      concurrency: scale(16, 40),
      durationMs: loadMs,
      faultAtMs: scale(2000, 8000),
      fault: async () => {
        // The pools' connections to the writer: after the failover they answer writes with 1290.
        staleSessions = Number(await sessionsOnOldWriter())
        const faultAt = Date.now()
        await cluster.failover()
        const restoredAt = Date.now()
        failoverMs = restoredAt - faultAt
        return { faultAt, restoredAt }
      },
    })
    console.log('writer failover', outcome.load.statusCounts, outcome.check, { failoverMs })
    await recordResult(
      saleResult(
        '10-writer-failover',
        '10. Writer failover (replica promoted, old writer read-only)',
        outcome,
        [
          `old writer read_only=1, replica caught up and promoted, endpoint moved (${round2(failoverMs / 1000)} s); pooled connections left on the old writer`,
        ],
        `${staleSessions} pooled sessions on the old writer at the failover, ${await sessionsOnOldWriter()} after the sale`,
      ),
    )
    expectNothingLost(outcome, svc.apis)
    expect(outcome.recoverySeconds).not.toBeNull()
    // The failover really happened: the endpoint is on the other server, the old one is
    // read-only, and the sales after it are on the new writer.
    expect(cluster.writer.port).not.toBe(oldWriter)
    expect(staleSessions, 'pooled connections left on the old writer').toBeGreaterThan(0)
    const old = await firstRow<{ ro: number }>(
      `mysql://root@127.0.0.1:${oldWriter}/test`,
      'SELECT @@read_only AS ro',
    )
    expect(old?.ro).toBe(1)
    const server = await firstRow<{ port: number }>(cluster.rootUrl, 'SELECT @@port AS port')
    expect(server?.port).toBe(cluster.writer.port)
    for (const api of svc.apis) expect(api.alive(), api.name).toBe(true)
  })
})
