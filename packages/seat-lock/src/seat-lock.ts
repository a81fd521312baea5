import { EventEmitter } from 'node:events'
import type { Cluster, Redis } from 'ioredis'
import { type AutoExtendOptions, type AutoExtension, startAutoExtension } from './auto-extend.js'
import { DirectEngine } from './direct-engine.js'
import { type Engine, type HoldRef, WrongHoldKeysError } from './engine.js'
import {
  CapacityNotSetError,
  HoldExpiredError,
  InsufficientCapacityError,
  InvalidArgumentError,
  QuorumFailedError,
  SeatsUnavailableError,
} from './errors.js'
import { type CapacityState, type Hold, type NodeHold, withValidUntil } from './hold.js'
import { assertEventId, assertSeat, type EventKeys, eventKeys, newHoldId, parseHoldId } from './keys.js'
import { checkInt, type ResolvedOptions, resolveOptions, type SeatLockOptions } from './options.js'
import { QuorumEngine } from './quorum-engine.js'

/** Event payloads (all synchronous, emitted after the Redis step succeeded or failed). */
export interface SeatLockEvents {
  acquired: [{ hold: Hold; attempts: number; durationMs: number }]
  conflicted: [
    {
      eventId: string
      owner: string
      kind: 'seats' | 'quantity'
      seats?: readonly string[]
      requested?: number
      available?: number
    },
  ]
  released: [{ holdId: string; eventId: string; released: boolean }]
  /** A hold was found gone where it was expected alive (extend/confirm/auto-extension). */
  expired: [{ holdId: string; eventId: string; operation: 'extend' | 'confirm' | 'autoExtend' }]
  extended: [{ hold: Hold }]
  confirmed: [{ hold: Hold }]
  quorumFailed: [{ operation: string; granted: number; required: number; failed: number }]
  error: [Error]
}

export interface CapacityApi {
  /** Creates/overwrites the event's GA capacity: `total` units, all available. */
  set(eventId: string, total: number): Promise<void>
  /** Adds units to sale (a cancellation, or more capacity). */
  add(eventId: string, units: number): Promise<CapacityState>
  /** Removes units from sale; fails (E_INSUFFICIENT_CAPACITY) rather than going negative. */
  remove(eventId: string, units: number): Promise<CapacityState>
  /** Free units become `available − (units in live, unconfirmed holds)`, atomically; confirmed units are forgotten. */
  rebuild(eventId: string, available: number): Promise<CapacityState>
  /** null = not set. */
  get(eventId: string): Promise<CapacityState | null>
}

const OWNER_MAX = 256
/**
 * How many holds granted here an instance remembers the seats of, so that releasing, extending
 * or confirming them can declare their seat keys without first reading the record. Oldest
 * forgotten first; a forgotten hold costs one read more, nothing else.
 */
const REMEMBERED_HOLDS = 10_000
/** Event ids whose keys an instance keeps built; past that, it starts over. */
const EVENT_KEYS = 1_000
/** #onHold's answer when the hold has no record. */
const GONE = Symbol('gone')
const MAX_CAPACITY = 1_000_000

