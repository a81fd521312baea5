// Scenario 12: one instance cut off from Redis (a network partition between one host and
// ElastiCache), not Redis down for all. Three API instances behind the load balancer share
// MySQL and Redis; instance 1 reaches Redis through a TCP proxy (testkit startDelayProxy) the
// test breaks mid-sale: first a black hole (bytes go in, nothing comes back), then a cut
// (connections reset, new ones refused), then the partition heals. Meanwhile that instance must
// answer writes 503 + Retry-After (probed directly, bypassing the load balancer), fail its
// health check so the load balancer takes it out, and the other two keep selling. Once it is
// back, nothing it held may stay held beyond the bound documented in the API README
// ("One instance loses Redis"): every seat MySQL still has is sold again within
// HOLD_TTL_MS + 2 × RECONCILE_INTERVAL_MS (+ slack) of the heal. Then I1–I5 as everywhere.
import {
  createTestDatabase,
  type DelayProxy,
  freePort,
  sharedRedisUrl,
  startDelayProxy,
  uniquePrefix,
} from '@ticketing/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOLD_TTL_MS } from './harness/api.js'
import { type Purchase, purchase } from './harness/buyers.js'
import { recordResult } from './harness/report.js'
import {
  expectNothingLost,
  RECONCILE_INTERVAL_MS,
  round2,
  runSale,
  saleResult,
  seatsFor,
} from './harness/sale.js'
import { scale, sleep } from './harness/scale.js'
import { type SharedService, startService } from './harness/service.js'

/** Black hole, then cut: each this long. */
const PHASE_MS = scale(4000, 8000)
const FAULT_AT_MS = scale(2000, 8000)
/**
 * The README's bound for seats the cut-off instance held ("One instance loses Redis"): its
 * holds expire (HOLD_TTL_MS) and the reconciler, which acts on a drift seen twice in a row,
 * rebuilds the counter (2 × RECONCILE_INTERVAL_MS); plus 5 s of scheduling slack on a busy
 * 2-core machine, as for every "seats return" check of the suite.
 */
const CUT_OFF_BOUND_MS = HOLD_TTL_MS + 2 * RECONCILE_INTERVAL_MS + 5000

let proxy: DelayProxy
let svc: SharedService
const redisPort = Number(new URL(sharedRedisUrl).port || 6379)

beforeAll(async () => {
  proxy = await startDelayProxy({ targetPort: redisPort })
  const db = await createTestDatabase(undefined, 'faults')
  svc = await startService(
    db,
    3,
    { databaseUrl: db.url, redisUrl: sharedRedisUrl, keyPrefix: uniquePrefix('faults') },
    // Instance 1 reaches the same Redis (same key prefix) through the proxy the test cuts.
    (i) => (i === 0 ? { redisUrl: `redis://127.0.0.1:${proxy.port}` } : {}),
  )
})

afterAll(async () => {
  await svc?.close()
  await proxy?.close()
})

