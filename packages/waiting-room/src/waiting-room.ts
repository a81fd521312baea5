import { EventEmitter } from 'node:events'
import type { ServingBoard } from './board.js'
import {
  EventNotFoundError,
  InvalidArgumentError,
  QueueNotOpenError,
  SoldOutError,
  TurnNotHeldError,
  WaitingRoomClosedError,
} from './errors.js'
import {
  type EventOptions,
  eventSettings,
  type ResolvedOptions,
  resolveOptions,
  type WaitingRoomOptions,
} from './options.js'
import { type PollPolicy, placeInLine, pollCeiling, preQueuePollAfter, waitingPollAfter } from './poll.js'
import { createShuffler, drawShuffleKeys, type Shuffler } from './shuffle.js'
import type { EventState, TickResult } from './store.js'
import { type AdmissionClaims, type QueueClaims, TokenSigner } from './tokens.js'

interface StatusBase {
  eventId: string
  visitorId: string
  /** The visitor's join index: with the event's board (`placeOnBoard`), a page places itself. */
  index: number
  /** When to poll again (ms). */
  pollAfterMs: number
}

/** What a waiter sees on each poll. Only `admitted` carries an admission token. */
export type WaiterStatus = StatusBase &
  (
    | {
        /** Joined before the start: the order is drawn at `startsAt`, arrival time gives no edge. */
        status: 'pre_queue'
        startsAt: number
        /** Visitors in the pre-queue so far (as of this instance's cached state). */
        queueLength: number
      }
    | {
        status: 'waiting'
        /** 1 = next. Counts places ahead, including people ahead who left and are not yet skipped. */
        position: number
        /** Position / admission rate (observed over the last minute, else configured); null when paused. */
        estimatedWaitSeconds: number | null
        /** Admission is paused by the health signal. */
        paused: boolean
        /** What remains is spoken for by admitted buyers: admission resumes only if some are released. */
        inventoryHeld: boolean
      }
    | {
        status: 'admitted'
        /** Present it to the protected routes (`verify` / `verifyTurn`). */
        admissionToken: string
        /** End of the turn (epoch ms): buy before this. */
        turnExpiresAt: number
      }
    | { status: 'turn_expired' | 'completed' | 'sold_out' | 'left' }
  )

/** `join`'s answer: the status plus the queue ticket the visitor polls with. */
export type JoinResponse = WaiterStatus & {
  /** Signed proof of the visitor's place; keep it (cookie / local storage) and poll with it. */
  queueTicket: string
  /** False when the visitor already had a place (joins are idempotent per visitor). */
  created: boolean
}

/** The sale path's health, as the service measures it (e.g. over the last 10 s). */
export interface HealthSample {
  /** p99 (or p95) latency of the sale route, ms. */
  latencyMs?: number
  /** Share of failed sale requests, 0..1. */
  errorRate?: number
}

/** Metrics hooks, emitted only when someone listens. Publish them to CloudWatch as you like. */
export interface WaitingRoomEvents {
  /** One admission-controller step run by this instance. */
  tick: [
    {
      eventId: string
      /** Visitors admitted by this step. */
      admitted: number
      /** Turns released because their visitor never collected them (abandoned). */
      abandoned: number
      /** Turns released because their visitor did not buy within turnSeconds. */
      expired: number
      /** Turns held now. */
      activeBuyers: number
      /** Visitors waiting (queue length). */
      queueLength: number
      /** Admissions over the last minute, as this instance observed them (null until known). */
      admittedPerMinute: number | null
      soldOut: boolean
    },
  ]
  /** A visitor collected their turn: `waitMs` is how long they waited since joining. */
  admitted: [{ eventId: string; visitorId: string; waitMs: number }]
  /** A turn was completed (bought). */
  completed: [{ eventId: string; visitorId: string }]
  /** This instance saw the event sold out (once per event): push it to open connections. */
  soldOut: [{ eventId: string }]
  /** A background tick or the `remaining` callback failed. Without a listener: a process warning. */
  error: [Error]
}

