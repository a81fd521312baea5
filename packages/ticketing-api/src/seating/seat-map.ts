// The seat map: each event's layout (immutable, remembered), and the state of every seat,
// computed from a cached snapshot of sold seats and live holds.
import { ApiError, eventNotFound } from '../errors.js'
import type { SeatingDeps } from './deps.js'
import { type Layout, seatIds } from './layout.js'
import type { SeatSnapshot, SeatState } from './model.js'

/** GA events are cached as "not seated" this long (a layout is saved right after its event). */
const NOT_SEATED_CACHE_MS = 5_000
const MAX_CACHED_LAYOUTS = 10_000

export function createSeatMap({ ports, events, options }: SeatingDeps) {
  const { store, index, snapshots } = ports
  const layouts = new Map<number, { layout: Layout | null; at: number; ids?: Set<string> }>()

  type LayoutEntry = { layout: Layout | null; at: number; ids?: Set<string> }
  /**
   * One read of a layout at a time per event: when a GA event's "not seated" entry expires, every
   * reservation arriving during the read joins it instead of sending its own SELECT.
   */
  const reading = new Map<number, Promise<LayoutEntry>>()
  function layoutOf(eventId: number): LayoutEntry | Promise<LayoutEntry> {
    const hit = layouts.get(eventId)
    if (hit && (hit.layout || Date.now() - hit.at < NOT_SEATED_CACHE_MS)) return hit
    const pending = reading.get(eventId)
    if (pending) return pending
    const read: Promise<LayoutEntry> = store.getLayout(eventId).then(
      (layout) => {
        const entry = { layout, at: Date.now(), ids: layout ? new Set(seatIds(layout)) : undefined }
        // Not remembered if a layout was saved meanwhile (saveLayout forgot this read).
        if (reading.get(eventId) === read) {
          reading.delete(eventId)
          // Bounded: requests for made-up event ids must not grow it without limit.
          if (layouts.size >= MAX_CACHED_LAYOUTS) layouts.clear()
          layouts.set(eventId, entry)
        }
        return entry
      },
      (error: unknown) => {
        if (reading.get(eventId) === read) reading.delete(eventId)
        throw error
      },
    )
    reading.set(eventId, read)
    return read
  }

  /** The event and its layout; 404 for an unknown event, 409 NOT_SEATED for a GA one. */
  async function seatedEvent(eventId: number) {
    const event = await events.get(eventId)
    if (!event) throw eventNotFound(eventId)
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

  return {
    seatedEvent,

    /** Stores a new event's layout (after the event row is committed). */
    async saveLayout(eventId: number, layout: Layout) {
      await store.saveLayout(eventId, layout)
      layouts.delete(eventId)
      reading.delete(eventId)
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
      const snap =
        opts.freshSince !== undefined
          ? await freshSnapshot(eventId, opts.freshSince)
          : await snapshots.get(eventId, () => load(eventId))
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
        maxStaleMs: ports.maxStaleMs,
        holdTtlMs: options.ttlMs,
        maxSeatsPerHold: options.maxSeatsPerHold,
      }
    },
  }
}

export type SeatMap = ReturnType<typeof createSeatMap>
