/** The figures, targets, hard failures and chart lines of the flash-crowd benchmark. */
import type { AccessLogEntry } from '@ticketing/testkit'
import type { AuditResult } from '../onsale/audit.js'
import type { ChartLine } from '../onsale/chart.js'
import { percentile, round, type SeriesPoint, series, summarize } from '../onsale/stats.js'
import { binByRank, binsFor, type ChiSquare, chiSquareUniform, spearman } from './fairness.js'
import type { LegResult, VisitorRecord } from './legs.js'
import type { Visitor } from './visitors.js'

export interface Rho {
  n: number
  rho: number | null
}

export interface LegFigures {
  leg: LegResult['leg']
  eventId: number
  visitors: number
  seats: number
  soldSeats: number
  buyers: number
  outcomes: Record<string, number>
  /** s from the sale's start to the last seat's acknowledgement; null if it did not sell out. */
  sellOutSeconds: number | null
  reservation: { requests: number; p50Ms: number; p99Ms: number; maxMs: number }
  /**
   * The same reservation POSTs as the load balancer timed them (HAProxy's Tr: request sent to an
   * instance → its response headers; what an ALB reports as TargetResponseTime), so without the
   * load generator's own lag; null when the run had no access log.
   */
  reservationAtLoadBalancer: { requests: number; p50Ms: number; p99Ms: number; maxMs: number } | null
  /** p99 of the load generator's event-loop delay during the leg (it shares the cores it measures). */
  generatorLoopDelayP99Ms: number | null
  /** Pressing "buy" to the final answer (lane wait and retries included). */
  attemptP99Ms: number
  /** Answers to reservation POSTs (the sale path) by status. */
  reservationAnswers: Record<string, number>
  /** Answers by request kind (page, join, poll, reserve) and status ('0': transport error). */
  answersByKind: Record<string, Record<string, number>>
  answers429: number
  answers503: number
  /** 429s and 5xx to reservation POSTs only (with the waiting room: admitted buyers). */
  saleAnswers429or503: number
  requests: number
  /** Answers that moved nobody forward: 429, 5xx, transport errors (the client must ask again). */
  wasted: number
  /**
   * Buyers told "come back later" (429, 5xx, an error) while seats provably remained, who then
   * never got a seat (audit.ts's false rejection, counting transient refusals too).
   */
  shedWhileSeatsRemained: number
  requestsPerSeat: number | null
  /** Visitors still waiting when the last seat sold, and how long until each learned it. */
  told: {
    waiters: number
    untold: number
    p50Ms: number | null
    p99Ms: number | null
    maxMs: number | null
    /** The same for the waiters that listened on the SSE stream. */
    pushed: { waiters: number; untold: number; p99Ms: number | null; maxMs: number | null }
  }
  /**
   * The latest request sent after the sell-out that was still answered "wait" (a queue place, a
   * 429, a 503): how long the system went on saying "wait" once nothing was left. ms; 0 if none.
   */
  noticeLagMs: number | null
  staleAfterSellOut: number
  fairness: {
    /** Post-start arrivals: arrival vs the moment they got their turn (FIFO → ρ near 1). */
    postStartByTurn: Rho
    /** Post-start arrivals: arrival vs their queue place at joining (with only). */
    postStartByPosition: Rho
    /** Pre-start arrivals who got a turn: arrival vs turn (a fair draw → ρ near 0). */
    preStartByTurn: Rho
    /** Pre-queue joiners: arrival vs their drawn place (a fair draw → ρ near 0). */
    preStartByPosition: Rho
    /** Which tenth of the pre-start arrival order the pre-start visitors who got a turn came from. */
    preStartChiSquare: ChiSquare | null
    /**
     * With: which tenth of the arrival order the pre-queue visitors drawn into the first fifth of
     * places came from. The drawn place: the ticket the board gave (board waiters), else the
     * position read within 1 s of the start (poll waiters).
     */
    drawChiSquare: ChiSquare | null
  }
  /** p99 of the time requests waited for a free socket of their lane (the generator's lag). */
  generatorLagP99Ms: number
  audit: Omit<AuditResult, 'falseRejectionExamples'> & {
    falseRejectionExamples: AuditResult['falseRejectionExamples']
  }
  series: { reservationsPerSec: SeriesPoint[]; requestsPerSec: SeriesPoint[] }
}

