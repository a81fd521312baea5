// Ports of reserved seating. Embedded mode implements them in memory (adapters/memory);
// production with seat-lock + Redis + MySQL (adapters/redis, adapters/mysql). Each has one
// contract suite (test/contracts/) that every adapter passes.
import type { PendingReservation } from '../sales/model.js'
import type { Layout } from './layout.js'
import type {
  ListedHold,
  SeatCancelOutcome,
  SeatChange,
  SeatCommitOutcome,
  SeatHold,
  SeatSnapshot,
} from './model.js'

/** All-or-nothing seat holds with a TTL (seat-lock in production). */
export interface SeatLocker {
  /** Throws SeatsTakenError naming exactly the seats held or sold. */
  hold(req: { eventId: number; seats: string[]; owner: string; ttlMs: number }): Promise<SeatHold>
  /** null when expired, released or unknown. */
  get(holdId: string): Promise<SeatHold | null>
  /** After the DB commit: the seats stay taken. Throws when the hold is gone. */
  confirm(holdId: string, owner: string): Promise<void>
  /** false when it was already gone. */
  release(holdId: string, owner: string): Promise<boolean>
  /** After a committed cancellation: sold seats back on sale. */
  free(eventId: number, seats: string[]): Promise<void>
}

/**
 * Which holds are live, per event. The lock is the guarantee; the index only feeds the map and
 * the expiry pushes, so a missing entry shows a held seat as available (a hold attempt on it
 * then gets its 409), never the reverse.
 */
export interface HoldIndex {
  add(hold: ListedHold): Promise<void>
  /** Removes the entry; returns it only to the one caller that removed it. */
  remove(eventId: number, holdId: string): Promise<ListedHold | null>
  list(eventId: number): Promise<ListedHold[]>
  /** Seats `owner` holds in the event (holds past expiry count until swept, ≤ a sweep interval). */
  heldBy(eventId: number, owner: string): Promise<number>
  /** Removes and returns holds past their expiry (each one to exactly one sweeper). */
  sweep(): Promise<ListedHold[]>
}

/** The system of record for seat maps and sold seats. */
export interface SeatingStore {
  saveLayout(eventId: number, layout: Layout): Promise<void>
  /** null for general-admission events (and unknown ones). */
  getLayout(eventId: number): Promise<Layout | null>
  soldSeats(eventId: number): Promise<string[]>
  /** Seats of a seated reservation, or null when it is not one. */
  reservationSeats(reservationId: string): Promise<string[] | null>
  /** Tickets `owner` has for the event (CONFIRMED reservations). */
  reservedBy(eventId: number, owner: string): Promise<number>
  /**
   * One transaction: every seat's fencing token (throws StaleHoldError), the per-user limit,
   * the seats (a sold seat refuses the whole hold), the reservation row and the event count.
   */
  commitHold(input: {
    eventId: number
    hold: Pick<SeatHold, 'id' | 'token' | 'seats' | 'owner'>
    /** The reservation row to write (seatedReservation), decided by the confirm step. */
    reservation: PendingReservation
  }): Promise<SeatCommitOutcome>
  /** One transaction: status flip (exactly once), seats deleted, count given back. */
  cancel(reservationId: string): Promise<SeatCancelOutcome>
}

export interface SeatBus {
  publish(change: SeatChange): Promise<void>
  /** Every change, including this instance's own, arrives here once. */
  subscribe(listener: (change: SeatChange) => void): void
  close(): Promise<void>
}

export interface SeatMapCache {
  get(eventId: number, load: () => Promise<SeatSnapshot>): Promise<SeatSnapshot>
  invalidate(eventId: number): Promise<void>
}

/** The seating ports of one composition. */
export interface SeatingPorts {
  locker: SeatLocker
  index: HoldIndex
  store: SeatingStore
  bus: SeatBus
  snapshots: SeatMapCache
  /** The documented worst-case staleness of GET /seats, in ms. */
  maxStaleMs: number
}
