// Scenario 4: database restart. A dedicated mariadbd (own port and datadir, never the shared
// one) is killed and restarted mid-sale. Requests during the outage get 503 with Retry-After;
// nothing acknowledged is lost (acknowledge after commit); the API reconnects by itself.
import { type MariaDbServer, startMariaDb } from '@ticketing/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordResult } from './harness/report.js'
import { expectServiceContract, round2, runSale, saleResult, seatsFor } from './harness/sale.js'
import { scale } from './harness/scale.js'
import { type SharedService, startOnDedicated } from './harness/service.js'

let mariadb: MariaDbServer
let svc: SharedService

beforeAll(async () => {
  mariadb = await startMariaDb()
  svc = await startOnDedicated({
    count: 2,
    redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    mariaDbUrl: mariadb.url,
  })
})

afterAll(async () => {
  await svc?.close()
  await mariadb?.stop()
})

describe('scenario 4: database restart', () => {
  it('kill -9 and restart of MariaDB mid-sale: 503 + Retry-After meanwhile, nothing lost', async () => {
    let outageMs = 0
    const loadMs = scale(6000, 30_000)
    const outcome = await runSale({
      databaseUrl: svc.db.url,
      baseUrls: () => [svc.baseUrl],
      totalSeats: seatsFor(loadMs),
      concurrency: scale(16, 40),
      durationMs: loadMs,
      requestTimeoutMs: 3000,
      faultAtMs: scale(1500, 8000),
      fault: async () => {
        const faultAt = Date.now()
        await mariadb.restart()
        const restoredAt = Date.now()
        outageMs = restoredAt - faultAt
        return { faultAt, restoredAt }
      },
    })
    console.log('database restart', outcome.load.statusCounts, outcome.check, { outageMs })
    await recordResult(
      saleResult('4-database-restart', '4. Database restart (kill -9 + restart of mariadbd)', outcome, [
        `kill -9 + restart of mariadbd (${round2(outageMs / 1000)} s down)`,
      ]),
    )
    if (outcome.check.violations.length > 0) console.log(svc.apis[0]!.output().slice(-3000))
    expect(outcome.check.violations).toEqual([])
    expect(outcome.check.lost).toBe(0)
    expect(outcome.check.oversold).toBe(0)
    expectServiceContract(outcome)
    // The outage was seen by clients as 503s (or the test injected nothing).
    expect(outcome.load.statusCounts['503'] ?? 0).toBeGreaterThan(0)
    expect(outcome.recoverySeconds).not.toBeNull()
    for (const api of svc.apis) expect(api.alive(), api.name).toBe(true)
  })
})