/** The waiting room: one per process, shared by every event. */
export interface WaitingRoom extends EventEmitter<WaitingRoomEvents> {
  /** Creates an event's queue, or updates its window and bounds (the queue is kept). */
  openEvent(eventId: string, options?: EventOptions): Promise<void>
  /** Drops the event's queue. */
  deleteEvent(eventId: string): Promise<void>
  /** Takes a place (or returns the visitor's existing one). Throws E_EVENT_NOT_FOUND / E_QUEUE_NOT_OPEN / E_SOLD_OUT. */
  join(eventId: string, visitorId: string): Promise<JoinResponse>
  /**
   * The waiter's status from their queue ticket, answered from memory (state cached for
   * stateCacheMs) until their turn comes; then one store call collects the turn. Throws the
   * token errors for a missing, forged, expired or other visitor's ticket.
   */
  poll(
    queueTicket: string | undefined,
    expected?: { visitorId?: string; eventId?: string },
  ): Promise<WaiterStatus>
  /** Gives up the place, or the held turn (its slot frees). False when there was none, or it was used. */
  leave(queueTicket: string): Promise<boolean>
  /** For the protected route: checks the admission token alone (no I/O). Throws E_TOKEN_*. */
  verify(token: string | undefined, expected: { eventId: string; visitorId: string }): AdmissionClaims
  /** `verify`, plus one store call: the turn is still held (not completed, not given up). */
  verifyTurn(
    token: string | undefined,
    expected: { eventId: string; visitorId: string },
  ): Promise<AdmissionClaims>
  /** The visitor bought: the turn ends and its slot goes to the next visitor. Accepts an expired token. */
  complete(token: string): Promise<'completed' | 'already' | 'not_held'>
  /** One admission-controller step for an event (any instance, any time: it is one atomic store step). */
  tick(eventId: string): Promise<TickResult | null>
  /** Ticks every open event every tickIntervalMs until `close()`. */
  start(): void
  /** Sets the inventory counter (`null`: no inventory bound). 0 sells out; > 0 reopens. */
  setRemaining(eventId: string, remaining: number | null): Promise<void>
  /** Tells every waiter "sold out" (within stateCacheMs) and refuses new joins. */
  markSoldOut(eventId: string): Promise<void>
  /** Slows or pauses admission for the given events (default: every open event). Returns the factor 0..1. */
  reportHealth(sample: HealthSample, eventIds?: string[]): Promise<number>
  /**
   * The event's serving board: its public state, the same for every waiter (cache it at the edge
   * for a second). With `placeOnBoard` and its join index, a waiter computes what `poll` would
   * answer, and polls only to collect its turn. Throws E_EVENT_NOT_FOUND.
   */
  board(eventId: string): Promise<ServingBoard>
  /** The event's state, cached for stateCacheMs (`fresh: true` reads the store). */
  state(eventId: string, options?: { fresh?: boolean }): Promise<EventState | null>
  /** Stops ticking. The store's client is the caller's to close. */
  close(): Promise<void>
}

/** One shuffler per state snapshot, shared by every poll answered from it. */
const shufflers = new WeakMap<EventState, Shuffler>()

interface Cached {
  at: number
  value: EventState | null
  /** (local time, admittedTotal) samples over the last minute, for the observed admission rate. */
  samples: Array<[number, number]>
  soldOutSeen: boolean
}

class WaitingRoomImpl extends EventEmitter<WaitingRoomEvents> implements WaitingRoom {
  readonly #o: ResolvedOptions
  readonly #signer: TokenSigner
  readonly #poll: PollPolicy
  readonly #cache = new Map<string, Cached>()
  readonly #loading = new Map<string, Promise<EventState | null>>()
  #timer: NodeJS.Timeout | undefined
  #ticking = false
  #closed = false

