/**
 * One flash-crowd run: start the stack (harness.ts), then for each leg a fresh event of `seats`
 * seats, the same crowd (visitors.ts, new visitor ids per leg so that no rate-limit budget or
 * queue place carries over), the leg (legs.ts), the audit against MySQL (onsale/audit.ts) and the
 * figures (report.ts).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { createClientPool, mintJwt } from '@ticketing/testkit'
import { audit } from '../onsale/audit.js'
import { OURS_AUDIT } from '../onsale/contenders.js'
import type { Attempt } from '../onsale/load.js'
import { startCrowdStack } from './harness.js'
import { type LegName, runLeg } from './legs.js'
import { type LegFigures, legFigures } from './report.js'
import { arrivals, Lane } from './visitors.js'

export interface CrowdOptions {
  visitors: number
  seats: number
  /** Arrivals spread over this long… */
  spreadMs: number
  /** …and the sale starts here (half the arrivals come before). */
  startMs: number
  /** Simulated clients (source addresses), each carrying visitors/lanes visitors. */
  lanes: number
  /** Keep-alive connections (requests in flight) per lane. */
  connectionsPerLane: number
  /** API instances behind the load balancer. */
  instances: number
  legs: LegName[]
  /** The queue of the "with" leg. */
  queue: { maxActiveBuyers: number; admitPerMinute: number; turnSeconds: number }
  /** One visitor in this many listens on the SSE stream instead of polling ("with"; 0: none). */
  sseEvery: number
  /**
   * How the others follow their place ("with"): the public serving board, cached at the edge
   * (the page's way), or polls with their queue ticket (every poll reaches an instance).
   */
  waiters: 'board' | 'poll'
  /** The run ends at the latest this long after the last arrival. */
  maxAfterArrivalsMs: number
  seed: number
  /** Extra API environment. */
  env?: Record<string, string>
  log: (line: string) => void
  progress: (line: string) => void
}

export const DEFAULTS: Omit<CrowdOptions, 'log' | 'progress'> = {
  visitors: 100_000,
  seats: 10_000,
  spreadMs: 60_000,
  startMs: 30_000,
  lanes: 300,
  connectionsPerLane: 2,
  // Two instances on a two-core machine: the ASG's minimum, and what the cores can run.
  instances: 2,
  legs: ['without', 'with'],
  // Sized so that 10,000 seats (about 4,000 buyers of 1–4) sell in about 40 s while the sale
  // path never holds more than 100 buyers at once.
  queue: { maxActiveBuyers: 100, admitPerMinute: 6_000, turnSeconds: 120 },
  // 1,000 of 100,000 visitors hold an SSE stream: enough to time the push, few enough that the
  // lanes' sockets stay with the polling majority.
  sseEvery: 100,
  waiters: 'board',
  maxAfterArrivalsMs: 90_000,
  seed: 1,
}

export interface PendingLeg {
  leg: LegName
  pending: true
  reason: string
}

export type LegOutcome = LegFigures | PendingLeg

export function isMeasuredLeg(l: LegOutcome): l is LegFigures {
  return !('pending' in l)
}

