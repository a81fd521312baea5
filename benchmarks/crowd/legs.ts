/**
 * The two legs of the flash crowd, on the same fleet, the same crowd (visitors.ts) and the same
 * event size:
 *
 * - **without** the waiting room: an event as today. A visitor loads the event page on arrival;
 *   those who came early press "buy" when the sale starts (within a second: human reaction),
 *   later ones at once. A 429 or 503 is retried after its Retry-After (1 s when absent), an error
 *   with backoff, until a final answer (201, or 409 SOLD_OUT / INSUFFICIENT_SEATS).
 * - **with** the waiting room: the event has a queue opening at t0, the sale starting at
 *   `startMs`. A visitor joins on arrival, then (`waiters: 'board'`, the default, as the page
 *   does) reads the event's public serving board when `placeOnBoard` says (a CDN's cache
 *   answers most reads) and polls with its queue ticket only when the board says its turn has
 *   come; or (`waiters: 'poll'`) polls its place every `pollAfterSeconds`. It buys with its
 *   Admission-Token once admitted; "sold out" ends the wait.
 *
 * Every request is recorded with its send time and answer time for the audit (audit.ts: the
 * same ledger shape as the on-sale benchmark's) and for the statistics (report.ts).
 */
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SimulatedClient } from '@ticketing/testkit'
import { placeOnBoard, type ServingBoard } from '@ticketing/waiting-room/board'
import type { Attempt, Confirmation } from '../onsale/load.js'
import { Samples } from '../onsale/stats.js'
import { errorCode, type Lane, NOT_SENT, type Reply, readSse, type Visitor } from './visitors.js'

export type LegName = 'without' | 'with'

/** What became of one visitor. */
export type Outcome =
  | 'bought'
  | 'refused' // 409 SOLD_OUT / INSUFFICIENT_SEATS on the reservation
  | 'sold_out' // told by the queue (join or poll)
  | 'turn_expired'
  | 'failed' // gave up on errors
  | 'open' // the run ended first

export interface VisitorRecord {
  outcome: Outcome
  /** ms since t0 the visitor first learned the sale is over for it (sold out / refused). */
  toldAt?: number
  /** When the visitor got its turn: admitted (with) or its 201 (without). */
  admittedAt?: number
  boughtAt?: number
  /** Queue position in the join answer (with). */
  joinPosition?: number
  /** When the first join request left the client, and the status it was answered (with). */
  joinSentAt?: number
  joinStatus?: string
  /** First position answered after the sale started (with): the pre-queue's drawn order. */
  positionAfterStart?: number
  /** When the request that got `positionAfterStart` was sent. */
  positionAfterStartAt?: number
  /**
   * The ticket (place in the admission order) the first board read after the start gave: the
   * drawn place itself, which admissions do not move (board waiters only).
   */
  drawnTicket?: number
  /** When the visitor stopped needing anything (bought, told, gave up). */
  doneAt?: number
  /** Listened on the SSE stream (rather than polling) at some point. */
  pushed?: boolean
}

/** Answers by request kind and status ('201', '429', '503', '0' = transport error, …). */
export type StatusCounts = Record<string, Record<string, number>>

export interface LegResult {
  leg: LegName
  eventId: number
  seats: number
  startMs: number
  durationMs: number
  visitors: VisitorRecord[]
  /** Every reservation POST (by admitted buyers, in the "with" leg). */
  reservations: Samples
  /**
   * Each reservation attempt as the visitor sees it: from pressing "buy" (before any wait for a
   * socket of its lane, which stands for the queue a real crowd forms in front of the load
   * balancer) to the final answer, retries included.
   */
  attemptLatency: Samples
  /** Every request of any kind (completion time, latency). */
  requests: Samples
  /** Queue joins and polls ("with"), event page loads ("without"). */
  waits: Samples
  /** How long requests waited for a free socket of their lane (the generator's own lag). */
  laneQueueMs: Samples
  counts: StatusCounts
  /**
   * The first answer of each kind and status that was not a success ("join 503", …): when it
   * came (ms since t0) and the start of its body, so a run's log says who answered it and why.
   */
  firstFailures: Record<string, { at: number; text: string }>
  /** The ledger audit.ts reads. Waiters told "sold out" count as refused attempts of 1 seat. */
  attempts: Attempt[]
  confirmations: Confirmation[]
  /** Non-final answers ("wait", 429, 503) to requests sent after `soldOutAt` (filled by the caller). */
  stale: { sentAt: number; kind: string }[]
}

