/**
 * The load generator shared by every contender and by the ceiling: N keep-alive HTTP/1.1
 * connections (one undici Client each, no pipelining), each a closed loop. A custom loop rather
 * than autocannon because a buyer is a small state machine (read ×10, reserve, retry the same
 * Idempotency-Key on "busy", sometimes resend) and because every response needs its own
 * timestamp for the false-rejection audit. The ceiling goes through `hammer`, the same client
 * code path, so ratios compare like with like.
 */
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client } from 'undici'
import { Samples } from './stats.js'

interface Reply {
  status: number
  text: string
}

/**
 * One keep-alive connection; `localAddress` binds it to a source address of its own (testkit's
 * `sourceAddress`), so the load balancer in front of the servers sees many clients, as an ALB
 * does, and per-address rate limits apply per simulated client, not to the whole crowd.
 */
function newClient(origin: string, localAddress?: string): Client {
  return new Client(origin, {
    ...(localAddress ? { localAddress } : {}),
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
    connect: { timeout: 30_000 },
  })
}

async function send(
  client: Client,
  method: 'GET' | 'POST',
  path: string,
  body?: string,
  headers?: Record<string, string>,
): Promise<Reply> {
  try {
    const res = await client.request({ method, path, body, headers })
    return { status: res.statusCode, text: await res.body.text() }
  } catch (error) {
    return { status: 0, text: (error as Error).message }
  }
}

function errorCode(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code
  } catch {
    return undefined
  }
}

/** Sends one JSON request outside of any measurement (set-up: create the hot event), with optional headers (e.g. an admin's JWT). */
export async function requestJson(
  origin: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const client = newClient(origin)
  try {
    const r = await send(
      client,
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    )
    let json: unknown = r.text
    try {
      json = JSON.parse(r.text)
    } catch {}
    return { status: r.status, json }
  } finally {
    await client.close()
  }
}

/** Closed-loop GETs of one path on N connections, for a fixed time. */
export interface HammerResult {
  durationMs: number
  ok: number
  errors: number
  rps: number
  latency: Samples
}

/** Where the connections of a load come from (testkit's `sourceAddress(i)` for connection i). */
export type SourceAddresses = (connection: number) => string

export async function hammer(
  origin: string,
  path: string,
  connections: number,
  durationMs: number,
  onTick?: (elapsedMs: number, done: number) => void,
  sourceAddress?: SourceAddresses,
): Promise<HammerResult> {
  const latency = new Samples()
  let ok = 0
  let errors = 0
  let stopped = false
  const t0 = performance.now()
  const loop = async (_: unknown, index: number) => {
    const client = newClient(origin, sourceAddress?.(index))
    try {
      while (!stopped) {
        const sent = performance.now()
        const r = await send(client, 'GET', path)
        const at = performance.now()
        if (r.status === 200) {
          ok++
          latency.add(at - t0, at - sent)
        } else {
          errors++
          if (r.status === 0) await sleep(10)
        }
      }
    } finally {
      await client.close()
    }
  }
  const ticker = setInterval(() => onTick?.(performance.now() - t0, ok), 1000)
  const loops = Array.from({ length: connections }, loop)
  await sleep(durationMs)
  stopped = true
  clearInterval(ticker)
  const measured = performance.now() - t0
  await Promise.all(loops)
  return { durationMs: measured, ok, errors, rps: (ok * 1000) / measured, latency }
}

/** One buyer intent: one Idempotency-Key, one quantity, retried until a final answer. */
export interface Attempt {
  key: string
  quantity: number
  /** ms since phase start when the first POST of this attempt was sent. */
  firstSentAt: number
  endAt?: number
  outcome: 'confirmed' | 'refused' | 'failed' | 'open'
  /** Final refusal code (SOLD_OUT, INSUFFICIENT_SEATS) or the last error seen. */
  code?: string
  reservationId?: string
  /** Times (ms since phase start) at which this attempt received a refusal of any kind. */
  refusals: number[]
  busy: number
  errors: number
}

/** A 201 as the client saw it (first sales and resends alike). */
export interface Confirmation {
  reservationId: string
  quantity: number
  key: string
  sentAt: number
  ackAt: number
  resend: boolean
}