  constructor(options: WaitingRoomOptions) {
    super()
    this.#o = resolveOptions(options)
    this.#signer = new TokenSigner(this.#o.secrets)
    this.#poll = {
      baseMs: this.#o.pollIntervalMs,
      maxIntervalMs: this.#o.maxPollIntervalMs,
      startSpreadMs: this.#o.startSpreadMs,
      random: Math.random,
    }
  }

  #open(): void {
    if (this.#closed) throw new WaitingRoomClosedError()
  }

  async openEvent(eventId: string, options: EventOptions = {}) {
    this.#open()
    await this.#o.store.openEvent(id('eventId', eventId), eventSettings(options, this.#o.admission))
    this.#invalidate(eventId)
  }

  async deleteEvent(eventId: string) {
    await this.#o.store.deleteEvent(id('eventId', eventId))
    this.#invalidate(eventId)
  }

  async join(eventId: string, visitorId: string): Promise<JoinResponse> {
    this.#open()
    const r = await this.#o.store.join(id('eventId', eventId), id('visitorId', visitorId), drawShuffleKeys())
    if (r.outcome === 'not_found') throw new EventNotFoundError(eventId)
    if (r.outcome === 'not_open') throw new QueueNotOpenError(eventId, r.opensAt)
    if (r.outcome === 'sold_out') throw new SoldOutError(eventId)
    const claims: QueueClaims = {
      eventId,
      visitorId,
      index: r.index,
      joinedAt: r.now,
      expiresAt: r.now + this.#o.queueTicketTtlMs,
    }
    const state = await this.state(eventId)
    // The cached state may predate this join's start of the sale: read it again if so.
    const fresh =
      state && state.startedAt === null && r.now >= state.startsAt
        ? await this.state(eventId, { fresh: true })
        : state
    const status = await this.#status(claims, fresh)
    return { ...status, queueTicket: this.#signer.sign('q', claims), created: r.outcome === 'joined' }
  }

  async poll(queueTicket: string | undefined, expected: { visitorId?: string; eventId?: string } = {}) {
    this.#open()
    const claims = this.#signer.verify<QueueClaims>('q', queueTicket, expected)
    return this.#status(claims, await this.state(claims.eventId))
  }

  async #status(q: QueueClaims, state: EventState | null): Promise<WaiterStatus> {
    if (!state) throw new EventNotFoundError(q.eventId)
    const base = {
      eventId: q.eventId,
      visitorId: q.visitorId,
      index: q.index,
      pollAfterMs: waitingPollAfter(this.#poll, null, state.claimMs),
    }
    if (state.startedAt === null) {
      if (state.soldOut) return { ...base, status: 'sold_out' }
      return {
        ...base,
        pollAfterMs: preQueuePollAfter(this.#poll, state.startsAt - Date.now(), state.claimMs),
        status: 'pre_queue',
        startsAt: state.startsAt,
        queueLength: state.joined,
      }
    }
    let shuffler = shufflers.get(state)
    if (!shuffler) {
      shuffler = createShuffler(state.preCount, state.shuffleKeys)
      shufflers.set(state, shuffler)
    }
    const ticket = shuffler.ticket(q.index)
    if (ticket >= state.served) {
      if (state.soldOut) return { ...base, status: 'sold_out' }
      const paused = state.healthFactor === 0
      const { position, estimatedWaitSeconds, readAfterMs } = placeInLine(
        ticket,
        state.served,
        this.#pace(q.eventId, state),
        paused,
        this.#poll,
        state.claimMs,
      )
      const inventoryHeld =
        state.remaining !== null && Math.floor(state.remaining / state.unitsPerBuyer) <= state.active
      return {
        ...base,
        pollAfterMs: readAfterMs,
        status: 'waiting',
        position,
        estimatedWaitSeconds,
        paused,
        inventoryHeld,
      }
    }
    const turn = await this.#o.store.claim(q.eventId, q.visitorId, q.index)
    switch (turn.outcome) {
      case 'held': {
        if (turn.first && this.listenerCount('admitted') > 0) {
          this.emit('admitted', {
            eventId: q.eventId,
            visitorId: q.visitorId,
            waitMs: Date.now() - q.joinedAt,
          })
        }
        const claims: AdmissionClaims = {
          eventId: q.eventId,
          visitorId: q.visitorId,
          ticket: turn.ticket,
          expiresAt: turn.expiresAt,
        }
        return {
          ...base,
          status: 'admitted',
          admissionToken: this.#signer.sign('a', claims),
          turnExpiresAt: turn.expiresAt,
        }
      }
      case 'waiting': // our cached `served` ran ahead of a store that lost its data: wait
        return {
          ...base,
          status: 'waiting',
          position: 1,
          estimatedWaitSeconds: null,
          paused: false,
          inventoryHeld: false,
        }
      case 'expired':
        return { ...base, status: state.soldOut ? 'sold_out' : 'turn_expired' }
      case 'completed':
        return { ...base, status: 'completed' }
      case 'not_in_queue':
        return { ...base, status: 'left' }
    }
  }

  async board(eventId: string): Promise<ServingBoard> {
    this.#open()
    const state = await this.state(eventId)
    if (!state) throw new EventNotFoundError(eventId)
    const started = state.startedAt !== null
    return {
      eventId,
      status: state.soldOut
        ? 'sold_out'
        : !started
          ? 'pre_queue'
          : state.healthFactor === 0
            ? 'paused'
            : 'open',
      startsAt: state.startsAt,
      preCount: started ? state.preCount : null,
      shuffleKeys: started ? state.shuffleKeys : null,
      served: state.served,
      admitPerMinute: this.#pace(eventId, state),
      pollMs: {
        base: this.#poll.baseMs,
        max: pollCeiling(this.#poll, state.claimMs),
        startSpread: this.#poll.startSpreadMs,
      },
      at: Date.now(),
    }
  }

  async leave(queueTicket: string) {
    const claims = this.#signer.verify<QueueClaims>('q', queueTicket, { ignoreExpiry: true })
    return this.#o.store.leave(claims.eventId, claims.visitorId)
  }

  verify(token: string | undefined, expected: { eventId: string; visitorId: string }) {
    return this.#signer.verify<AdmissionClaims>('a', token, expected)
  }

  async verifyTurn(token: string | undefined, expected: { eventId: string; visitorId: string }) {
    const claims = this.verify(token, expected)
    const turn = await this.#o.store.turn(claims.eventId, claims.ticket)
    if (turn.state !== 'held') throw new TurnNotHeldError(turn.state)
    return claims
  }

  async complete(token: string) {
    const claims = this.#signer.verify<AdmissionClaims>('a', token, { ignoreExpiry: true })
    const r = await this.#o.store.complete(claims.eventId, claims.ticket)
    if (r === 'completed' && this.listenerCount('completed') > 0) {
      this.emit('completed', { eventId: claims.eventId, visitorId: claims.visitorId })
    }
    return r
  }

  async tick(eventId: string) {
    this.#open()
    let remaining: number | undefined
    if (this.#o.remaining) {
      try {
        remaining = await this.#o.remaining(eventId)
      } catch (error) {
        this.#fail(new Error(`remaining(${eventId}) failed; ticking on the stored counter`, { cause: error }))
      }
    }
    if (remaining !== undefined && (typeof remaining !== 'number' || !Number.isFinite(remaining))) {
      this.#fail(
        new InvalidArgumentError(`remaining(${eventId}) returned ${String(remaining)}, not a number`),
      )
      remaining = undefined
    }
    const r = await this.#o.store.tick(eventId, { remaining, shuffleKeys: drawShuffleKeys() })
    if (!r) return null
    // This instance knows its cached state is behind: its next poll reads the store again.
    const cached = this.#cache.get(eventId)
    if (cached && (cached.value?.served !== r.served || cached.value?.soldOut !== r.soldOut)) {
      this.#invalidate(eventId)
    }
    if (r.soldOut) this.#sawSoldOut(eventId)
    if (this.listenerCount('tick') > 0) {
      this.emit('tick', {
        eventId,
        admitted: r.admitted,
        abandoned: r.abandoned,
        expired: r.expired,
        activeBuyers: r.active,
        queueLength: r.waiting,
        admittedPerMinute: this.#observedRate(eventId),
        soldOut: r.soldOut,
      })
    }
    return r
  }

  start() {
    this.#open()
    if (this.#timer) return
    this.#timer = setInterval(() => void this.#tickAll(), this.#o.tickIntervalMs)
    this.#timer.unref()
  }

  async #tickAll() {
    if (this.#ticking || this.#closed) return
    this.#ticking = true
    try {
      const events = await this.#o.store.events()
      await Promise.all(events.map((e) => this.tick(e).catch((error) => this.#fail(error))))
    } catch (error) {
      this.#fail(error)
    } finally {
      this.#ticking = false
    }
  }

  #fail(error: unknown) {
    const err = error instanceof Error ? error : new Error(String(error))
    if (this.listenerCount('error') > 0) this.emit('error', err)
    else process.emitWarning(err)
  }

  async setRemaining(eventId: string, remaining: number | null) {
    if (remaining !== null && (typeof remaining !== 'number' || !Number.isFinite(remaining))) {
      throw new InvalidArgumentError(`remaining must be a number or null, got ${String(remaining)}`)
    }
    if (!(await this.#o.store.adjust(eventId, { remaining }))) throw new EventNotFoundError(eventId)
    this.#invalidate(eventId)
  }

  async markSoldOut(eventId: string) {
    if (!(await this.#o.store.adjust(eventId, { soldOut: true }))) throw new EventNotFoundError(eventId)
    this.#invalidate(eventId)
  }

  async reportHealth(sample: HealthSample, eventIds?: string[]) {
    const h = this.#o.health
    const share = (v: number | undefined, slow: number, pause: number) =>
      v === undefined || v <= slow ? 1 : v >= pause ? 0 : (pause - v) / (pause - slow)
    const factor = Math.min(
      share(sample.latencyMs, h.slowLatencyMs, h.pauseLatencyMs),
      share(sample.errorRate, h.slowErrorRate, h.pauseErrorRate),
    )
    const ids = eventIds ?? (await this.#o.store.events())
    await Promise.all(
      ids.map((e) => this.#o.store.adjust(e, { healthFactor: factor, ttlMs: h.ttlSeconds * 1000 })),
    )
    for (const e of ids) this.#invalidate(e)
    return factor
  }

  async state(eventId: string, options: { fresh?: boolean } = {}) {
    const cached = this.#cache.get(eventId)
    if (!options.fresh && cached && Date.now() - cached.at < this.#o.stateCacheMs) return cached.value
    let loading = this.#loading.get(eventId)
    if (!loading) {
      loading = this.#o.store.state(eventId).finally(() => this.#loading.delete(eventId))
      this.#loading.set(eventId, loading)
    }
    const value = await loading
    const now = Date.now()
    // Concurrent callers share one load: take the entry as it is now, not as it was before it.
    const current = this.#cache.get(eventId)
    if (current && current.at === now && current.value === value) return value
    const samples = (current?.samples ?? []).filter(([t]) => now - t <= 60_000)
    if (value) samples.push([now, value.admittedTotal])
    this.#cache.set(eventId, { at: now, value, samples, soldOutSeen: current?.soldOutSeen ?? false })
    if (value?.soldOut) this.#sawSoldOut(eventId)
    return value
  }

  /** The next `state` reads the store; the rate samples are kept. */
  #invalidate(eventId: string) {
    const cached = this.#cache.get(eventId)
    if (cached) cached.at = -Infinity
  }

  /** The pace wait estimates assume (per minute): observed, else the configured rate × health. */
  #pace(eventId: string, state: EventState): number {
    return this.#observedRate(eventId) || state.admitPerMinute * state.healthFactor
  }

  /** Admissions per minute over this instance's last minute of state reads; 0 if under 5 s of data. */
  #observedRate(eventId: string): number {
    const s = this.#cache.get(eventId)?.samples ?? []
    const first = s[0]
    const last = s[s.length - 1]
    if (!first || !last || last[0] - first[0] < 5_000) return 0
    return ((last[1] - first[1]) * 60_000) / (last[0] - first[0])
  }

  #sawSoldOut(eventId: string) {
    const cached = this.#cache.get(eventId)
    if (cached?.soldOutSeen) return
    if (cached) cached.soldOutSeen = true
    if (this.listenerCount('soldOut') > 0) this.emit('soldOut', { eventId })
  }

  async close() {
    this.#closed = true
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }
}

function id(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > 256) {
    throw new InvalidArgumentError(`${name} must be a non-empty string of at most 256 characters`)
  }
  return value
}

/** Creates a waiting room over a queue store. Validates the options; never opens connections. */
export function createWaitingRoom(options: WaitingRoomOptions): WaitingRoom {
  return new WaitingRoomImpl(options)
}
