/**
 * Smoke variant of the on-sale benchmark: the same code as `npm run bench:onsale`, with tiny
 * numbers (200 seats, 20 connections, a few seconds per phase), in the production shape: two API
 * instances of each server behind HAProxy, buyers from 20 source addresses, ours with its
 * production defaults (JWT on, tokens minted by the harness; default rate limits; TRUST_PROXY for
 * the proxy). It asserts the invariants, never speed: ours sells exactly the seats there are (I1
 * in MySQL), nothing twice under one Idempotency-Key, refuses nobody while seats remain (no 429
 * either), and acknowledges only committed sales.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { type ConnectionRun, DEFAULTS, isMeasured, runOnSale } from '../onsale/bench.js'
import { oursEntryPoint } from '../onsale/contenders.js'

const ours = oursEntryPoint()
const lines: string[] = []
let run: ConnectionRun

beforeAll(async () => {
  const runs = await runOnSale({
    ...DEFAULTS,
    seats: 200,
    connections: [20],
    maxSaleMs: 15_000,
    afterSellOutMs: 1_000,
    writeOnlyMs: 8_000,
    steadyMs: 1_000,
    warmupMs: 500,
    ceilingWarmupMs: 500,
    busyRetryMs: 100,
    instances: 2,
    contenders: ours.path ? ['seedDesign', 'ours'] : ['seedDesign'],
    log: (line) => lines.push(line),
    progress: () => {},
  })
  run = runs[0]!
}, 110_000)

describe('on-sale benchmark, smoke', () => {
  it('measures the hello-world ceiling with the same generator', () => {
    expect(run.ceiling.rps).toBeGreaterThan(0)
    expect(run.ceiling.errors).toBe(0)
    // Behind the load balancer, whose own CPU is metered apart.
    expect(run.ceiling.cpuCores.loadBalancer).toBeGreaterThan(0)
  })

  it("reproduces the seed's design: sells out, keeps I1, refuses buyers with 'busy' under contention", () => {
    const seed = run.seedDesign
    if (!isMeasured(seed))
      throw new Error(`seed design did not run: ${JSON.stringify(seed)}\n${lines.join('\n')}`)
    expect(seed.soldOut).toBe(true)
    expect(seed.i1).toEqual({ holds: true, total: 200, available: 0, soldSeats: 200 })
    expect(seed.oversold).toBe(0)
    expect(seed.lostAcks).toBe(0)
    // The per-event SET NX lock turns concurrency into refusals: this is what ours must not do.
    expect(seed.busyAnswers).toBeGreaterThan(0)
    expect(seed.reads).toBeGreaterThan(0)
    // The detectors can detect: "busy" chains that end in SOLD_OUT while seats provably remained are
    // false rejections, and resends to a server without idempotency are second sales. (Both
    // phases together: each alone has a small chance of showing none on 200 seats.)
    expect(seed.falseRejections + (seed.writeOnly?.falseRejections ?? 0)).toBeGreaterThan(0)
    expect(seed.duplicates + (seed.writeOnly?.duplicates ?? 0)).toBeGreaterThan(0)
  })

  // The reference API's production build is what "ours" measures; without it there is nothing to run.
  it.skipIf(ours.path === undefined)(
    `ours keeps every invariant (I1, no oversell, no duplicates, no false rejections)${ours.problem ? ` [skipped: ${ours.problem}]` : ''}`,
    () => {
      const o = run.ours
      if (!isMeasured(o)) throw new Error(`ours did not run: ${JSON.stringify(o)}\n${lines.join('\n')}`)
      expect(o.soldOut).toBe(true)
      expect(o.i1).toEqual({ holds: true, total: 200, available: 0, soldSeats: 200 })
      expect(o.oversold).toBe(0)
      expect(o.duplicates).toBe(0)
      expect(o.falseRejections).toBe(0)
      expect(o.lostAcks).toBe(0)
      expect(o.unacknowledgedRows).toBe(0)
      expect(o.busyAnswers).toBe(0)
      // No error answers at all: no 429 from the default rate limits, no 401 from the tokens.
      expect(o.errors).toEqual({})
      expect(o.readErrors).toBe(0)
      expect(o.cachedReads.rps).toBeGreaterThan(0)
      // Every resend got the first answer back.
      expect(o.resends.newSale).toBe(0)
      expect(o.reads).toBeGreaterThan(0)
      // The write-only phase (no reads) sells a second event of 200 seats under the same rules.
      expect(o.writeOnly).toMatchObject({
        soldOut: true,
        oversold: 0,
        duplicates: 0,
        falseRejections: 0,
        lostAcks: 0,
        i1Holds: true,
        busyAnswers: 0,
      })
    },
  )
})