describe('scenario 12: one instance cut off from Redis', () => {
  it('that instance answers 503 + Retry-After and leaves rotation, the others sell; nothing it held leaks', async () => {
    const victim = svc.apis[0]!
    const probes: Purchase[] = []
    // Each probe is its own buyer (the checker maps MySQL rows to keys by userId), numbered when
    // sent: probes overlap, so `probes.length` (counted when each ends) once gave five the same id.
    let probesSent = 0
    const lbSaw: string[] = []
    const t = { blackHole: 0, cut: 0, healed: 0 }
    let eventId = 0
    // One attempt straight to the victim (no load balancer, no retry): what does it answer?
    // The label goes into the probe's userId, so it must be a valid one (no spaces): a label
    // "black hole" once made these probes 400 E_VALIDATION, rightly.
    const probe = async (label: string) => {
      const p = await purchase(
        { baseUrls: () => [victim.baseUrl], eventId, requestTimeoutMs: 5000, giveUpAfterMs: 1 },
        `probe-${label}-${probesSent++}`,
        1,
      )
      probes.push(p)
    }
    // Probes every 500 ms through the phase (after a second to settle), each answered by itself.
    const probeWhile = async (ms: number, label: string) => {
      const until = Date.now() + ms
      const sent: Array<Promise<void>> = []
      await sleep(1000)
      while (Date.now() < until - 500) {
        sent.push(probe(label))
        await sleep(500)
      }
      lbSaw.push(`${label}: ${(await svc.lb.status())[0]?.status}`)
      await Promise.all(sent)
    }
    const loadMs = FAULT_AT_MS + 2 * PHASE_MS + 2000
    const outcome = await runSale({
      databaseUrl: svc.db.url,
      baseUrls: () => [svc.baseUrl],
      totalSeats: seatsFor(loadMs),
      concurrency: scale(16, 40),
      // The load ends soon after the heal, so the drain that follows measures what was left held.
      durationMs: loadMs,
      faultAtMs: FAULT_AT_MS,
      extraPurchases: () => probes,
      fault: async (event) => {
        eventId = event
        t.blackHole = Date.now()
        proxy.setDelay(30_000)
        await probeWhile(PHASE_MS, 'black-hole')
        t.cut = Date.now()
        // Existing connections are reset (the delayed bytes are dropped with them) and new
        // ones are refused: nothing listens on this port.
        proxy.retarget(await freePort())
        proxy.setDelay(0)
        await probeWhile(PHASE_MS, 'cut')
        proxy.retarget(redisPort)
        t.healed = Date.now()
        return { faultAt: t.blackHole, restoredAt: t.healed }
      },
    })
    // Back in rotation, and selling: one purchase straight to it.
    await svc.lb.waitForStatus(0, 'UP', 30_000)
    const after = await purchase(
      { baseUrls: () => [victim.baseUrl], eventId: outcome.eventId },
      'probe-after',
      1,
    )
    // From the heal until the last time the drain was refused a seat MySQL still had (a seat
    // still held); 0 when it never was. The drain itself must have ended with SOLD_OUT.
    const returnedAfterHealMs =
      outcome.drain.returnedAfterMs === null
        ? null
        : Math.max(0, (outcome.drain.lastStallAt ?? t.healed) - t.healed)
    const inWindow = outcome.load.purchases
      .flatMap((p) => p.attempts)
      .filter((a) => a.sentAt >= t.blackHole + 1000 && a.sentAt < t.healed)
    const soldMeanwhile = inWindow.filter((a) => typeof a.status === 'number' && a.status < 300).length
    const timeline: Record<string, string[]> = {}
    for (const p of outcome.load.purchases)
      for (const a of p.attempts) {
        const k = String(Math.floor((a.sentAt - t.blackHole) / 1000))
        timeline[k] ??= []
        timeline[k].push(`${a.status}`)
      }
    const hist = Object.entries(timeline)
      .sort((a, b) => Number(a[0]) - Number(b[0]))
      .map(([k, v]) => `${k}s: ${v.length} (${v.filter((x) => x === '201').length} ok)`)
    console.log(hist.join('\n'))
    const probeAnswers = probes.map((p) => `${p.attempts[0]?.status} ${p.attempts[0]?.retryAfter ?? '-'}`)
    console.log('instance cut off from Redis', outcome.load.statusCounts, outcome.check, {
      probeAnswers,
      lbSaw,
      soldMeanwhile,
      returnedAfterHealMs,
    })
    await recordResult(
      saleResult(
        '12-instance-cut-off-redis',
        '12. One instance cut off from Redis (1 of 3)',
        outcome,
        [
          `api-1's Redis black-holed for ${PHASE_MS / 1000} s`,
          `then its connections reset and refused for ${PHASE_MS / 1000} s`,
          'then healed',
        ],
        `api-1 probed directly ${probes.length} times meanwhile: all 503 + Retry-After; load balancer saw ${lbSaw.join(', ')}; ${soldMeanwhile} sales by the others meanwhile; held seats back on sale ${returnedAfterHealMs === null ? 'never' : `${round2(returnedAfterHealMs / 1000)} s`} after the heal (bound ${CUT_OFF_BOUND_MS / 1000} s)`,
      ),
    )
    expectNothingLost(outcome, svc.apis)
    // The cut-off instance answered every write 503 + Retry-After (the API's own envelope),
    // within its request deadline, and its health check took it out of rotation.
    expect(probes.length).toBeGreaterThan(2)
    for (const p of probes) {
      const a = p.attempts[0]!
      expect(`${a.status} ${a.code} retry-after=${a.retryAfter}`).toMatch(
        /^503 SERVICE_UNAVAILABLE retry-after=\d+$/,
      )
    }
    expect(
      lbSaw.every((s) => s.endsWith('DOWN')),
      lbSaw.join(', '),
    ).toBe(true)
    // The others kept selling.
    expect(soldMeanwhile).toBeGreaterThan(0)
    // Back: it sells again, with no restart, and what it held was back on sale within the bound.
    expect(after.outcome).toMatch(/acked|rejected/)
    expect(returnedAfterHealMs).not.toBeNull()
    expect(returnedAfterHealMs!).toBeLessThanOrEqual(CUT_OFF_BOUND_MS)
    for (const api of svc.apis) expect(api.alive(), api.name).toBe(true)
  })
})
