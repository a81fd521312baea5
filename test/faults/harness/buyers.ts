import { randomUUID } from 'node:crypto'
import { type ClientPool, createClientPool, type SimulatedClient } from '@ticketing/testkit'
import { sleep } from './scale.js'
import { authHeader } from './tokens.js'

/** One HTTP attempt of a purchase. */
export interface Attempt {
  url: string
  sentAt: number
  endedAt: number
  /** HTTP status, or the transport failure. */
  status: number | 'timeout' | 'network'
  code?: string
  retryAfter?: string | null
  /**
   * The answer came from the load balancer, not from the API (no error envelope): HAProxy's own
   * 502 (an instance died under the request) or 503 (no instance in rotation).
   */
  fromProxy?: boolean
}

/** One buyer's purchase: one Idempotency-Key, retried with that same key until a definitive answer. */
export interface Purchase {
  key: string
  userId: string
  quantity: number
  startedAt: number
  endedAt: number
  /**
   * acked: a 2xx with a reservationId. rejected: 409 (seats insufficient / sold out).
   * refused: another 4xx (a bug for a well-formed request). unknown: no definitive answer before
   * the client gave up (the seats may or may not have been sold: the checker looks in MySQL).
   */
  outcome: 'acked' | 'rejected' | 'refused' | 'unknown'
  reservationId?: string
  ackedAt?: number
  /** Every reservationId any 2xx answer for this key carried (I4: all equal). */
  ackIds: string[]
  code?: string
  attempts: Attempt[]
}

export interface BuyerPoolOptions {
  /** The API base URLs; read at every attempt, so a scenario may change the list mid-run. */
  baseUrls: () => string[]
  eventId: number | string
  /** Concurrent buyers. */
  concurrency: number
  /** New purchases start until this many ms have passed; started ones finish (retrying). */
  durationMs: number
  /** First userId; each purchase gets its own userId (so MySQL rows map back to keys). */
  userIdBase: number
  /** Seats per purchase. @default 1–3 */
  quantity?: () => number
  /** Client-side timeout per attempt. @default 3000 */
  requestTimeoutMs?: number
  /** A purchase retries (same key) until this long after it started. @default 45_000 */
  giveUpAfterMs?: number
  /** Pause between two purchases of one buyer. @default 0 */
  thinkMs?: number
  /** Stop starting purchases once the sale answered sold-out this many times. @default Infinity */
  stopAfterRejections?: number
}

export interface LoadResult {
  purchases: Purchase[]
  startedAt: number
  endedAt: number
  /** HTTP attempts per second over the run (every attempt, retries included). */
  requestsPerSecond: number
  statusCounts: Record<string, number>
}

/** Codes the API answers when seats are really gone (409). */
export const REJECTION_CODES = new Set(['SOLD_OUT', 'INSUFFICIENT_SEATS', 'SEATS_UNAVAILABLE'])

const definitive = (status: Attempt['status']) => typeof status === 'number' && status < 500

/** Retry delay: exponential from 50 ms, capped at 1 s; a Retry-After is honoured up to 2 s. */
function backoff(retry: number, retryAfter?: string | null): number {
  const base = Math.min(1000, 50 * 2 ** retry) * (0.5 + Math.random() / 2)
  const seconds = retryAfter ? Number(retryAfter) : Number.NaN
  return Number.isFinite(seconds) ? Math.min(2000, Math.max(base, seconds * 1000)) : base
}

let nextClientIndex = 0
/**
 * Buyers from many source addresses (testkit `createClientPool`: each client bound to its own
 * 127.x.y.z), so the load balancer and the API's per-address limits see a crowd, not one host.
 * Pools created one after another never share addresses.
 */
export function buyerClients(count: number): ClientPool {
  const pool = createClientPool({ count, firstIndex: nextClientIndex })
  nextClientIndex += count
  return pool
}

/**
 * Makes one purchase the way a careful client does: same key on every retry, failing over
 * across URLs (behind the load balancer there is one URL, and a retry lands on the next
 * instance). `client`: the simulated buyer (its source address); default: Node's fetch.
 */
