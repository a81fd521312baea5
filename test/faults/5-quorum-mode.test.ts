// Scenario 5: quorum mode. The production-mode API runs with REDIS_QUORUM_NODES = 3 independent
// redis-servers started here (GA admission is a Redlock quorum over them); its REDIS_URL (cache,
// rate limit, pub/sub) is the shared Redis under a unique key prefix. Mid-sale node 3 is killed
// (1 of 3 down: the sale goes on), then node 2 (2 of 3 down: it fails closed, 503 + Retry-After,
// no sale), then both are restarted empty (the sale resumes from MySQL's counts, no API restart).
// The checker then verifies I1–I5 in MySQL, nothing lost, nothing oversold, no key sold twice.
import { type RedisServer, startRedisNodes } from '@ticketing/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Purchase } from './harness/buyers.js'
import { recordResult } from './harness/report.js'
import { expectServiceContract, round2, runSale, saleResult, seatsFor } from './harness/sale.js'
import { scale, sleep } from './harness/scale.js'
import { type SharedService, startOnDedicated } from './harness/service.js'

let nodes: RedisServer[]
let svc: SharedService

beforeAll(async () => {
  nodes = await startRedisNodes(3)
  svc = await startOnDedicated({
    count: 2,
    redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    env: { REDIS_QUORUM_NODES: nodes.map((n) => `redis://127.0.0.1:${n.port}`).join(',') },
  })
})

afterAll(async () => {
  await svc?.close()
  await Promise.all((nodes ?? []).map((n) => n.stop()))
})

interface PhaseStats {
  sent: number
  acked: number
  unavailable: number
  other: number
}

/** HTTP attempts sent in [from, to) (after a settling time) and what they got. */
function phaseStats(purchases: Purchase[], from: number, to: number): PhaseStats {
  const s: PhaseStats = { sent: 0, acked: 0, unavailable: 0, other: 0 }
  for (const p of purchases) {
    for (const a of p.attempts) {
      if (a.sentAt < from || a.sentAt >= to) continue
      s.sent++
      if (typeof a.status === 'number' && a.status >= 200 && a.status < 300) s.acked++
      else if (a.status === 503) s.unavailable++
      else s.other++
    }
  }
  return s
}

describe('scenario 5: quorum mode (API over 3 independent Redis nodes)', () => {
  it('1 of 3 down: keeps selling; 2 of 3 down: fails closed; nodes back: sells again', async () => {
    const phaseMs = scale(3000, 10_000)
    // In-flight requests of the previous phase settle within this (the API's 1 s commandTimeout).
    const settleMs = 1500
    const t = { kill3: 0, kill2: 0, restart2: 0, restart3: 0 }
    const loadMs = scale(2000, 8000) + 4 * phaseMs
    const outcome = await runSale({
      databaseUrl: svc.db.url,
      baseUrls: () => [svc.baseUrl],
      // Enough that the sale outlasts every phase (quorum admission sells ~500 seats/s here).
      totalSeats: seatsFor(loadMs),
      concurrency: scale(16, 40),
      durationMs: loadMs,
      faultAtMs: scale(2000, 8000),
      fault: async () => {
        t.kill3 = Date.now()
        await nodes[2]!.kill()
        await sleep(phaseMs)
        t.kill2 = Date.now()
        await nodes[1]!.kill()
        await sleep(phaseMs)
        // Repair, one node at a time: node 2 restarts empty (no persistence) while node 3 is
        // still dead — one node full, one empty, one dead: seat-lock reports the counter as not
        // set and the admission rebuilds it from MySQL — then node 3 restarts empty too.
        await nodes[1]!.restart()
        t.restart2 = Date.now()
        await sleep(phaseMs)
        await nodes[2]!.restart()
        t.restart3 = Date.now()
        return { faultAt: t.kill3, restoredAt: t.restart2 }
      },
    })
    const all = outcome.load.purchases
    const phases = {
      threeNodes: phaseStats(all, 0, t.kill3),
      oneDown: phaseStats(all, t.kill3 + settleMs, t.kill2),
      twoDown: phaseStats(all, t.kill2 + settleMs, t.restart2),
      oneBackEmpty: phaseStats(all, t.restart2, t.restart3),
      restored: phaseStats(all, t.restart3, Number.POSITIVE_INFINITY),
    }
    console.log('quorum mode', outcome.load.statusCounts, outcome.check, phases)
    await recordResult(
      saleResult(
        '5-quorum-mode',
        '5. Quorum mode (API, REDIS_QUORUM_NODES = 3 nodes)',
        outcome,
        [
          'kill -9 of node 3 (1 of 3 down)',
          'kill -9 of node 2 (2 of 3 down)',
          'node 2 restarted empty (node 3 still down)',
          'node 3 restarted empty',
        ],
        `acks with 3 nodes ${phases.threeNodes.acked}, with 2 ${phases.oneDown.acked} (503 ${phases.oneDown.unavailable}), with 1 ${phases.twoDown.acked} (503 ${phases.twoDown.unavailable}), with node 2 back empty ${phases.oneBackEmpty.acked}, with all 3 ${phases.restored.acked}; phases ${round2(phaseMs / 1000)} s`,
      ),
    )
    if (outcome.check.violations.length > 0) console.log(svc.apis[0]!.output().slice(-3000))
    expect(outcome.check.violations).toEqual([])
    expect(outcome.check.lost).toBe(0)
    expect(outcome.check.oversold).toBe(0)
    expect(outcome.check.doubleSold).toBe(0)
    expectServiceContract(outcome)

    expect(phases.threeNodes.acked).toBeGreaterThan(0)
    // 1 of 3 down: the quorum (2) still answers; the sale goes on without a restart. Two buyers
    // racing for the same units on 2 live nodes can split the vote (a retryable 503): rare.
    expect(phases.oneDown.acked).toBeGreaterThan(0)
    expect(phases.oneDown.unavailable).toBeLessThan(phases.oneDown.sent / 4)
    // 2 of 3 down: fail closed. Every request gets 503 + Retry-After (the contract above), none sells.
    expect(phases.twoDown.acked).toBe(0)
    expect(phases.twoDown.unavailable).toBeGreaterThan(0)
    expect(phases.twoDown.other).toBe(0)
    // Node 2 back empty, node 3 still dead: selling resumes by itself (the counter is rebuilt
    // from MySQL on the two live nodes), and goes on once node 3 is back too.
    expect(outcome.recoverySeconds).not.toBeNull()
    expect(phases.oneBackEmpty.acked).toBeGreaterThan(0)
    expect(phases.restored.acked).toBeGreaterThan(0)
    for (const api of svc.apis) expect(api.alive(), api.name).toBe(true)
  })
})