/** Places read this soon after the start count as the drawn order. */
const DRAWN_WINDOW_MS = 1000

const sum = (o: Record<string, number> | undefined, keep: (status: number) => boolean) =>
  Object.entries(o ?? {}).reduce((s, [k, v]) => s + (keep(Number(k)) ? v : 0), 0)

function rho(pairs: [number, number][]): Rho {
  if (pairs.length < 3) return { n: pairs.length, rho: null }
  const r = spearman(
    pairs.map((p) => p[0]),
    pairs.map((p) => p[1]),
  )
  return { n: pairs.length, rho: Number.isNaN(r) ? null : round(r, 4) }
}

export function legFigures(
  leg: LegResult,
  crowd: Visitor[],
  audit: AuditResult,
  shedWhileSeatsRemained = 0,
  seen: { atLoadBalancer?: AccessLogEntry[]; generatorLoopDelayP99Ms?: number } = {},
  bucketMs = 1000,
): LegFigures {
  const outcomes: Record<string, number> = {}
  for (const v of leg.visitors) outcomes[v.outcome] = (outcomes[v.outcome] ?? 0) + 1
  const all = Object.values(leg.counts)
  const answers429 = all.reduce((s, c) => s + sum(c, (st) => st === 429), 0)
  const answers503 = all.reduce((s, c) => s + sum(c, (st) => st === 503), 0)
  const wasted = all.reduce((s, c) => s + sum(c, (st) => st === 0 || st === 429 || st >= 500), 0)
  const soldOutAt = audit.soldOutAtMs
  const r = summarize(leg.reservations.latencies)
  const answered = seen.atLoadBalancer?.filter((e) => e.backendMs >= 0)
  const atLb = answered && answered.length > 0 ? summarize(answered.map((e) => e.backendMs)) : null

  // Waiters at the sell-out: arrived before it, not yet done with the sale by then.
  const lags: number[] = []
  const pushedLags: number[] = []
  let waiters = 0
  let untold = 0
  let pushedWaiters = 0
  let pushedUntold = 0
  if (soldOutAt !== undefined) {
    leg.visitors.forEach((rec, i) => {
      if (crowd[i]!.arrivalMs > soldOutAt) return
      if (rec.doneAt !== undefined && rec.doneAt <= soldOutAt) return
      if (rec.outcome === 'bought') return
      waiters++
      if (rec.toldAt === undefined) untold++
      else lags.push(Math.max(0, rec.toldAt - soldOutAt))
      if (rec.pushed) {
        pushedWaiters++
        if (rec.toldAt === undefined) pushedUntold++
        else pushedLags.push(Math.max(0, rec.toldAt - soldOutAt))
      }
    })
  }
  const stale = soldOutAt === undefined ? [] : leg.stale.filter((s) => s.sentAt > soldOutAt)

  const start = leg.startMs
  // Who is "pre-start": with the waiting room, whoever the server put in the pre-queue (its
  // join answer said pre_queue), ordered by when the join left the client; a join delayed past
  // the start by its lane is a post-start join, and counting it as pre-start would read as an
  // unfair draw. Without the room, the arrival time.
  const arrivalOf = (rec: VisitorRecord, i: number) =>
    leg.leg === 'with' ? rec.joinSentAt : crowd[i]!.arrivalMs
  const isPre = (rec: VisitorRecord, i: number) =>
    leg.leg === 'with' ? rec.joinStatus === 'pre_queue' : crowd[i]!.arrivalMs < start
  const post: [number, number][] = []
  const postPos: [number, number][] = []
  const pre: [number, number][] = []
  const prePos: [number, number][] = []
  const preArrivals: { at: number; chosen: boolean }[] = []
  // The drawn place: the ticket the board gave (board waiters), else a position read within 1 s
  // of the start (poll waiters), which admissions have hardly moved yet. One or the other for
  // the whole leg: tickets count from 0, positions from 1 past the served.
  const byTicket = leg.visitors.some((rec) => rec.drawnTicket !== undefined)
  leg.visitors.forEach((rec, i) => {
    const at = arrivalOf(rec, i)
    if (at === undefined) return
    if (!isPre(rec, i)) {
      if (rec.admittedAt !== undefined) post.push([at, rec.admittedAt])
      if (rec.joinPosition !== undefined) postPos.push([at, rec.joinPosition])
    } else {
      preArrivals.push({ at, chosen: rec.admittedAt !== undefined })
      if (rec.admittedAt !== undefined) pre.push([at, rec.admittedAt])
      if (byTicket) {
        if (rec.drawnTicket !== undefined) prePos.push([at, rec.drawnTicket])
      } else if (
        rec.positionAfterStart !== undefined &&
        rec.positionAfterStartAt !== undefined &&
        rec.positionAfterStartAt - start < DRAWN_WINDOW_MS
      )
        prePos.push([at, rec.positionAfterStart])
    }
  })
  preArrivals.sort((a, b) => a.at - b.at)
  const preChosen = preArrivals.flatMap((a, rank) => (a.chosen ? [rank] : []))
  const preCount = preArrivals.length
  // The draw itself: among pre-queue visitors whose drawn place is known, those
  // drawn into the first fifth of places should come evenly from every tenth of the arrival
  // order (ranks within that same group, so which visitors happened to poll then cannot bias it).
  const byArrival = [...prePos].sort((a, b) => a[0] - b[0])
  const cut = percentile(
    byArrival.map((p) => p[1]),
    20,
  )
  const drawnFirst = byArrival.flatMap((p, rank) => (p[1] <= cut ? [rank] : []))
  const drawChiSquare =
    drawnFirst.length >= 10
      ? chiSquareUniform(binByRank(drawnFirst, byArrival.length, binsFor(drawnFirst.length)))
      : null
  const preStartChiSquare =
    preChosen.length >= 10
      ? chiSquareUniform(binByRank(preChosen, preCount, binsFor(preChosen.length)))
      : null

  return {
    leg: leg.leg,
    eventId: leg.eventId,
    visitors: crowd.length,
    seats: leg.seats,
    soldSeats: audit.soldSeats,
    buyers: outcomes.bought ?? 0,
    outcomes,
    sellOutSeconds: soldOutAt === undefined ? null : round((soldOutAt - start) / 1000, 2),
    reservation: { requests: r.count, p50Ms: r.p50Ms, p99Ms: r.p99Ms, maxMs: r.maxMs },
    reservationAtLoadBalancer: atLb && {
      requests: atLb.count,
      p50Ms: atLb.p50Ms,
      p99Ms: atLb.p99Ms,
      maxMs: atLb.maxMs,
    },
    generatorLoopDelayP99Ms:
      seen.generatorLoopDelayP99Ms === undefined ? null : round(seen.generatorLoopDelayP99Ms),
    attemptP99Ms: round(percentile(leg.attemptLatency.latencies, 99)),
    reservationAnswers: leg.counts.reserve ?? {},
    answersByKind: leg.counts,
    answers429,
    answers503,
    saleAnswers429or503: sum(leg.counts.reserve, (st) => st === 429 || st >= 500),
    requests: leg.requests.count,
    wasted,
    shedWhileSeatsRemained,
    requestsPerSeat: audit.soldSeats > 0 ? round(leg.requests.count / audit.soldSeats, 1) : null,
    told: {
      waiters,
      untold,
      p50Ms: lags.length > 0 ? round(percentile(lags, 50), 0) : null,
      p99Ms: lags.length > 0 ? round(percentile(lags, 99), 0) : null,
      maxMs:
        lags.length > 0
          ? round(
              lags.reduce((m, x) => Math.max(m, x), 0),
              0,
            )
          : null,
      pushed: {
        waiters: pushedWaiters,
        untold: pushedUntold,
        p99Ms: pushedLags.length > 0 ? round(percentile(pushedLags, 99), 0) : null,
        maxMs:
          pushedLags.length > 0
            ? round(
                pushedLags.reduce((m, x) => Math.max(m, x), 0),
                0,
              )
            : null,
      },
    },
    noticeLagMs:
      soldOutAt === undefined
        ? null
        : round(
            stale.reduce((m, s) => Math.max(m, s.sentAt - soldOutAt), 0),
            0,
          ),
    staleAfterSellOut: stale.length,
    fairness: {
      postStartByTurn: rho(post),
      postStartByPosition: rho(postPos),
      preStartByTurn: rho(pre),
      preStartByPosition: rho(prePos),
      preStartChiSquare,
      drawChiSquare,
    },
    generatorLagP99Ms: round(percentile(leg.laneQueueMs.latencies, 99)),
    audit,
    series: {
      reservationsPerSec: series(
        leg.confirmations.map((c) => c.ackAt),
        leg.reservations,
        leg.durationMs,
        bucketMs,
      ),
      requestsPerSec: series(leg.requests.times, leg.waits, leg.durationMs, bucketMs),
    },
  }
}