export interface LegOptions {
  leg: LegName
  eventId: number
  seats: number
  crowd: Visitor[]
  lanes: Lane[]
  /** When the sale starts, ms after t0. */
  startMs: number
  /** The crowd's t0 (performance.now()), shared with the lanes. */
  t0: number
  /** Authorization header of visitor i. */
  auth: (visitorIndex: number) => Record<string, string>
  userId: (visitorIndex: number) => string
  /** A visitor who came early presses "buy" within this long after the start (without). @default 1000 */
  reactionMs?: number
  /** The run ends this long after the last arrival at the latest. */
  maxAfterArrivalsMs: number
  /** …or once every visitor is done. */
  seed?: number
  /** Reservation route (the API's: POST /api/reservations). */
  reservationPath?: string
  /** The load balancer's origin (for SSE streams; requests go through the lanes). */
  origin: string
  /** One visitor in this many listens on the SSE stream instead of polling (0: none). */
  sseEvery?: number
  /** Per lane, a second client on the lane's address that carries its SSE streams. */
  sseDispatchers?: SimulatedClient['dispatcher'][]
  /** Upper bound on a poll interval the server suggests (the page's own cap). @default 30 */
  maxPollSeconds?: number
  /** How waiters learn their place: the public serving board, or polls with their ticket. @default 'board' */
  waiters?: 'board' | 'poll'
  progress?: (line: string) => void
}

function count(counts: StatusCounts, kind: string, status: number | string): void {
  const byKind = counts[kind] ?? {}
  counts[kind] = byKind
  byKind[String(status)] = (byKind[String(status)] ?? 0) + 1
}

/** The queue answer's body, enveloped or not. */
interface QueueBody {
  ticket?: string
  /** The join index (places the waiter on the board). */
  index?: number
  status?: string
  position?: number | null
  admissionToken?: string
  pollAfterSeconds?: number
}
function queueBody(text: string): QueueBody | undefined {
  try {
    const json = JSON.parse(text) as QueueBody & { data?: QueueBody }
    return json.data ?? json
  } catch {
    return undefined
  }
}

const FINAL_REFUSALS = new Set(['SOLD_OUT', 'INSUFFICIENT_SEATS'])

