import { randomUUID } from 'node:crypto'
import { ApiError, cancelRefused, validationError } from '../errors.js'
import type { Backend, EventRecord } from '../ports/index.js'
import { reservationData } from '../services/presenters.js'
import { type Layout, seatIds } from './layout.js'
import {
  type SeatChange,
  type SeatingBackend,
  type SeatSnapshot,
  type SeatState,
  SeatsTakenError,
  StaleHoldError,
} from './ports.js'

export interface SeatingOptions {
  seating: SeatingBackend
  main: Backend
  getEvent(eventId: number): Promise<EventRecord | undefined>
  /** Seat-hold TTL. */
  ttlMs: number
  maxSeatsPerHold: number
  /** Service-wide per-user limit when the event has none. */
  maxTicketsPerUser?: number
  /** How often expired holds are looked for (their seats pushed back to pages). @default 250 */
  sweepIntervalMs?: number
  log: { warn(obj: unknown, msg?: string): void }
}

/**
 * A confirm needs this much hold time left: the DB commit must end before the seats can go
 * back on sale in Redis. (The fencing token covers the rest: a late commit loses in the DB.)
 */
const CONFIRM_MARGIN_MS = 500
/** GA events are cached as "not seated" this long (a layout is saved right after its event). */
const NOT_SEATED_CACHE_MS = 5_000
const MAX_CACHED_LAYOUTS = 10_000

/**
 * Reserved seating: seat holds (the guarantee), their confirmation into fenced reservations,
 * the seat map (a cached view), and the change feed that keeps pages live.
 */
