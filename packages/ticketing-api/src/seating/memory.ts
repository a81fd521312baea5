// Embedded reserved seating: the same ports in one process's memory. Seat holds follow
// seat-lock's semantics (all-or-nothing, TTL, per-event fencing tokens) so that the page and
// the tests behave the same as in production.
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Store } from '../ports/index.js'
import type { Layout } from './layout.js'
import {
  type HoldIndex,
  type IndexedHold,
  type SeatBus,
  type SeatChange,
  type SeatCommitOutcome,
  type SeatHold,
  type SeatingBackend,
  type SeatingStore,
  type SeatLocker,
  SeatsTakenError,
  StaleHoldError,
} from './ports.js'

/** Confirmed holds are remembered this long, so a repeated confirm finds its reservation. */
const CONFIRMED_RETENTION_MS = 24 * 60 * 60 * 1000

export function createMemoryLocker(): SeatLocker {
  const holds = new Map<string, SeatHold>()
  /** eventId → seat → hold id (held or confirmed). */
  const seats = new Map<number, Map<string, string>>()
  const tokens = new Map<number, number>()
  const seatsOf = (eventId: number) => {
    let m = seats.get(eventId)
    if (!m) {
      m = new Map()
      seats.set(eventId, m)
    }
    return m
  }
  const live = (h: SeatHold | undefined, now = Date.now()) =>
    h && (h.status === 'confirmed' ? h.expiresAt + CONFIRMED_RETENTION_MS > now : h.expiresAt > now)
      ? h
      : undefined
  const drop = (h: SeatHold) => {
    const m = seatsOf(h.eventId)
    for (const s of h.seats) if (m.get(s) === h.id) m.delete(s)
    holds.delete(h.id)
  }
  return {
    async hold({ eventId, seats: wanted, owner, ttlMs }) {
      const m = seatsOf(eventId)
      const now = Date.now()
      const taken = wanted.filter((s) => {
        const id = m.get(s)
        if (!id) return false
        const h = holds.get(id)
        if (h?.status === 'confirmed') return true
        if (live(h, now)) return true
        if (h) drop(h)
        else m.delete(s)
        return false
      })
      if (taken.length > 0) throw new SeatsTakenError(taken)
      const token = (tokens.get(eventId) ?? 0) + 1
      tokens.set(eventId, token)
      const hold: SeatHold = {
        id: `${eventId}.${randomBytes(12).toString('base64url')}`,
        eventId,
        owner,
        seats: [...wanted],
        token,
        expiresAt: now + ttlMs,
        status: 'held',
      }
      holds.set(hold.id, hold)
      for (const s of wanted) m.set(s, hold.id)
      return { ...hold, seats: [...hold.seats] }
    },
    async get(holdId) {
      const h = live(holds.get(holdId))
      return h ? { ...h, seats: [...h.seats] } : null
    },
    async confirm(holdId, owner) {
      const h = live(holds.get(holdId))
      if (!h || h.owner !== owner) throw new Error(`hold ${holdId} has expired or was released`)
      h.status = 'confirmed'
    },
    async release(holdId, owner) {
      const h = live(holds.get(holdId))
      if (!h || h.status === 'confirmed' || h.owner !== owner) return false
      drop(h)
      return true
    },
    async free(eventId, list) {
      const m = seatsOf(eventId)
      for (const s of list) {
        const id = m.get(s)
        const h = id ? holds.get(id) : undefined
        if (h?.status === 'confirmed') m.delete(s)
      }
    },
    async close() {},
  }
}

export function createMemoryIndex(): HoldIndex {
  const byEvent = new Map<number, Map<string, IndexedHold>>()
  return {
    async add(hold) {
      let m = byEvent.get(hold.eventId)
      if (!m) {
        m = new Map()
        byEvent.set(hold.eventId, m)
      }
      m.set(hold.holdId, { ...hold, seats: [...hold.seats] })
    },
    async remove(eventId, holdId) {
      const m = byEvent.get(eventId)
      const h = m?.get(holdId)
      if (!h) return null
      m!.delete(holdId)
      return h
    },
    async list(eventId) {
      return [...(byEvent.get(eventId)?.values() ?? [])]
    },
    async heldBy(eventId, owner) {
      let n = 0
      for (const h of byEvent.get(eventId)?.values() ?? []) if (h.owner === owner) n += h.seats.length
      return n
    },
    async sweep() {
      const now = Date.now()
      const out: IndexedHold[] = []
      for (const m of byEvent.values()) {
        for (const [id, h] of m) {
          if (h.expiresAt <= now) {
            m.delete(id)
            out.push(h)
          }
        }
      }
      return out
    },
    async close() {},
  }
}

