// Scenario 1: instance crash. Three API processes behind the load balancer share one database and
// one Redis; one gets kill -9 mid-sale. The load balancer answers 502 for the requests the dead
// instance had, until its health checks take it out; buyers retry with the same Idempotency-Key
// and land on the others.
// Then: I1–I5 in MySQL, every acknowledged reservation present, no key sold twice, the dead
// process's uncommitted holds back on sale within the hold TTL, and no restart needed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOLD_TTL_MS } from './harness/api.js'
import { recordResult } from './harness/report.js'
import { expectServiceContract, runSale, saleResult, seatsFor } from './harness/sale.js'
import { scale } from './harness/scale.js'
import { type SharedService, startOnSharedServices } from './harness/service.js'

let svc: SharedService

beforeAll(async () => {
  svc = await startOnSharedServices(3)
})

afterAll(async () => {
  await svc?.close()
})

describe('scenario 1: instance crash', () => {
  it('kill -9 of one of three API processes mid-sale loses nothing and oversells nothing', async () => {
    const [victim, ...survivors] = svc.apis as [(typeof svc.apis)[0], ...typeof svc.apis]
    let killedAt = 0
    const loadMs = scale(5000, 30_000)
    const outcome = await runSale({
      databaseUrl: svc.db.url,
      baseUrls: () => [svc.baseUrl],
      totalSeats: seatsFor(loadMs),
      concurrency: scale(24, 48),
      durationMs: loadMs,
      faultAtMs: scale(2000, 10_000),
      fault: async () => {
        const at = Date.now()
        killedAt = at
        await victim.kill()
        return { faultAt: at, restoredAt: at }
      },
    })
    console.log('instance crash', outcome.load.statusCounts, outcome.check)
    await recordResult(
      saleResult(
        '1-instance-crash',
        '1. Instance crash (kill -9 of 1 of 3)',
        outcome,
        ['kill -9 api-1 mid-sale'],
        `hold TTL ${HOLD_TTL_MS} ms`,
      ),
    )
    expect(outcome.check.violations).toEqual([])
    expectServiceContract(outcome)
    expect(outcome.check.lost).toBe(0)
    expect(outcome.check.oversold).toBe(0)
    expect(outcome.check.acknowledged).toBeGreaterThan(50)
    expect(victim.alive()).toBe(false)
    // Recovery without restart: the survivors are the same processes, still serving.
    for (const s of survivors) expect(s.alive(), s.name).toBe(true)
    expect(outcome.recoverySeconds).not.toBeNull()
    // Some purchases really were caught by the crash, or the scenario proved nothing.
    const hitByCrash = outcome.load.purchases.filter((p) =>
      p.attempts.some(
        (a) => a.endedAt >= killedAt && (a.fromProxy || a.status === 'network' || a.status === 'timeout'),
      ),
    )
    expect(hitByCrash.length).toBeGreaterThan(0)
  })
})