export function hardFailures(legs: LegFigures[]): string[] {
  const out: string[] = []
  for (const f of legs) {
    const at = `${f.leg} the waiting room`
    const a = f.audit
    if (a.oversold > 0) out.push(`${at}: ${a.oversold} seats oversold`)
    if (a.duplicates > 0) out.push(`${at}: ${a.duplicates} duplicate sales by Idempotency-Key`)
    if (a.falseRejections > 0)
      out.push(`${at}: ${a.falseRejections} false rejections (${JSON.stringify(a.falseRejectionExamples)})`)
    if (a.lostAcks > 0) out.push(`${at}: ${a.lostAcks} reservations acknowledged but not in MySQL (I3)`)
    if (!a.i1Holds) out.push(`${at}: I1 broken (sold ${a.soldSeats} + available ${a.available} ≠ ${a.total})`)
  }
  return out
}

export interface Target {
  name: string
  goal: string
  value: string
  met: boolean | null
}

/** The issue's "done when" for the leg with the waiting room. */
export function targets(withRoom: LegFigures | undefined): Target[] {
  if (!withRoom) return []
  const t = (name: string, goal: string, value: number | null, met: (v: number) => boolean, unit = '') => ({
    name,
    goal,
    value: value === null ? 'n/a' : `${value}${unit}`,
    met: value === null ? null : met(value),
  })
  return [
    t('503/429 answers to admitted buyers', '0', withRoom.saleAnswers429or503, (v) => v === 0),
    t('admitted buyers shed while seats remained', '0', withRoom.shedWhileSeatsRemained, (v) => v === 0),
    t('admitted buyers’ reservation p99', '≤ 100 ms', withRoom.reservation.p99Ms, (v) => v <= 100, ' ms'),
    t(
      'a waiter polling after the sell-out is told "sold out"',
      '≤ 2 s after it',
      withRoom.noticeLagMs,
      (v) => v <= 2000,
      ' ms',
    ),
    t(
      'a waiter on the SSE stream is told "sold out"',
      '≤ 2 s after it',
      withRoom.told.pushed.maxMs,
      (v) => v <= 2000,
      ' ms',
    ),
    t('waiters never told', '0', withRoom.told.untold, (v) => v === 0),
  ]
}