/**
 * Sold seats next to the embedded store. Commits of one event run one at a time (a promise
 * chain), the same serialisation MySQL's event row lock gives production.
 */
export function createMemorySeatingStore(store: Store): SeatingStore {
  const layouts = new Map<number, Layout>()
  const sold = new Map<number, Map<string, string>>()
  const byReservation = new Map<string, { eventId: number; seats: string[] }>()
  /** Per-seat fencing tokens: `eventId seat` → newest token accepted. */
  const fences = new Map<string, number>()
  const chains = new Map<number, Promise<unknown>>()
  const serial = <T>(eventId: number, work: () => Promise<T>): Promise<T> => {
    const next = (chains.get(eventId) ?? Promise.resolve()).then(work, work)
    chains.set(
      eventId,
      next.catch(() => {}),
    )
    return next
  }
  const soldOf = (eventId: number) => {
    let m = sold.get(eventId)
    if (!m) {
      m = new Map()
      sold.set(eventId, m)
    }
    return m
  }
  const committed = new Map<string, string>()

  return {
    async saveLayout(eventId, layout) {
      layouts.set(eventId, layout)
    },
    async getLayout(eventId) {
      return layouts.get(eventId) ?? null
    },
    async soldSeats(eventId) {
      return [...(sold.get(eventId)?.keys() ?? [])]
    },
    async reservationSeats(reservationId) {
      return byReservation.get(reservationId)?.seats ?? null
    },
    commitHold({ eventId, hold, reservationId, limit, at }) {
      return serial(eventId, async (): Promise<SeatCommitOutcome> => {
        const previous = committed.get(hold.id)
        if (previous) {
          const r = await store.getReservation(previous)
          if (r) return { ok: false, code: 'ALREADY_COMMITTED', reservation: r, seats: [...hold.seats] }
        }
        for (const s of hold.seats) {
          if ((fences.get(`${eventId} ${s}`) ?? 0) > hold.token) throw new StaleHoldError(hold.id)
        }
        const m = soldOf(eventId)
        const taken = hold.seats.filter((s) => m.has(s))
        if (taken.length > 0) return { ok: false, code: 'SEATS_TAKEN', seats: taken }
        const [outcome] = await store.commitReservations(eventId, [
          {
            reservationId,
            userId: hold.owner,
            quantity: hold.seats.length,
            holdId: hold.id,
            token: hold.token,
            limit,
            reservationTime: at,
          },
        ])
        if (!outcome) throw new Error('the store returned no outcome')
        if (!outcome.ok) {
          if (outcome.code === 'TICKET_LIMIT_EXCEEDED' || outcome.code === 'EVENT_NOT_FOUND') return outcome
          // The count says no while no seat is sold twice: the map and the count disagree.
          throw new Error(`event ${eventId}: ${outcome.code} for a seated hold`)
        }
        for (const s of hold.seats) {
          fences.set(`${eventId} ${s}`, hold.token)
          m.set(s, reservationId)
        }
        byReservation.set(reservationId, { eventId, seats: [...hold.seats] })
        committed.set(hold.id, reservationId)
        return { ok: true, reservation: outcome.reservation, seats: [...hold.seats] }
      })
    },
    async cancel(reservationId) {
      const entry = byReservation.get(reservationId)
      if (!entry) return { ok: false, code: 'RESERVATION_NOT_FOUND' }
      return serial(entry.eventId, async () => {
        const outcome = await store.cancelReservation(reservationId)
        if (!outcome.ok) return outcome
        const m = soldOf(entry.eventId)
        for (const s of entry.seats) if (m.get(s) === reservationId) m.delete(s)
        return { ok: true, reservation: outcome.reservation, seats: [...entry.seats] }
      })
    },
  }
}

export function createMemoryBus(): SeatBus {
  const emitter = new EventEmitter()
  emitter.setMaxListeners(0)
  return {
    async publish(change: SeatChange) {
      // Asynchronous like pub/sub: listeners never run inside the publisher's call.
      setImmediate(() => emitter.emit('change', change))
    },
    subscribe(listener) {
      emitter.on('change', listener)
    },
    async close() {
      emitter.removeAllListeners()
    },
  }
}

/** The embedded composition: no cache in front of maps in the same process. */
export function createMemorySeating(store: Store): SeatingBackend {
  return {
    locker: createMemoryLocker(),
    index: createMemoryIndex(),
    store: createMemorySeatingStore(store),
    bus: createMemoryBus(),
    cache: { get: (_id, load) => load(), async invalidate() {}, async close() {} },
    maxStaleMs: 0,
    async close() {},
  }
}