export function createSeatingService(options: SeatingOptions) {
  const { seating, main, log } = options
  const { locker, index, store, bus, cache } = seating
  const layouts = new Map<number, { layout: Layout | null; at: number; ids?: Set<string> }>()
  const listeners = new Map<number, Set<(change: SeatChange) => void>>()

  bus.subscribe((change) => {
    for (const l of listeners.get(change.eventId) ?? []) l(change)
  })

  async function layoutOf(eventId: number) {
    const hit = layouts.get(eventId)
    if (hit && (hit.layout || Date.now() - hit.at < NOT_SEATED_CACHE_MS)) return hit
    const layout = await store.getLayout(eventId)
    const entry = { layout, at: Date.now(), ids: layout ? new Set(seatIds(layout)) : undefined }
    // Bounded: requests for made-up event ids must not grow it without limit.
    if (layouts.size >= MAX_CACHED_LAYOUTS) layouts.clear()
    layouts.set(eventId, entry)
    return entry
  }

  /** Every seat change: drop the cached map first, so a page reacting to the message reads fresh. */
  async function announce(eventId: number, seats: readonly string[], state: SeatState) {
    if (seats.length === 0) return
    await cache.invalidate(eventId).catch((err) => log.warn({ err, eventId }, 'seat map invalidation failed'))
    const changes: Record<string, SeatState> = {}
    for (const s of seats) changes[s] = state
    await bus
      .publish({ eventId, changes })
      .catch((err) => log.warn({ err, eventId }, 'seat change not published'))
  }

  async function seatedEvent(eventId: number) {
    const event = await options.getEvent(eventId)
    if (!event) throw new ApiError('EVENT_NOT_FOUND', `Event ${eventId} not found`)
    const entry = await layoutOf(eventId)
    if (!entry.layout) {
      throw new ApiError('NOT_SEATED', `Event ${eventId} is general admission: reserve a quantity instead`, {
        eventId,
      })
    }
    return { event, layout: entry.layout, ids: entry.ids! }
  }

  async function load(eventId: number): Promise<SeatSnapshot> {
    const at = Date.now()
    const [sold, holds] = await Promise.all([store.soldSeats(eventId), index.list(eventId)])
    return { sold, holds: holds.map((h) => ({ seats: h.seats, expiresAt: h.expiresAt })), at }
  }

  /**
   * Uncached reads for streams, single-flighted per event: a caller joins a read only if it
   * started after the caller's mark (its change listener was registered by then), so no change
   * can fall between the snapshot and the stream.
   */
  let ticks = 0
  const flights = new Map<number, { started: number; p: Promise<SeatSnapshot> }>()
  function freshSnapshot(eventId: number, since: number): Promise<SeatSnapshot> {
    const f = flights.get(eventId)
    if (f && f.started > since) return f.p
    const flight = { started: ++ticks, p: load(eventId) }
    flights.set(eventId, flight)
    void flight.p
      .finally(() => {
        if (flights.get(eventId) === flight) flights.delete(eventId)
      })
      .catch(() => {})
    return flight.p
  }

  async function snapshot(eventId: number, since?: number): Promise<SeatSnapshot> {
    if (since !== undefined) return freshSnapshot(eventId, since)
    return cache.get(eventId, () => load(eventId))
  }

  async function ownedHold(holdId: string, assertOwner: (owner: string) => void) {
    const hold = await locker.get(holdId)
    if (!hold) {
      throw new ApiError(
        'HOLD_NOT_FOUND',
        `Hold ${holdId} not found: it expired, was released or never existed`,
        {
          holdId,
        },
      )
    }
    assertOwner(hold.owner)
    return hold
  }

  let timer: NodeJS.Timeout | undefined
  let sweeping = false
  async function sweep(): Promise<number> {
    if (sweeping) return 0
    sweeping = true
    try {
      const expired = await index.sweep()
      await Promise.all(expired.map((h) => announce(h.eventId, h.seats, 'available')))
      return expired.length
    } finally {
      sweeping = false
    }
  }

  return {
    maxStaleMs: seating.maxStaleMs,

    /** Stores a new event's layout (after the event row is committed). */
    async saveLayout(eventId: number, layout: Layout) {
      await store.saveLayout(eventId, layout)
      layouts.delete(eventId)
    },

    async isSeated(eventId: number) {
      return (await layoutOf(eventId)).layout !== null
    },

    /** A point in this process's order of events, for `seatMap(id, { freshSince })`. */
    mark: () => ++ticks,

    /**
     * The seat map with each seat's state; may lag a change by up to `maxStaleMs`. With
     * `freshSince` (a `mark()` taken before listening to changes) it bypasses the cache and
     * reflects every change made before the mark.
     */
    async seatMap(eventId: number, opts: { freshSince?: number } = {}) {
      const { event, layout } = await seatedEvent(eventId)
      const snap = await snapshot(eventId, opts.freshSince)
      const state = new Map<string, SeatState>()
      const now = Date.now()
      // Holds are filtered by their own expiry: a cached snapshot never shows an expired hold.
      for (const h of snap.holds) if (h.expiresAt > now) for (const s of h.seats) state.set(s, 'held')
      for (const s of snap.sold) state.set(s, 'sold')
      const counts = { available: 0, held: 0, sold: 0 }
      const sections = layout.sections.map((section) => ({
        name: section.name,
        rows: section.rows.map((row) => ({
          name: row.name,
          seats: row.seats.map((seat) => {
            const st = state.get(seat.id) ?? 'available'
            counts[st]++
            return { id: seat.id, label: seat.label, state: st }
          }),
        })),
      }))
      return {
        eventId,
        eventName: event.eventName,
        totalSeats: event.totalSeats,
        counts,
        sections,
        asOf: new Date(snap.at).toISOString(),
        maxStaleMs: seating.maxStaleMs,
        holdTtlMs: options.ttlMs,
        maxSeatsPerHold: options.maxSeatsPerHold,
      }
    },

    /** All-or-nothing hold of named seats for `userId`. */
    async hold(eventId: number, userId: string, seats: string[]) {
      const { event, ids } = await seatedEvent(eventId)
      if (new Set(seats).size !== seats.length) throw validationError('seats', 'a seat is listed twice')
      if (seats.length > options.maxSeatsPerHold) {
        throw validationError('seats', `at most ${options.maxSeatsPerHold} seats per hold`)
      }
      const unknown = seats.filter((s) => !ids.has(s))
      if (unknown.length > 0) throw validationError('seats', `not seats of this event: ${unknown.join(', ')}`)
      // Per-user limit on live holds: one buyer cannot hold the house. (Sales count at confirm.)
      const limit = event.maxTicketsPerUser ?? options.maxTicketsPerUser ?? options.maxSeatsPerHold
      const mine = await index.heldBy(eventId, userId)
      if (mine > 0) {
        // A retried request whose answer was lost: the buyer already holds exactly these seats.
        const want = [...seats].sort().join(',')
        const now = Date.now()
        const same = (await index.list(eventId)).find(
          (h) => h.owner === userId && h.expiresAt > now && [...h.seats].sort().join(',') === want,
        )
        if (same) {
          return {
            holdId: same.holdId,
            eventId,
            userId,
            seats: same.seats,
            expiresAt: new Date(same.expiresAt).toISOString(),
            ttlMs: options.ttlMs,
            replayed: true,
          }
        }
      }
      if (mine + seats.length > limit) {
        throw new ApiError('TICKET_LIMIT_EXCEEDED', `At most ${limit} seats per user for this event`, {
          limit,
          alreadyHeld: mine,
        })
      }
      let hold: Awaited<ReturnType<typeof locker.hold>>
      try {
        hold = await locker.hold({ eventId, seats, owner: userId, ttlMs: options.ttlMs })
      } catch (error) {
        if (error instanceof SeatsTakenError) {
          throw new ApiError('SEATS_UNAVAILABLE', `Seats already held or sold: ${error.seats.join(', ')}`, {
            seats: [...error.seats],
          })
        }
        throw error
      }
      await index
        .add({ holdId: hold.id, eventId, owner: userId, seats: hold.seats, expiresAt: hold.expiresAt })
        .catch((err) => log.warn({ err, holdId: hold.id }, 'hold not indexed: the map shows its seats late'))
      await announce(eventId, hold.seats, 'held')
      return {
        holdId: hold.id,
        eventId,
        userId,
        seats: hold.seats,
        expiresAt: new Date(hold.expiresAt).toISOString(),
        ttlMs: options.ttlMs,
        replayed: false,
      }
    },

    /** The hold as the lock has it (owner or admin). */
    async getHold(holdId: string, assertOwner: (owner: string) => void) {
      const h = await ownedHold(holdId, assertOwner)
      return {
        holdId: h.id,
        eventId: h.eventId,
        userId: h.owner,
        seats: h.seats,
        expiresAt: new Date(h.expiresAt).toISOString(),
        status: h.status,
      }
    },

    /**
     * Turns the hold into a reservation: one MySQL transaction fenced by the hold's token; then
     * the lock keeps the seats sold and every page is told.
     */
    async confirm(holdId: string, assertOwner: (owner: string) => void) {
      const hold = await locker.get(holdId)
      if (!hold) {
        throw new ApiError(
          'HOLD_EXPIRED',
          `Hold ${holdId} has expired or was released; its seats may be resold`,
          {
            holdId,
          },
        )
      }
      assertOwner(hold.owner)
      if (hold.status === 'held' && hold.expiresAt - Date.now() < CONFIRM_MARGIN_MS) {
        throw new ApiError('HOLD_EXPIRED', `Hold ${holdId} is expiring; hold the seats again`, { holdId })
      }
      const event = await options.getEvent(hold.eventId)
      const limit = event?.maxTicketsPerUser ?? options.maxTicketsPerUser ?? null
      let outcome: Awaited<ReturnType<typeof store.commitHold>>
      try {
        outcome = await store.commitHold({
          eventId: hold.eventId,
          hold,
          reservationId: randomUUID(),
          limit,
          at: new Date(),
        })
      } catch (error) {
        if (error instanceof StaleHoldError) {
          throw new ApiError('STALE_HOLD', 'A newer hold on these seats was already committed', { holdId })
        }
        throw error
      }
      if (outcome.ok || outcome.code === 'ALREADY_COMMITTED') {
        const fresh = outcome.ok
        if (fresh) {
          // Committed: the rest cannot undo the sale. The seats stay taken in Redis, leave the
          // hold index, and the count and map caches move.
          await locker
            .confirm(hold.id, hold.owner)
            .catch((err) => log.warn({ err, holdId }, 'confirming a committed seat hold in Redis failed'))
          await index.remove(hold.eventId, hold.id).catch(() => {})
          await main.cache.applyDelta(hold.eventId, -outcome.seats.length).catch(() => {})
          await announce(hold.eventId, outcome.seats, 'sold')
        }
        return {
          statusCode: fresh ? 201 : 200,
          data: { ...reservationData(outcome.reservation), holdId, seats: outcome.seats },
        }
      }
      switch (outcome.code) {
        case 'SEATS_TAKEN': {
          // The database has them sold though Redis let us hold them (Redis lost data): the hold is void.
          await locker.release(hold.id, hold.owner).catch(() => {})
          const gone = await index.remove(hold.eventId, hold.id).catch(() => null)
          if (gone) await announce(hold.eventId, gone.seats, 'available')
          await announce(hold.eventId, outcome.seats, 'sold')
          throw new ApiError('SEATS_UNAVAILABLE', `Seats already sold: ${outcome.seats.join(', ')}`, {
            seats: outcome.seats,
          })
        }
        case 'TICKET_LIMIT_EXCEEDED':
          throw new ApiError(
            'TICKET_LIMIT_EXCEEDED',
            `At most ${outcome.limit} tickets per user for this event`,
            {
              limit: outcome.limit,
              alreadyReserved: outcome.alreadyHeld,
            },
          )
        default:
          throw new ApiError('EVENT_NOT_FOUND', `Event ${hold.eventId} not found`)
      }
    },

    /** Releases a live hold; its seats are back on sale at once. */
    async release(holdId: string, assertOwner: (owner: string) => void) {
      const hold = await ownedHold(holdId, assertOwner)
      if (hold.status === 'confirmed') {
        throw new ApiError('HOLD_CONFIRMED', 'This hold was confirmed: cancel the reservation instead', {
          holdId,
        })
      }
      const released = await locker.release(hold.id, hold.owner)
      if (!released) {
        throw new ApiError('HOLD_NOT_FOUND', `Hold ${holdId} not found: it expired or was released`, {
          holdId,
        })
      }
      await index.remove(hold.eventId, hold.id).catch(() => {})
      await announce(hold.eventId, hold.seats, 'available')
      return { holdId, eventId: hold.eventId, seats: hold.seats, released: true }
    },

    /** The seats of a seated reservation, or null for a GA one. */
    reservationSeats: (reservationId: string) => store.reservationSeats(reservationId),

    /** Cancels a seated reservation: exactly its seats return, after the DB commit. */
    async cancel(reservationId: string) {
      const outcome = await store.cancel(reservationId)
      if (!outcome.ok) throw cancelRefused(reservationId, outcome.code)
      const { reservation, seats } = outcome
      await locker
        .free(reservation.eventId, seats)
        .catch((err) => log.warn({ err, reservationId }, 'freeing cancelled seats in Redis failed'))
      await main.cache.applyDelta(reservation.eventId, seats.length).catch(() => {})
      await announce(reservation.eventId, seats, 'available')
      return { reservation, seats }
    },

    /** Listens to one event's seat changes (from every instance). Returns the unsubscribe. */
    onChange(eventId: number, listener: (change: SeatChange) => void) {
      let set = listeners.get(eventId)
      if (!set) {
        set = new Set()
        listeners.set(eventId, set)
      }
      set.add(listener)
      return () => {
        set.delete(listener)
        if (set.size === 0) listeners.delete(eventId)
      }
    },

    sweep,

    start() {
      timer = setInterval(() => {
        sweep().catch((err) => log.warn({ err }, 'hold sweep failed'))
      }, options.sweepIntervalMs ?? 250)
      timer.unref()
    },

    async close() {
      if (timer) clearInterval(timer)
      listeners.clear()
      await bus.close()
      await seating.close()
    },
  }
}

export type SeatingService = ReturnType<typeof createSeatingService>
