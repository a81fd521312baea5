// Sold seats of the embedded mode, next to the sales memory store (whose reservations they are).
import type { SalesStore } from '../../../sales/ports.js'
import type { Layout } from '../../layout.js'
import { type SeatCommitOutcome, StaleHoldError } from '../../model.js'
import type { SeatingStore } from '../../ports.js'

/**
 * Sold seats next to the embedded sales store. Commits of one event run one at a time (a promise
 * chain), the same serialisation MySQL's event row lock gives production.
 */
export function createMemorySeatingStore(store: SalesStore): SeatingStore {
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
    async reservedBy(eventId, owner) {
      return (await store.listUserReservations(owner))
        .filter((r) => r.eventId === eventId && r.status === 'CONFIRMED')
        .reduce((n, r) => n + r.quantity, 0)
    },
    commitHold({ eventId, hold, reservation }) {
      const { reservationId } = reservation
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
        const [outcome] = await store.commitReservations(eventId, [reservation])
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