export async function runCrowd(o: CrowdOptions): Promise<LegOutcome[]> {
  const crowd = arrivals({ visitors: o.visitors, spreadMs: o.spreadMs, startMs: o.startMs, seed: o.seed })
  o.log(
    `crowd: ${o.visitors.toLocaleString('en-US')} visitors over ${o.spreadMs / 1000} s, sale at ${o.startMs / 1000} s, ${o.seats.toLocaleString('en-US')} seats, ${o.lanes} lanes × ${o.connectionsPerLane} connections, ${o.instances} API instance(s)`,
  )
  const stack = await startCrowdStack({ instances: o.instances, env: o.env, log: o.log })
  // Ctrl-C stops what the run started (mariadbd, redis-server, HAProxy, the API) before exiting.
  const interrupted = (signal: NodeJS.Signals) => {
    o.log(`${signal}: stopping the stack`)
    void stack.stop().finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  const out: LegOutcome[] = []
  try {
    for (const [n, leg] of o.legs.entries()) {
      const startWall = () => Date.now()
      let eventId: number
      // The queue opens now and the sale starts startMs after the crowd's t0 (set just below).
      const createdAt = startWall()
      try {
        eventId = await stack.createEvent(
          `crowd-${leg}`,
          o.seats,
          leg === 'with'
            ? {
                opensAt: new Date(createdAt).toISOString(),
                startsAt: new Date(createdAt + o.startMs).toISOString(),
                ...o.queue,
              }
            : undefined,
        )
      } catch (error) {
        out.push({ leg, pending: true, reason: (error as Error).message })
        o.log(`[${leg}] PENDING: ${(error as Error).message}`)
        continue
      }
      // t0 of the crowd ↔ the queue's opensAt (the event took a few ms to create: arrivals are
      // shifted by that much, the sale's start is not).
      const t0 = performance.now() - (startWall() - createdAt)
      // Lanes get their own source addresses per leg, so no address budget carries over.
      const pool = createClientPool({
        count: o.lanes,
        firstIndex: 1000 + n * o.lanes,
        connectionsPerClient: o.connectionsPerLane,
      })
      const lanes = pool.clients.map((c) => new Lane(c, stack.url, o.connectionsPerLane, t0))
      // The same addresses again, for the long-lived SSE streams (they never take a lane's slot).
      const ssePool = createClientPool({
        count: o.lanes,
        firstIndex: 1000 + n * o.lanes,
        connectionsPerClient: Math.max(1, Math.ceil(o.visitors / o.lanes / Math.max(1, o.sseEvery))) + 1,
      })
      const prefix = `crowd-${leg}-${n}`
      const tokens = new Map<number, Record<string, string>>()
      // What the load balancer saw of this leg's reservations, and how late this process (the
      // load generator, on the same 2 cores) ran its own callbacks: the gap between the two
      // latencies below.
      stack.takeReservationLog()
      const generatorLoop = monitorEventLoopDelay({ resolution: 10 })
      generatorLoop.enable()
      try {
        const result = await runLeg({
          leg,
          eventId,
          seats: o.seats,
          crowd,
          lanes,
          startMs: o.startMs,
          t0,
          userId: (i) => `${prefix}-${i}`,
          auth: (i) => {
            let h = tokens.get(i)
            if (!h) {
              h = { authorization: `Bearer ${mintJwt(`${prefix}-${i}`, { secret: stack.jwtSecret })}` }
              tokens.set(i, h)
            }
            return h
          },
          maxAfterArrivalsMs: o.maxAfterArrivalsMs,
          origin: stack.url,
          sseEvery: o.sseEvery,
          waiters: o.waiters,
          sseDispatchers: ssePool.clients.map((c) => c.dispatcher),
          progress: o.progress,
        })
        // A waiter told "sold out" by the queue is refused one seat at that moment: the audit
        // flags it if MySQL provably still had a seat.
        const toldSoldOut: Attempt[] = result.visitors.flatMap((v, i) =>
          v.outcome === 'sold_out' && v.toldAt !== undefined
            ? [
                {
                  key: `queue-${prefix}-${i}`,
                  quantity: 1,
                  firstSentAt: v.toldAt,
                  outcome: 'refused' as const,
                  refusals: [v.toldAt],
                  busy: 0,
                  errors: 0,
                },
              ]
            : [],
        )
        // Two audits of the same rows. The hard one counts only final refusals (409 SOLD_OUT /
        // INSUFFICIENT_SEATS, "sold out" from the queue) while seats provably remained: a false
        // rejection, an invariant. The full one also counts "come back later" (429, 503, errors)
        // given to a buyer who then never got a seat while seats remained: buyers shed by
        // overload, the figure a waiting room is meant to bring to 0 (reported, not a failure).
        const finalOnly = result.attempts.map((a) => ({
          ...a,
          refusals: a.outcome === 'refused' && a.endAt !== undefined ? [a.endAt] : [],
        }))
        const checked = await audit(stack.databaseUrl, OURS_AUDIT, eventId, {
          attempts: [...finalOnly, ...toldSoldOut],
          confirmations: result.confirmations,
        })
        const withShed = await audit(stack.databaseUrl, OURS_AUDIT, eventId, {
          attempts: [...result.attempts, ...toldSoldOut],
          confirmations: result.confirmations,
        })
        const shed = withShed.falseRejections - checked.falseRejections
        const figures = legFigures(result, crowd, checked, shed, {
          atLoadBalancer: stack.takeReservationLog(),
          generatorLoopDelayP99Ms: generatorLoop.percentile(99) / 1e6,
        })
        out.push(figures)
        for (const [answer, first] of Object.entries(result.firstFailures))
          o.log(`[${leg}] first ${answer} at ${(first.at / 1000).toFixed(1)} s: ${first.text}`)
        o.log(
          `[${leg}] sold ${figures.soldSeats}/${figures.seats} in ${figures.sellOutSeconds ?? '–'} s, reservation p99 ${figures.reservation.p99Ms} ms, ${figures.answers429} × 429, ${figures.answers503} × 503, ${figures.requests} requests`,
        )
      } finally {
        generatorLoop.disable()
        await Promise.all([pool.close(), ssePool.close()])
      }
    }
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    await stack.stop()
  }
  return out
}
