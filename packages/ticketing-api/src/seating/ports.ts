// Ports of reserved seating. Embedded mode implements them in memory (memory.ts); production
// with seat-lock + Redis + MySQL (production.ts). The service (service.ts) only sees these.
import type { ReservationRecord } from '../ports/index.js'
import type { Layout } from './layout.js'

export type SeatState = 'available' | 'held' | 'sold'

/** A seat hold as the lock reports it. */
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

/** All-or-nothing seat holds with a TTL (seat-lock in production). */
export interface SeatLocker {
  hold(req: { eventId: number; seats: string[]; owner: string; ttlMs: number }): Promise<SeatHold>
  /** null when expired, released or unknown. */
  get(holdId: string): Promise<SeatHold | null>
  /** After the DB commit: the seats stay taken. Throws when the hold is gone. */
  confirm(holdId: string, owner: string): Promise<void>
  /** false when it was already gone. */
  release(holdId: string, owner: string): Promise<boolean>
  /** After a committed cancellation: sold seats back on sale. */
  free(eventId: number, seats: string[]): Promise<void>
  close(): Promise<void>
}

/** A live hold as the index lists it (for the seat map, per-user limits and expiry pushes). */
export interface IndexedHold {
  holdId: string
  eventId: number
  owner: string
  seats: string[]
  expiresAt: number
}

/**
 * Which holds are live, per event. The lock is the guarantee; the index only feeds the map and
 * the expiry pushes, so a missing entry shows a held seat as available (a hold attempt on it
 * then gets its 409), never the reverse.
 */
export interface HoldIndex {
  add(hold: IndexedHold): Promise<void>
  /** Removes the entry; returns it only to the one caller that removed it. */
  remove(eventId: number, holdId: string): Promise<IndexedHold | null>
  list(eventId: number): Promise<IndexedHold[]>
  /** Seats `owner` holds in the event (holds past expiry count until swept, ≤ a sweep interval). */
  heldBy(eventId: number, owner: string): Promise<number>
  /** Removes and returns holds past their expiry (each one to exactly one sweeper). */
  sweep(): Promise<IndexedHold[]>
  close(): Promise<void>
}

export type SeatCommitOutcome =
  | { ok: true; reservation: ReservationRecord; seats: string[] }
  | { ok: false; code: 'SEATS_TAKEN'; seats: string[] }
  | { ok: false; code: 'TICKET_LIMIT_EXCEEDED'; limit: number; alreadyHeld: number }
  | { ok: false; code: 'EVENT_NOT_FOUND' }
  | { ok: false; code: 'ALREADY_COMMITTED'; reservation: ReservationRecord; seats: string[] }

export type SeatCancelOutcome =
  | { ok: true; reservation: ReservationRecord; seats: string[] }
  | { ok: false; code: 'ALREADY_CANCELLED'; reservation: ReservationRecord }
  | { ok: false; code: 'RESERVATION_NOT_FOUND' }

/** The system of record for seat maps and sold seats. */
export interface SeatingStore {
  saveLayout(eventId: number, layout: Layout): Promise<void>
  /** null for general-admission events (and unknown ones). */
  getLayout(eventId: number): Promise<Layout | null>
  soldSeats(eventId: number): Promise<string[]>
  /** Seats of a seated reservation, or null when it is not one. */
  reservationSeats(reservationId: string): Promise<string[] | null>
  /**
   * One transaction: every seat's fencing token (throws StaleHoldError), the per-user limit,
   * the seats (a sold seat refuses the whole hold), the reservation row and the event count.
   */
  commitHold(input: {
    eventId: number
    hold: Pick<SeatHold, 'id' | 'token' | 'seats' | 'owner'>
    reservationId: string
    limit: number | null
    at: Date
  }): Promise<SeatCommitOutcome>
  /** One transaction: status flip (exactly once), seats deleted, count given back. */
  cancel(reservationId: string): Promise<SeatCancelOutcome>
}

/** A seat-state change, fanned out to every instance (Redis pub/sub) and every open page. */
export interface SeatChange {
  eventId: number
  changes: Record<string, SeatState>
}

export interface SeatBus {
  publish(change: SeatChange): Promise<void>
  /** Every change, including this instance's own, arrives here once. */
  subscribe(listener: (change: SeatChange) => void): void
  close(): Promise<void>
}

/** What the seat map is computed from, as cached. Held seats carry expiry so a cached copy ages right. */
export interface SeatSnapshot {
  sold: string[]
  holds: Array<{ seats: string[]; expiresAt: number }>
  /** When it was read from the sources (epoch ms). */
  at: number
}

export interface SeatMapCache {
  get(eventId: number, load: () => Promise<SeatSnapshot>): Promise<SeatSnapshot>
  invalidate(eventId: number): Promise<void>
  close(): Promise<void>
}

/** One composition of the seating ports. */
export interface SeatingBackend {
  locker: SeatLocker
  index: HoldIndex
  store: SeatingStore
  bus: SeatBus
  cache: SeatMapCache
  /** The documented worst-case staleness of GET /seats, in ms. */
  maxStaleMs: number
  close(): Promise<void>
}
