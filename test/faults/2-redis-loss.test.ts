// Scenario 2: Redis loss. A dedicated redis-server (never the shared one) loses everything
// mid-sale: FLUSHALL, then a kill and a restart with no persistence. The API must rebuild its
// admission counters from MySQL (the system of record), keep selling without a restart, answer
// 503 + Retry-After while Redis is unreachable, and lose, oversell or falsely refuse nothing.
import { type RedisServer, startRedis } from '@ticketing/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { firstAckAfter } from './harness/buyers.js'
import { recordResult } from './harness/report.js'
import { expectServiceContract, round2, runSale, saleResult, seatsFor } from './harness/sale.js'
import { scale, sleep } from './harness/scale.js'
import { type SharedService, startOnDedicated } from './harness/service.js'

let redis: RedisServer
let svc: SharedService

beforeAll(async () => {
  redis = await startRedis()
  svc = await startOnDedicated({ count: 2, redisUrl: redis.url })
})

afterAll(async () => {
  await svc?.close()
  await redis?.stop()
})

describe('scenario 2: Redis loss', () => {
  it('FLUSHALL, then a restart of an empty Redis, mid-sale: nothing lost, oversold or falsely refused', async () => {
    let flushedAt = 0
    const loadMs = scale(6000, 30_000)
    const outcome = await runSale({
      databaseUrl: svc.db.url,
      baseUrls: () => [svc.baseUrl],
      totalSeats: seatsFor(loadMs),
      concurrency: scale(16, 40),
      durationMs: loadMs,
      faultAtMs: scale(1500, 8000),
      fault: async () => {
        const admin = redis.client({ maxRetriesPerRequest: 0 })
        flushedAt = Date.now()
        await admin.flushall()
        admin.disconnect()
        await sleep(scale(1000, 5000))
        const faultAt = Date.now()
        await redis.restart()
        return { faultAt: flushedAt, restoredAt: faultAt }
      },
    })
    const afterFlush = firstAckAfter(outcome.load.purchases, flushedAt)
    console.log('redis loss', outcome.load.statusCounts, outcome.check)
    await recordResult(
      saleResult(
        '2-redis-loss',
        '2. Redis loss (FLUSHALL, then restart empty)',
        outcome,
        ['FLUSHALL', 'kill -9 + restart of redis-server (no persistence)'],
        `first sale after the FLUSHALL ${afterFlush ? round2((afterFlush - flushedAt) / 1000) : 'n/a'} s`,
      ),
    )
    expect(outcome.check.violations).toEqual([])
    // Found by this scenario on an earlier build: after the flush the fencing-token counter
    // restarted, reused tokens hit UNIQUE (event_id, hold_token) and buyers got 500s. Fixed in
    // ticketing-api e5d8828 (one hold, one sale by hold id); asserted here from now on.
    expectServiceContract(outcome)
    expect(outcome.check.lost).toBe(0)
    expect(outcome.check.oversold).toBe(0)
    expect(outcome.recoverySeconds).not.toBeNull()
    for (const api of svc.apis) expect(api.alive(), api.name).toBe(true)
  })
})