export interface ResendRecord {
  key: string
  firstStatus: number
  firstReservationId?: string
  status: number
  reservationId?: string
}

export interface BuyersOptions {
  origin: string
  eventId: number
  connections: number
  /** GET /api/events/:id before each reservation attempt. @default 10 */
  readsPerAttempt: number
  /** Share of attempts resent with the same key and body once answered. @default 0.1 */
  resendRatio: number
  /**
   * Mean pause before a "busy" answer is retried, as a user pressing the button again: uniform in
   * [0.5, 1.5) × this. A much shorter pause turns the seed's design into a retry storm that starves
   * its own lock holder (measured: 20 ms → 14 confirmed/s, 500 ms → 84/s), which would flatter us.
   * @default 500
   */
  busyRetryMs: number
  /** Hard cap on the phase. */
  maxDurationMs: number
  /** How long the run goes on after the first SOLD_OUT answer. */
  afterSellOutMs: number
  /** Is this refusal the contender's "busy, try again" (retried with the same key)? */
  isBusy: (status: number, code: string | undefined) => boolean
  /** Source address of connection i (one simulated client per connection). */
  sourceAddress?: SourceAddresses
  /**
   * Headers of every request of one buyer (e.g. its `authorization: Bearer …`, minted for
   * `userId` as its `sub`). Each reservation attempt is made by a new buyer (`b<connection>-<n>`):
   * a connection is a stream of buyers, each reading the event a few times and trying once, as
   * in an on-sale, so per-buyer rate limits see buyers, not one connection's whole loop.
   */
  buyerHeaders?: (userId: string) => Record<string, string>
  onProgress?: (p: BuyersProgress) => void
  /** Called once, at the first SOLD_OUT answer. */
  onSoldOut?: () => void
}

export interface BuyersProgress {
  elapsedMs: number
  confirmed: number
  confirmedSeats: number
  requests: number
  busy: number
  soldOutSeenAt?: number
}

export interface BuyersResult {
  durationMs: number
  reads: Samples
  /** Availability each 200 read reported, parallel to `reads`. */
  readAvailable: number[]
  readErrors: number
  /** Every reservation POST, one sample each (busy answers included). */
  posts: Samples
  attempts: Attempt[]
  confirmations: Confirmation[]
  resends: ResendRecord[]
  soldOutSeenAt?: number
  errorsByStatus: Record<string, number>
}

