// The seating vocabulary (README "Architecture"): seat holds, their confirmation into
// reservations, and the seat map's states. Plain data, no I/O.
import type { PendingReservation, ReservationRecord } from '../sales/model.js'

export type SeatState = 'available' | 'held' | 'sold'

/**
 * Named seats of a seated event reserved for one buyer for a TTL (seat-lock's holdSeats), until
 * confirmed (sold, with a reservation) or released or expired (back on sale).
 */
export interface SeatHold {
  id: string
  eventId: number
  owner: string
  seats: string[]
  /** Fencing token: strictly increasing per event. */
  token: number
  /** Expiry, epoch ms (Redis server clock in production). */
  expiresAt: number
  status: 'held' | 'confirmed'
}

/** The reservation a confirmed hold becomes: its seats' count, fenced by the hold's id and token. */
export function seatedReservation(
  hold: Pick<SeatHold, 'id' | 'token' | 'seats' | 'owner'>,
  reservationId: string,
  limit: number | null,
  at: Date,
): PendingReservation {
  return {
    reservationId,
    userId: hold.owner,
    quantity: hold.seats.length,
    admissionId: hold.id,
    token: hold.token,
    limit,
    reservationTime: at,
  }
}

/** A live hold as the hold index lists it (for the seat map, per-user limits and expiry pushes). */
export type ListedHold = Pick<SeatHold, 'id' | 'eventId' | 'owner' | 'seats' | 'expiresAt'>

/** Thrown by SeatLocker.hold when some seats are held or sold; `seats` are exactly those. */
export class SeatsTakenError extends Error {
  readonly code = 'E_SEATS_TAKEN'
  constructor(readonly seats: readonly string[]) {
    super(`seats unavailable: ${seats.join(', ')}`)
  }
}

/** Thrown by a commit whose fencing token is older than one the database already accepted. */
export class StaleHoldError extends Error {
  readonly code = 'E_STALE_TOKEN'
  constructor(readonly holdId: string) {
    super(`hold ${holdId} carries a stale fencing token`)
  }
}

export type SeatCommitOutcome =
  | { ok: true; reservation: ReservationRecord; seats: string[] }
  | { ok: false; code: 'SEATS_TAKEN'; seats: string[] }
  | { ok: false; code: 'TICKET_LIMIT_EXCEEDED'; limit: number; alreadyReserved: number }
  | { ok: false; code: 'EVENT_NOT_FOUND' }
  | { ok: false; code: 'ALREADY_COMMITTED'; reservation: ReservationRecord; seats: string[] }

export type SeatCancelOutcome =
  | { ok: true; reservation: ReservationRecord; seats: string[] }
  | { ok: false; code: 'ALREADY_CANCELLED'; reservation: ReservationRecord }
  | { ok: false; code: 'RESERVATION_NOT_FOUND' }

/** A seat-state change, fanned out to every instance (Redis pub/sub) and every open page. */
export interface SeatChange {
  eventId: number
  changes: Record<string, SeatState>
}

/** What the seat map is computed from, as cached. Held seats carry expiry so a cached copy ages right. */
export interface SeatSnapshot {
  sold: string[]
  holds: Array<{ seats: string[]; expiresAt: number }>
  /** When it was read from the sources (epoch ms). */
  at: number
}