export async function purchase(
  options: Pick<BuyerPoolOptions, 'baseUrls' | 'eventId' | 'requestTimeoutMs' | 'giveUpAfterMs'>,
  userId: string,
  quantity: number,
  startIndex = 0,
  client?: SimulatedClient,
): Promise<Purchase> {
  const send = (
    url: string,
    init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
  ) => (client ? client.fetch(url, init) : fetch(url, init))
  const key = randomUUID()
  const p: Purchase = {
    key,
    userId,
    quantity,
    startedAt: Date.now(),
    endedAt: 0,
    outcome: 'unknown',
    ackIds: [],
    attempts: [],
  }
  const deadline = p.startedAt + (options.giveUpAfterMs ?? 45_000)
  const body = JSON.stringify({ eventId: options.eventId, userId, quantity })
  // The first attempt is always sent, whatever the deadline: a purchase with `giveUpAfterMs: 1`
  // (one attempt, no retry) once made none when the event loop turned late, and had nothing to
  // report.
  for (let retry = 0; retry === 0 || Date.now() < deadline; retry++) {
    const urls = options.baseUrls()
    const url = urls[(startIndex + retry) % urls.length]!
    const attempt: Attempt = { url, sentAt: Date.now(), endedAt: 0, status: 'network' }
    p.attempts.push(attempt)
    try {
      const res = await send(`${url}/api/reservations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key, ...authHeader(userId) },
        body,
        signal: AbortSignal.timeout(options.requestTimeoutMs ?? 3000),
      })
      attempt.status = res.status
      attempt.retryAfter = res.headers.get('retry-after')
      const json = (await res.json().catch(() => null)) as {
        data?: { reservationId?: string }
        error?: { code?: string }
      } | null
      attempt.endedAt = Date.now()
      attempt.code = json?.error?.code
      if (res.status >= 400 && attempt.code === undefined) attempt.fromProxy = true
      if (res.status >= 200 && res.status < 300) {
        const id = json?.data?.reservationId
        if (typeof id === 'string') p.ackIds.push(id)
        if (p.outcome !== 'acked') {
          p.outcome = 'acked'
          p.reservationId = id
          p.ackedAt = attempt.endedAt
        }
        break
      }
      if (definitive(res.status)) {
        p.code = attempt.code
        p.outcome = res.status === 409 && REJECTION_CODES.has(attempt.code ?? '') ? 'rejected' : 'refused'
        break
      }
    } catch (error) {
      attempt.endedAt = Date.now()
      attempt.status = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network'
    }
    await sleep(backoff(retry, attempt.retryAfter))
  }
  p.endedAt = Date.now()
  return p
}

/** Runs `concurrency` buyers for `durationMs`, and returns every purchase they made. */
export async function runBuyers(options: BuyerPoolOptions): Promise<LoadResult> {
  const purchases: Purchase[] = []
  const startedAt = Date.now()
  const endAt = startedAt + options.durationMs
  const quantity = options.quantity ?? (() => 1 + Math.floor(Math.random() * 3))
  let nextUser = options.userIdBase
  let rejections = 0
  const stopAfter = options.stopAfterRejections ?? Number.POSITIVE_INFINITY
  // Four source addresses per concurrent buyer, used in turn: a crowd of distinct clients.
  const clients = buyerClients(options.concurrency * 4)
  let nextClient = 0
  const buyer = async (index: number) => {
    while (Date.now() < endAt && rejections < stopAfter) {
      const client = clients.clients[nextClient++ % clients.clients.length]
      const p = await purchase(options, `u${nextUser++}`, quantity(), index, client)
      purchases.push(p)
      if (p.outcome === 'rejected') rejections++
      if (options.thinkMs) await sleep(options.thinkMs)
    }
  }
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, i) => buyer(i)))
  } finally {
    await clients.close()
  }
  const endedAt = Date.now()
  const statusCounts: Record<string, number> = {}
  let attempts = 0
  for (const p of purchases) {
    for (const a of p.attempts) {
      attempts++
      statusCounts[String(a.status)] = (statusCounts[String(a.status)] ?? 0) + 1
    }
  }
  return {
    purchases,
    startedAt,
    endedAt,
    requestsPerSecond: Math.round((attempts / Math.max(1, endedAt - startedAt)) * 1000),
    statusCounts,
  }
}

/** The first purchase acknowledged at or after `t` (for recovery times). */
export function firstAckAfter(purchases: Purchase[], t: number): number | undefined {
  let first: number | undefined
  for (const p of purchases) {
    for (const a of p.attempts) {
      if (typeof a.status === 'number' && a.status >= 200 && a.status < 300 && a.sentAt >= t) {
        if (first === undefined || a.endedAt < first) first = a.endedAt
      }
    }
  }
  return first
}