function assertOwner(owner: unknown, optional = false): asserts owner is string {
  if (optional && owner === undefined) return
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > OWNER_MAX) {
    throw new InvalidArgumentError(`owner must be a non-empty string of at most ${OWNER_MAX} characters`)
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Seat holds for ticketing. Create it with {@link createSeatLock}; it is handed its clients and
 * never quits them.
 */
export class SeatLock extends EventEmitter<SeatLockEvents> {
  readonly #o: ResolvedOptions
  readonly #engine: Engine
  readonly #extensions = new Set<AutoExtension>()
  /** Hold id -> its seats (null for a quantity hold), for holds granted here; see REMEMBERED_HOLDS. */
  readonly #seatsOf = new Map<string, readonly string[] | null>()
  readonly #eventKeys = new Map<string, EventKeys>()
  readonly capacity: CapacityApi

  constructor(options: SeatLockOptions) {
    super()
    this.#o = resolveOptions(options)
    const { redis } = this.#o
    this.#engine = Array.isArray(redis)
      ? new QuorumEngine(redis, {
          contentionBudgetMs: this.#o.quorumContentionBudgetMs,
          onQuorumFailed: (operation, e) => this.#quorumFailed(operation, e),
        })
      : new DirectEngine(redis as Redis | Cluster, { waitForReplicas: this.#o.waitForReplicas })
    this.capacity = {
      set: async (eventId, total) => {
        await this.#engine.capacity(this.#keys(eventId), 'set', checkInt('total', total, 0, MAX_CAPACITY))
      },
      add: async (eventId, units) =>
        this.#engine.capacity(this.#keys(eventId), 'add', checkInt('units', units, 1, MAX_CAPACITY)),
      remove: async (eventId, units) =>
        this.#engine.removeUnits(this.#keys(eventId), checkInt('units', units, 1, MAX_CAPACITY)),
      rebuild: async (eventId, available) =>
        this.#engine.capacity(
          this.#keys(eventId),
          'rebuild',
          checkInt('available', available, 0, MAX_CAPACITY),
        ),
      get: async (eventId) => {
        try {
          return await this.#engine.capacity(this.#keys(eventId), 'get', 0)
        } catch (error) {
          if (error instanceof CapacityNotSetError) return null
          throw error
        }
      },
    }
  }

  /** Validated once per event id: the keys of the events in use are kept (see EVENT_KEYS). */
  #keys(eventId: string): EventKeys {
    const known = this.#eventKeys.get(eventId)
    if (known) return known
    assertEventId(eventId)
    const k = eventKeys(this.#o.prefix, eventId)
    if (this.#eventKeys.size >= EVENT_KEYS) this.#eventKeys.clear()
    this.#eventKeys.set(eventId, k)
    return k
  }

  #ttl(ttlMs: unknown): number {
    return checkInt('ttlMs', ttlMs ?? this.#o.defaultTtlMs, 1, this.#o.maxTtlMs)
  }

  /** Listener exceptions must not turn a granted hold into a thrown call (the hold would leak). */
  #emit<K extends keyof SeatLockEvents>(name: K, ...args: SeatLockEvents[K]): void {
    try {
      ;(this.emit as (n: string, ...a: unknown[]) => boolean)(name, ...args)
    } catch (error) {
      if (name !== 'error' && this.listenerCount('error') > 0) this.emit('error', error as Error)
      else process.emitWarning(`seat-lock '${name}' listener threw: ${String(error)}`)
    }
  }

  #quorumFailed(operation: string, e: QuorumFailedError): void {
    this.#emit('quorumFailed', { operation, granted: e.granted, required: e.required, failed: e.failed })
  }

  #withValidity(h: NodeHold, start: number, ttlMs: number): Hold {
    const drift = Math.round(ttlMs * this.#o.driftFactor) + 2
    return withValidUntil(h, h.status === 'confirmed' ? h.expiresAt : start + ttlMs - drift)
  }

  #remember(hold: Hold): void {
    if (this.#seatsOf.size >= REMEMBERED_HOLDS) this.#seatsOf.delete(this.#seatsOf.keys().next().value!)
    this.#seatsOf.set(hold.id, hold.kind === 'seats' ? hold.seats : null)
  }

  /**
   * Runs a release / extend / confirm step on a hold named by its id. The step's script must
   * declare the hold's seat keys (see scripts.ts), which the id does not name: remembered for
   * holds granted here, else read from the record first (one round trip more). GONE: no record.
   */
  async #onHold<T>(
    holdId: string,
    step: (k: EventKeys, hold: HoldRef) => Promise<T>,
  ): Promise<T | typeof GONE> {
    const { eventId, rand } = parseHoldId(holdId)
    const k = this.#keys(eventId)
    const known = this.#seatsOf.get(holdId)
    if (known !== undefined) {
      try {
        return await step(k, { id: holdId, rand, seats: known })
      } catch (error) {
        // Never expected (a hold's seats never change); recover by reading them.
        if (!(error instanceof WrongHoldKeysError)) throw error
        this.#seatsOf.delete(holdId)
      }
    }
    const seats = await this.#engine.seatsOf(k, { id: holdId, rand })
    if (seats === undefined) return GONE
    return step(k, { id: holdId, rand, seats })
  }

  /** Fail fast, or retry with jitter when `retry.attempts` > 0. Validity counts from the winning attempt. */
  async #acquire(owner: string, ttlMs: number, attempt: () => Promise<NodeHold>): Promise<Hold> {
    const began = Date.now()
    for (let n = 1; ; n++) {
      const start = Date.now()
      try {
        const hold = this.#withValidity(await attempt(), start, ttlMs)
        this.#remember(hold)
        if (this.listenerCount('acquired') > 0) {
          this.#emit('acquired', { hold, attempts: n, durationMs: Date.now() - began })
        }
        return hold
      } catch (error) {
        if (error instanceof SeatsUnavailableError) {
          this.#emit('conflicted', { eventId: error.eventId, owner, kind: 'seats', seats: error.seats })
        } else if (error instanceof InsufficientCapacityError) {
          this.#emit('conflicted', {
            eventId: error.eventId,
            owner,
            kind: 'quantity',
            requested: error.requested,
            available: error.available,
          })
        }
        const retriable =
          error instanceof SeatsUnavailableError ||
          error instanceof InsufficientCapacityError ||
          error instanceof QuorumFailedError
        if (!retriable || n > this.#o.retry.attempts) throw error
        await sleep(this.#o.retry.delayMs + Math.floor(Math.random() * (this.#o.retry.jitterMs + 1)))
      }
    }
  }

  /** All-or-nothing hold of named seats; one round trip on a single node or cluster. */
  async holdSeats(req: { eventId: string; seats: string[]; owner: string; ttlMs?: number }): Promise<Hold> {
    const k = this.#keys(req?.eventId)
    const { seats, owner } = req
    assertOwner(owner)
    const ttlMs = this.#ttl(req.ttlMs)
    if (!Array.isArray(seats) || seats.length === 0)
      throw new InvalidArgumentError('seats must be a non-empty array')
    if (seats.length > this.#o.maxSeatsPerHold) {
      throw new InvalidArgumentError(
        `at most ${this.#o.maxSeatsPerHold} seats per hold (got ${seats.length})`,
      )
    }
    for (const seat of seats) assertSeat(seat)
    if (seats.length > 1 && new Set(seats).size !== seats.length)
      throw new InvalidArgumentError('duplicate seat in the seat list')
    const list = seats.slice()
    return this.#acquire(owner, ttlMs, () =>
      this.#engine.holdSeats(k, newHoldId(k.eventId, list), list, owner, ttlMs),
    )
  }

  /** Counting semaphore over the event's GA capacity. */
  async holdQuantity(req: {
    eventId: string
    quantity: number
    owner: string
    ttlMs?: number
  }): Promise<Hold> {
    const k = this.#keys(req?.eventId)
    assertOwner(req.owner)
    const ttlMs = this.#ttl(req.ttlMs)
    const quantity = checkInt('quantity', req.quantity, 1, this.#o.maxQuantityPerHold)
    return this.#acquire(req.owner, ttlMs, () =>
      this.#engine.holdUnits(k, newHoldId(k.eventId, null), quantity, req.owner, ttlMs),
    )
  }

  /** Idempotent; false when the hold was already gone (or is confirmed: sold stays sold). */
  async release(holdId: string, owner?: string): Promise<boolean> {
    assertOwner(owner, true)
    const result = await this.#onHold(holdId, (k, hold) => this.#engine.release(k, hold, owner ?? ''))
    this.#seatsOf.delete(holdId)
    const released = result === true
    if (this.listenerCount('released') > 0) {
      this.#emit('released', { holdId, eventId: parseHoldId(holdId).eventId, released })
    }
    return released
  }

  /** Sets the hold's remaining TTL to `ttlMs`. Throws HoldExpiredError when gone. */
  async extend(holdId: string, ttlMs: number, owner?: string): Promise<Hold> {
    const { eventId } = parseHoldId(holdId)
    assertOwner(owner, true)
    const ttl = checkInt('ttlMs', ttlMs, 1, this.#o.maxTtlMs)
    const start = Date.now()
    try {
      const h = await this.#onHold(holdId, (k, hold) => this.#engine.extend(k, hold, ttl, owner ?? ''))
      if (h === GONE) throw new HoldExpiredError(holdId)
      const hold = this.#withValidity(h, start, ttl)
      this.#emit('extended', { hold })
      return hold
    } catch (error) {
      if (error instanceof HoldExpiredError) this.#emit('expired', { holdId, eventId, operation: 'extend' })
      throw error
    }
  }

  /** Makes the hold permanent (seats sold / units consumed). Idempotent. */
  async confirm(holdId: string, owner?: string): Promise<Hold> {
    const { eventId } = parseHoldId(holdId)
    assertOwner(owner, true)
    try {
      const h = await this.#onHold(holdId, (k, hold) =>
        this.#engine.confirm(k, hold, owner ?? '', this.#o.confirmedRetentionMs),
      )
      if (h === GONE) throw new HoldExpiredError(holdId)
      // Sold: nothing will release or extend it in the normal course, so forget it.
      this.#seatsOf.delete(holdId)
      const hold = this.#withValidity(h, 0, 0)
      this.#emit('confirmed', { hold })
      return hold
    } catch (error) {
      if (error instanceof HoldExpiredError) this.#emit('expired', { holdId, eventId, operation: 'confirm' })
      throw error
    }
  }

  /** The hold as Redis has it, or null when gone. `validUntil` is the server expiry here. */
  async get(holdId: string): Promise<Hold | null> {
    const { eventId, rand } = parseHoldId(holdId)
    const h = await this.#engine.get(this.#keys(eventId), { id: holdId, rand })
    return h ? withValidUntil(h, h.expiresAt) : null
  }

  /** Returns confirmed (sold) seats to sale, e.g. after a cancellation committed in the DB. */
  async freeSeats(eventId: string, seats: string[]): Promise<void> {
    const k = this.#keys(eventId)
    if (!Array.isArray(seats) || seats.length === 0 || seats.length > 1000) {
      throw new InvalidArgumentError('seats must be an array of 1 to 1000 seat ids')
    }
    for (const seat of seats) assertSeat(seat)
    await this.#engine.freeSeats(k, [...new Set(seats)])
  }

  /**
   * Keeps a hold alive while long work runs: extends it before `validUntil`, and aborts
   * `signal` if an extension fails (the hold may be lost: stop writing). Use with `await using`.
   */
  autoExtend(hold: Hold, options: AutoExtendOptions = {}): AutoExtension {
    const ext = startAutoExtension(hold, options, {
      extend: (id, ttl) => this.extend(id, ttl, hold.owner),
      onLost: (error) => {
        if (error instanceof HoldExpiredError) {
          this.#emit('expired', { holdId: hold.id, eventId: hold.eventId, operation: 'autoExtend' })
        } else if (this.listenerCount('error') > 0) this.#emit('error', error)
      },
      onStop: () => this.#extensions.delete(ext),
    })
    this.#extensions.add(ext)
    return ext
  }

  /** Stops auto-extension timers. Does NOT quit the clients it was handed. */
  async close(): Promise<void> {
    await Promise.all([...this.#extensions].map((e) => e.stop()))
  }
}

/** Creates a {@link SeatLock}; options are validated here. */
export function createSeatLock(options: SeatLockOptions): SeatLock {
  return new SeatLock(options)
}