const fmt = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : round(v, digits).toLocaleString('en-US')
const fmtRho = (r: Rho) =>
  r.rho === null ? `– (n = ${r.n})` : `${r.rho} (n = ${r.n.toLocaleString('en-US')})`

const chi = (c: ChiSquare | null) =>
  c
    ? `${round(c.statistic, 1)} (${c.degreesOfFreedom}), p = ${round(c.pValue, 3)} (n = ${c.counts.reduce((a, b) => a + b, 0)})`
    : '–'

/** The markdown table: one row per figure, one column per leg. */
export function table(legs: LegFigures[]): string {
  const rows: [string, (f: LegFigures) => string][] = [
    ['seats sold / seats', (f) => `${fmt(f.soldSeats)} / ${fmt(f.seats)}`],
    ['buyers (1–4 seats each)', (f) => fmt(f.buyers)],
    [
      'time to sell out (from the start)',
      (f) => (f.sellOutSeconds === null ? 'not sold out' : `${f.sellOutSeconds} s`),
    ],
    [
      'reservation p50 / p99 (per request)',
      (f) => `${fmt(f.reservation.p50Ms)} / ${fmt(f.reservation.p99Ms)} ms`,
    ],
    [
      'reservation p50 / p99 at the load balancer (ALB TargetResponseTime)',
      (f) =>
        f.reservationAtLoadBalancer
          ? `${fmt(f.reservationAtLoadBalancer.p50Ms)} / ${fmt(f.reservationAtLoadBalancer.p99Ms)} ms`
          : '–',
    ],
    [
      'load generator: event-loop delay p99',
      (f) => (f.generatorLoopDelayP99Ms === null ? '–' : `${fmt(f.generatorLoopDelayP99Ms)} ms`),
    ],
    [
      'reservation as the visitor sees it: p99 (lane wait, retries included)',
      (f) => `${fmt(f.attemptP99Ms)} ms`,
    ],
    ['429 / 503 answers (all requests)', (f) => `${fmt(f.answers429)} / ${fmt(f.answers503)}`],
    ['429 / 5xx answers to reservations', (f) => fmt(f.saleAnswers429or503)],
    [
      '503 answers by request',
      (f) =>
        Object.entries(f.answersByKind)
          .map(([kind, c]) => `${kind} ${fmt(c['503'] ?? 0)}`)
          .join(', '),
    ],
    ['requests', (f) => fmt(f.requests)],
    ['requests wasted (429, 5xx, errors)', (f) => fmt(f.wasted)],
    ['requests per seat sold', (f) => fmt(f.requestsPerSeat)],
    ['buyers shed (429/503) while seats remained, never served', (f) => fmt(f.shedWhileSeatsRemained)],
    ['waiters at the sell-out', (f) => fmt(f.told.waiters)],
    [
      'sell-out → waiter told: p50 / p99 / max',
      (f) => `${fmt(f.told.p50Ms, 0)} / ${fmt(f.told.p99Ms, 0)} / ${fmt(f.told.maxMs, 0)} ms`,
    ],
    ['waiters never told (run ended)', (f) => fmt(f.told.untold)],
    [
      'of them on SSE: waiters, sell-out → told p99 / max',
      (f) =>
        f.told.pushed.waiters === 0
          ? '–'
          : `${fmt(f.told.pushed.waiters)}, ${fmt(f.told.pushed.p99Ms, 0)} / ${fmt(f.told.pushed.maxMs, 0)} ms`,
    ],
    ['last "wait" answer to a request sent after the sell-out', (f) => `${fmt(f.noticeLagMs, 0)} ms`],
    ['post-start arrivals: ρ(arrival, turn)', (f) => fmtRho(f.fairness.postStartByTurn)],
    ['post-start arrivals: ρ(arrival, queue place)', (f) => fmtRho(f.fairness.postStartByPosition)],
    [
      'pre-start arrivals (with: pre-queue joiners): ρ(arrival, turn)',
      (f) => fmtRho(f.fairness.preStartByTurn),
    ],
    ['pre-queue: ρ(arrival, drawn place)', (f) => fmtRho(f.fairness.preStartByPosition)],
    ['pre-start turns by arrival tenth: χ² (df), p', (f) => chi(f.fairness.preStartChiSquare)],
    [
      'pre-queue: first fifth of drawn places by arrival tenth: χ² (df), p',
      (f) => chi(f.fairness.drawChiSquare),
    ],
    [
      'oversold / duplicates / false rejections / lost acks',
      (f) => `${f.audit.oversold} / ${f.audit.duplicates} / ${f.audit.falseRejections} / ${f.audit.lostAcks}`,
    ],
    ['generator lag p99 (wait for a lane socket)', (f) => `${fmt(f.generatorLagP99Ms)} ms`],
  ]
  const head = `| | ${legs.map((f) => `${f.leg} waiting room`).join(' | ')} |`
  const sep = `| --- | ${legs.map(() => '---').join(' | ')} |`
  return [head, sep, ...rows.map(([name, get]) => `| ${name} | ${legs.map(get).join(' | ')} |`)].join('\n')
}

export function chartLines(legs: LegFigures[]): { throughput: ChartLine[]; latency: ChartLine[] } {
  const colors: Record<string, string> = { without: '#d62728', with: '#1f77b4' }
  const throughput: ChartLine[] = []
  const latency: ChartLine[] = []
  for (const f of legs) {
    const color = colors[f.leg] ?? '#555'
    const name = `${f.leg} room`
    throughput.push({
      label: `${name}: reservations/s`,
      color,
      points: f.series.reservationsPerSec,
      value: 'perSec',
    })
    throughput.push({
      label: `${name}: requests/s`,
      color,
      dashed: true,
      points: f.series.requestsPerSec,
      value: 'perSec',
    })
    latency.push({
      label: `${name}: reservation p99`,
      color,
      points: f.series.reservationsPerSec,
      value: 'p99Ms',
    })
    latency.push({
      label: `${name}: ${f.leg === 'with' ? 'queue' : 'page'} p99`,
      color,
      dashed: true,
      points: f.series.requestsPerSec,
      value: 'p99Ms',
    })
  }
  return { throughput, latency }
}