/** The on-sale scenario: every connection is a buyer reading the event and reserving 1–4 seats. */
export async function runBuyers(options: BuyersOptions): Promise<BuyersResult> {
  const { origin, eventId } = options
  const reads = new Samples()
  const readAvailable: number[] = []
  const posts = new Samples()
  const attempts: Attempt[] = []
  const confirmations: Confirmation[] = []
  const resends: ResendRecord[] = []
  const errorsByStatus: Record<string, number> = {}
  let readErrors = 0
  let busyTotal = 0
  let confirmedSeats = 0
  let soldOutSeenAt: number | undefined
  let stopped = false
  const t0 = performance.now()
  const now = () => performance.now() - t0
  const readPath = `/api/events/${eventId}`

  const reserve = async (
    client: Client,
    body: string,
    key: string,
    headers: Record<string, string>,
  ): Promise<Reply & { code?: string }> => {
    const r = await send(client, 'POST', '/api/reservations', body, {
      ...headers,
      'content-type': 'application/json',
      'idempotency-key': key,
    })
    return { ...r, code: r.status === 201 ? undefined : errorCode(r.text) }
  }

  const attempt = async (client: Client, userId: string, headers: Record<string, string>) => {
    const quantity = 1 + Math.floor(Math.random() * 4)
    const key = randomUUID()
    const body = JSON.stringify({ eventId, userId, quantity })
    const a: Attempt = {
      key,
      quantity,
      firstSentAt: now(),
      outcome: 'open',
      refusals: [],
      busy: 0,
      errors: 0,
    }
    attempts.push(a)
    let firstReply: (Reply & { code?: string }) | undefined
    for (;;) {
      const sentAt = now()
      const r = await reserve(client, body, key, headers)
      const at = now()
      posts.add(at, at - sentAt)
      if (r.status === 201) {
        const reservationId = (JSON.parse(r.text) as { data: { reservationId: string } }).data.reservationId
        a.outcome = 'confirmed'
        a.reservationId = reservationId
        a.endAt = at
        confirmedSeats += quantity
        confirmations.push({ reservationId, quantity, key, sentAt: a.firstSentAt, ackAt: at, resend: false })
        firstReply = r
        break
      }
      if (r.status === 409 && (r.code === 'SOLD_OUT' || r.code === 'INSUFFICIENT_SEATS')) {
        a.outcome = 'refused'
        a.code = r.code
        a.refusals.push(at)
        a.endAt = at
        if (r.code === 'SOLD_OUT' && soldOutSeenAt === undefined) {
          soldOutSeenAt = at
          options.onSoldOut?.()
        }
        firstReply = r
        break
      }
      a.refusals.push(at)
      if (options.isBusy(r.status, r.code)) {
        a.busy++
        busyTotal++
        if (stopped) break
        await sleep((0.5 + Math.random()) * options.busyRetryMs)
        continue
      }
      // Anything else (5xx, 429, a dropped connection) is an error: an idempotent client retries
      // the same key with backoff (50 ms, doubling, 6 tries), then gives up: the attempt counts as
      // failed, and as a false rejection if seats provably remained.
      a.errors++
      a.code = r.code ?? `HTTP_${r.status}`
      errorsByStatus[a.code] = (errorsByStatus[a.code] ?? 0) + 1
      if (stopped || a.errors >= 6) {
        a.outcome = 'failed'
        a.endAt = at
        break
      }
      await sleep(50 * 2 ** (a.errors - 1))
    }
    if (firstReply && !stopped && Math.random() < options.resendRatio) {
      // The response "got lost": the client sends the very same request again.
      const sentAt = now()
      const r = await reserve(client, body, key, headers)
      const at = now()
      posts.add(at, at - sentAt)
      const record: ResendRecord = {
        key,
        firstStatus: firstReply.status,
        firstReservationId: a.reservationId,
        status: r.status,
      }
      if (r.status === 201) {
        const reservationId = (JSON.parse(r.text) as { data: { reservationId: string } }).data.reservationId
        record.reservationId = reservationId
        confirmations.push({ reservationId, quantity, key, sentAt, ackAt: at, resend: true })
      }
      resends.push(record)
    }
  }

  const buyer = async (index: number) => {
    const client = newClient(origin, options.sourceAddress?.(index))
    let round = 0
    try {
      while (!stopped) {
        const userId = `b${index}-${round++}`
        const headers = options.buyerHeaders?.(userId) ?? {}
        for (let i = 0; i < options.readsPerAttempt && !stopped; i++) {
          const sent = now()
          const r = await send(client, 'GET', readPath, undefined, headers)
          const at = now()
          if (r.status === 200) {
            reads.add(at, at - sent)
            readAvailable.push(
              (JSON.parse(r.text) as { data: { availableSeats: number } }).data.availableSeats,
            )
          } else {
            readErrors++
            if (r.status === 0) await sleep(10)
          }
        }
        if (stopped) break
        await attempt(client, userId, headers)
      }
    } finally {
      await client.close()
    }
  }

  const progress = () =>
    options.onProgress?.({
      elapsedMs: now(),
      confirmed: confirmations.length,
      confirmedSeats,
      requests: reads.count + posts.count,
      busy: busyTotal,
      soldOutSeenAt,
    })
  const ticker = setInterval(progress, 1000)
  const buyers = Array.from({ length: options.connections }, (_, i) => buyer(i))
  while (!stopped) {
    await sleep(50)
    const t = now()
    if (t >= options.maxDurationMs) stopped = true
    if (soldOutSeenAt !== undefined && t >= soldOutSeenAt + options.afterSellOutMs) stopped = true
  }
  const durationMs = now()
  // In-flight requests finish: every 201 sent must be in the ledger before the MySQL audit.
  await Promise.all(buyers)
  clearInterval(ticker)
  progress()
  return {
    durationMs,
    reads,
    readAvailable,
    readErrors,
    posts,
    attempts,
    confirmations,
    resends,
    soldOutSeenAt,
    errorsByStatus,
  }
}