export async function runLeg(o: LegOptions): Promise<LegResult> {
  const { crowd, lanes } = o
  const reactionMs = o.reactionMs ?? 1000
  const reservationPath = o.reservationPath ?? '/api/reservations'
  const maxPollMs = (o.maxPollSeconds ?? 30) * 1000
  const now = () => performance.now() - o.t0
  const result: LegResult = {
    leg: o.leg,
    eventId: o.eventId,
    seats: o.seats,
    startMs: o.startMs,
    durationMs: 0,
    visitors: crowd.map(() => ({ outcome: 'open' })),
    reservations: new Samples(),
    attemptLatency: new Samples(),
    requests: new Samples(),
    waits: new Samples(),
    laneQueueMs: new Samples(),
    counts: {},
    firstFailures: {},
    attempts: [],
    confirmations: [],
    stale: [],
  }
  const lastArrival = crowd.reduce((m, v) => Math.max(m, v.arrivalMs), 0)
  const deadline = lastArrival + o.maxAfterArrivalsMs
  let stopped = false
  // Wakes every sleeping visitor when the run ends, so nobody waits out a poll interval. (Not
  // an AbortSignal: 100,000 listeners on one signal cost O(n²) to add.)
  const sleepers = new Set<() => void>()
  const streams = new Set<AbortController>()
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve()
      const wake = () => {
        clearTimeout(timer)
        sleepers.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, Math.max(0, ms))
      sleepers.add(wake)
    })
  let done = 0
  let sold = 0

  const sendAs = async (
    v: Visitor,
    kind: string,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ): Promise<Reply> => {
    const lane = lanes[v.index % lanes.length]!
    // The board is public: a page fetches it without the buyer's token (a CDN caches it so).
    const auth = kind === 'board' ? {} : o.auth(v.index)
    const r = await lane.send(method, path, { ...auth, ...headers }, body, kind === 'reserve')
    if (r.status === NOT_SENT) return r
    result.requests.add(r.at, r.at - r.sentAt)
    result.laneQueueMs.add(r.at, r.queuedMs)
    count(result.counts, kind, r.status)
    if (r.status < 200 || r.status >= 400)
      result.firstFailures[`${kind} ${r.status}`] ??= { at: r.at, text: r.text.slice(0, 200) }
    return r
  }

  const waitUntil = async (t: number) => {
    const d = t - now()
    if (d > 0) await nap(d)
  }

  /** Sleeps as a 429/503/error asks: Retry-After, else backoff from 250 ms doubling to 4 s. */
  const backoff = async (r: Reply, tries: number) => {
    const ms = r.retryAfterSec !== undefined ? r.retryAfterSec * 1000 : Math.min(4000, 250 * 2 ** tries)
    await nap(ms * (0.8 + Math.random() * 0.4))
  }

  const finish = (rec: VisitorRecord, outcome: Outcome, at: number) => {
    rec.outcome = outcome
    rec.doneAt = at
    if (outcome === 'refused' || outcome === 'sold_out') rec.toldAt ??= at
    done++
  }

  /** One reservation attempt, retried with the same Idempotency-Key until a final answer. */
  const reserve = async (v: Visitor, rec: VisitorRecord, extraHeaders: Record<string, string>) => {
    const key = randomUUID()
    const a: Attempt = {
      key,
      quantity: v.quantity,
      firstSentAt: now(),
      outcome: 'open',
      refusals: [],
      busy: 0,
      errors: 0,
    }
    result.attempts.push(a)
    const body = { eventId: o.eventId, userId: o.userId(v.index), quantity: v.quantity }
    let pressedAt = now()
    for (let tries = 0; ; tries++) {
      const r = await sendAs(
        v,
        'reserve',
        'POST',
        reservationPath,
        { 'idempotency-key': key, ...extraHeaders },
        body,
      )
      if (r.status === NOT_SENT) {
        a.outcome = tries === 0 ? 'open' : 'failed'
        finish(rec, 'open', r.at)
        return
      }
      if (tries === 0) {
        // The audit's "sent at" is when the request left (a row cannot commit before that).
        a.firstSentAt = r.sentAt
        pressedAt = r.sentAt - r.queuedMs
      }
      result.reservations.add(r.at, r.at - r.sentAt)
      if (r.status === 201) {
        const reservationId = (JSON.parse(r.text) as { data: { reservationId: string } }).data.reservationId
        a.outcome = 'confirmed'
        a.reservationId = reservationId
        a.endAt = r.at
        sold += v.quantity
        result.confirmations.push({
          reservationId,
          quantity: v.quantity,
          key,
          sentAt: a.firstSentAt,
          ackAt: r.at,
          resend: false,
        })
        result.attemptLatency.add(r.at, r.at - pressedAt)
        rec.admittedAt ??= r.at
        rec.boughtAt = r.at
        finish(rec, 'bought', r.at)
        return
      }
      const code = errorCode(r.text)
      a.refusals.push(r.at)
      if (r.status === 409 && code !== undefined && FINAL_REFUSALS.has(code)) {
        a.outcome = 'refused'
        a.code = code
        a.endAt = r.at
        result.attemptLatency.add(r.at, r.at - pressedAt)
        finish(rec, 'refused', r.at)
        return
      }
      if (r.status === 403 && code === 'ADMISSION_EXPIRED') {
        a.outcome = 'refused'
        a.code = code
        a.endAt = r.at
        finish(rec, 'turn_expired', r.at)
        return
      }
      a.code = code ?? `HTTP_${r.status}`
      if (r.status === 0 || r.status >= 500) a.errors++
      // A 429/503 is "come back later": the client does, as long as the run lasts. Anything
      // else unexpected (a 4xx that is no refusal) is a bug of the harness or the API: give up.
      const retryable = r.status === 0 || r.status === 429 || r.status >= 500
      if (retryable) result.stale.push({ sentAt: r.sentAt, kind: `reserve ${r.status}` })
      if (!retryable || stopped) {
        a.outcome = 'failed'
        a.endAt = r.at
        finish(rec, stopped ? 'open' : 'failed', r.at)
        if (!retryable) o.progress?.(`unexpected reservation answer ${r.status}: ${r.text.slice(0, 200)}`)
        return
      }
      await backoff(r, tries)
    }
  }

  const withoutVisitor = async (v: Visitor) => {
    const rec = result.visitors[v.index]!
    await waitUntil(v.arrivalMs)
    if (stopped) return
    // The event page: one read on arrival.
    const page = await sendAs(v, 'page', 'GET', `/api/events/${o.eventId}`)
    if (page.status === NOT_SENT) return
    result.waits.add(page.at, page.at - page.sentAt)
    await waitUntil(Math.max(v.arrivalMs, o.startMs + Math.random() * reactionMs))
    if (stopped) return
    await reserve(v, rec, {})
  }

  /**
   * Applies one queue answer (a poll's, a join's or a pushed event's body): records positions,
   * buys when admitted. Returns 'wait' while the visitor must keep waiting, 'done' otherwise.
   */
  const onQueueBody = async (
    v: Visitor,
    rec: VisitorRecord,
    body: QueueBody,
    sentAt: number,
    at: number,
  ): Promise<'wait' | 'done'> => {
    if (rec.joinPosition === undefined && typeof body.position === 'number') rec.joinPosition = body.position
    if (
      rec.positionAfterStart === undefined &&
      body.status === 'waiting' &&
      typeof body.position === 'number' &&
      sentAt >= o.startMs
    ) {
      rec.positionAfterStart = body.position
      rec.positionAfterStartAt = sentAt
    }
    switch (body.status) {
      case 'admitted':
        if (!body.admissionToken) return 'wait' // a push without the token: the next poll has it
        rec.admittedAt = at
        await reserve(v, rec, { 'admission-token': body.admissionToken })
        return 'done'
      case 'sold_out':
        finish(rec, 'sold_out', at)
        return 'done'
      case 'turn_expired':
        finish(rec, 'turn_expired', at)
        return 'done'
      case 'completed':
      case 'left':
        finish(rec, 'failed', at)
        return 'done'
      default:
        result.stale.push({ sentAt, kind: body.status ?? 'unknown' })
        return 'wait'
    }
  }

  /**
   * A visitor that listens on the SSE stream instead of polling (one in `sseEvery`): each
   * pushed event counts as an answer sent when it arrived. Falls back to polling if the stream
   * cannot be opened or ends without a final answer.
   */
  const listen = async (v: Visitor, rec: VisitorRecord, ticket: string): Promise<'wait' | 'done'> => {
    const dispatcher = o.sseDispatchers?.[v.index % lanes.length]
    if (!dispatcher) return 'wait'
    const abort = new AbortController()
    streams.add(abort)
    rec.pushed = true
    let outcome: 'wait' | 'done' = 'wait'
    const status = await readSse(
      dispatcher,
      `${o.origin}/api/events/${o.eventId}/queue/stream?ticket=${encodeURIComponent(ticket)}`,
      o.auth(v.index),
      o.t0,
      abort.signal,
      async (e) => {
        if (stopped) return true
        let body = queueBody(e.data)
        if (e.event === 'sold_out') body = { ...body, status: 'sold_out' }
        if (e.event === 'admitted') body = { ...body, status: 'admitted' }
        if (!body?.status) return false
        outcome = await onQueueBody(v, rec, body, e.at, e.at)
        return outcome === 'done'
      },
    )
    streams.delete(abort)
    count(result.counts, 'stream', status)
    return outcome
  }

  const withVisitor = async (v: Visitor) => {
    const rec = result.visitors[v.index]!
    await waitUntil(v.arrivalMs)
    const path = `/api/events/${o.eventId}/queue`
    // One visitor in sseEvery, spread over every lane (visitor i rides lane i mod lanes; picking
    // i mod sseEvery would put them all on the lanes that divide sseEvery, queued behind each
    // other for that lane's few stream connections).
    const pushed =
      o.sseEvery !== undefined && o.sseEvery > 0 && Math.floor(v.index / lanes.length) % o.sseEvery === 0
    let ticket: string | undefined
    let listened = false
    for (let tries = 0; !stopped; ) {
      const r = ticket
        ? await sendAs(v, 'poll', 'GET', path, { 'queue-ticket': ticket })
        : await sendAs(v, 'join', 'POST', path, {}, {})
      if (r.status === NOT_SENT) return
      result.waits.add(r.at, r.at - r.sentAt)
      const body = r.status === 200 || r.status === 201 ? queueBody(r.text) : undefined
      if (!body?.status) {
        const code = errorCode(r.text)
        if (r.status === 409 && code === 'SOLD_OUT') {
          finish(rec, 'sold_out', r.at)
          return
        }
        if (r.status === 0 || r.status === 429 || r.status >= 500) {
          if (r.sentAt > 0)
            result.stale.push({ sentAt: r.sentAt, kind: `${ticket ? 'poll' : 'join'} ${r.status}` })
          await backoff(r, tries++)
          continue
        }
        o.progress?.(`unexpected queue answer ${r.status}: ${r.text.slice(0, 200)}`)
        finish(rec, 'failed', r.at)
        return
      }
      tries = 0
      if (rec.joinStatus === undefined) {
        rec.joinStatus = body.status
        rec.joinSentAt = r.sentAt
      }
      ticket = body.ticket ?? ticket
      if ((await onQueueBody(v, rec, body, r.sentAt, r.at)) === 'done') return
      if (pushed && ticket && !listened) {
        listened = true
        if ((await listen(v, rec, ticket)) === 'done') return
        continue // the stream ended early: poll at once, then on the timer
      }
      if (o.waiters !== 'poll' && ticket && body.index !== undefined) {
        const read = await waitOnBoard(v, rec, body.index, body.pollAfterSeconds ?? 5)
        if (read === 'done') return
        continue // the board says the turn has come: poll with the ticket to collect it
      }
      const pollMs = Math.min(maxPollMs, (body.pollAfterSeconds ?? 5) * 1000)
      // Pages poll on a timer from their own answer, with a little jitter (±10 %).
      await nap(pollMs * (0.9 + Math.random() * 0.2))
    }
  }

  /** The last board text read and its parse: the cache answers the same text to most reads. */
  let lastBoard: { text: string; board: ServingBoard } | undefined
  const boardOf = (text: string): ServingBoard | undefined => {
    if (lastBoard?.text === text) return lastBoard.board
    const board = queueBody(text) as unknown as ServingBoard | undefined
    if (board?.served === undefined) return undefined
    lastBoard = { text, board }
    return board
  }

  /**
   * Waits on the public board (the page's way): reads it when `placeOnBoard` says, from the
   * first read after `firstReadSeconds`; returns 'turn' when the turn has come (the caller polls
   * with its ticket to collect it), 'done' when the visitor is done (sold out, run over).
   */
  const waitOnBoard = async (
    v: Visitor,
    rec: VisitorRecord,
    index: number,
    firstReadSeconds: number,
  ): Promise<'turn' | 'done'> => {
    // As the page: when the answer says, no jitter of its own (the room's intervals carry the
    // pre-queue's spread; a read timed for the start must not land just before it).
    await nap(Math.min(maxPollMs, firstReadSeconds * 1000))
    for (let tries = 0; !stopped; ) {
      const r = await sendAs(v, 'board', 'GET', `/api/events/${o.eventId}/queue/board`)
      if (r.status === NOT_SENT) return 'done'
      result.waits.add(r.at, r.at - r.sentAt)
      const board = r.status === 200 ? boardOf(r.text) : undefined
      if (!board) {
        if (r.sentAt > 0) result.stale.push({ sentAt: r.sentAt, kind: `board ${r.status}` })
        await backoff(r, tries++)
        continue
      }
      tries = 0
      const place = placeOnBoard(board, index)
      if (place.status === 'waiting' || place.status === 'turn') rec.drawnTicket ??= place.ticket
      if (place.status === 'turn') return 'turn'
      const body: QueueBody =
        place.status === 'waiting'
          ? { status: 'waiting', position: place.position }
          : { status: place.status }
      if ((await onQueueBody(v, rec, body, r.sentAt, r.at)) === 'done') return 'done'
      const readAfterMs =
        place.status === 'waiting' || place.status === 'pre_queue' ? place.readAfterMs : 5000
      await nap(Math.min(maxPollMs, readAfterMs))
    }
    return 'done'
  }

  const run = o.leg === 'without' ? withoutVisitor : withVisitor
  const tasks = crowd.map((v) => run(v))
  const ticker = setInterval(() => {
    const t = now()
    o.progress?.(
      `[${o.leg}] ${(t / 1000).toFixed(0)}s  ${sold}/${o.seats} seats  ${done}/${crowd.length} done  ${result.requests.count} requests`,
    )
  }, 1000)
  while (done < crowd.length && now() < deadline) await sleep(100)
  stopped = true
  for (const wake of [...sleepers]) wake()
  for (const stream of streams) stream.abort()
  for (const lane of lanes) lane.close()
  result.durationMs = now()
  // In-flight requests finish (every 201 must be in the ledger before the audit); sleeping
  // visitors see `stopped` when they wake.
  await Promise.all(tasks)
  clearInterval(ticker)
  return result
}
