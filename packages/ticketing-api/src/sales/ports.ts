// Ports of the sales feature: what its steps need from storage, admission and cache. Each port
// has one contract suite (test/contracts/) that every adapter passes: memory (embedded mode),
// MySQL and Redis (production). Adapters own no clients: the composition root that hands them
// their pools and clients closes those.
import type {
  CancelOutcome,
  ClaimRecord,
  CommitOutcome,
  EventRecord,
  IdempotencyClaim,
  IdempotencyRef,
  KeyAnswer,
  NewEvent,
  PendingReservation,
  ReservationRecord,
  StoredResponse,
} from './model.js'

/** Idempotency-Key records kept by the system of record, in the same transactions as the sales. */
export interface KeyRecords {
  /** Claims the key (or reports who has it). A pending claim older than `leaseMs` is taken over. */
  claim(ref: IdempotencyRef, leaseMs: number): Promise<IdempotencyClaim>
  /**
   * Forgets a claim whose request failed without a stored answer (so a retry runs again);
   * only the claim `ref.claimId` names, never a retry's newer one.
   */
  release(ref: IdempotencyRef): Promise<void>
  get(ref: Pick<IdempotencyRef, 'scope' | 'key'>): Promise<ClaimRecord | undefined>
  /** Every stored answer of one event's reservations (to refill claims kept elsewhere). */
  answersOfEvent(eventId: number): Promise<KeyAnswer[]>
}

/** The system of record (MySQL, or memory in embedded mode). */
export interface SalesStore {
  ping(): Promise<void>
  /**
   * Inserts the event; with `idempotency`, stores `answer(event)` for the key in the same
   * transaction. Throws IdempotencyClaimLostError when `ref.claimId` no longer holds the key.
   */
  createEvent(
    input: NewEvent,
    idempotency?: { ref: IdempotencyRef; answer: (event: EventRecord) => StoredResponse },
  ): Promise<EventRecord>
  /** From the writer: used on the write path and by the cache loader. */
  getEvent(eventId: number): Promise<EventRecord | undefined>
  /** May be served by a read replica. */
  listEvents(query: { offset: number; limit: number; availableOnly: boolean }): Promise<{
    items: EventRecord[]
    total: number
  }>
  /** Every event's availability, from the writer (the reconciler's source of truth). */
  availability(eventIds?: number[]): Promise<Array<{ eventId: number; availableSeats: number }>>
  getReservation(reservationId: string): Promise<ReservationRecord | undefined>
  listUserReservations(userId: string): Promise<ReservationRecord[]>
  /**
   * Commits a batch of admitted reservations of one event in ONE transaction: each one is
   * accepted (row + seat decrement + idempotency answer) or refused, in order (sales/allocate.ts).
   */
  commitReservations(
    eventId: number,
    batch: PendingReservation[],
    /**
     * Work that must finish before COMMIT (confirming the admissions); the store overlaps it
     * with its first round trip. If it rejects, nothing is committed.
     */
    beforeCommit?: Promise<unknown>,
  ): Promise<CommitOutcome[]>
  /** Conditional status change: exactly one caller ever gets `ok` for a reservation. */
  cancelReservation(reservationId: string): Promise<CancelOutcome>
  keys: KeyRecords
}

/**
 * Idempotency-Key claims kept outside the store (production: Redis, so that neither a sale nor
 * a refusal spends a database statement on its key); the answers are still committed with the
 * sale, by the store.
 */
export interface KeyClaims {
  claim(ref: IdempotencyRef, leaseMs: number): Promise<IdempotencyClaim>
  get(ref: Pick<IdempotencyRef, 'scope' | 'key'>): Promise<ClaimRecord | undefined>
  /**
   * Forgets the claim `ref.claimId` names; false when the key is no longer that claim (answered
   * meanwhile, or restored from the store), and the caller must look its answer up.
   */
  release(ref: IdempotencyRef): Promise<boolean>
  /** Records answers the store holds (just committed, or read back after a loss). */
  answered(entries: KeyAnswer[]): Promise<void>
}

/**
 * Units of a general-admission event granted to one reservation attempt until its batch
 * commits (then confirmed: sold) or its TTL ends (then back on sale).
 */
export interface Admission {
  id: string
  /** Fencing token: strictly increasing per event. */
  token: number
  quantity: number
  /** Local-clock deadline after which the admission must not be committed. */
  validUntil: number
}

/** Thrown by the gate when the units are not there. */
export class NotAdmittedError extends Error {
  readonly code = 'E_NOT_ADMITTED'
  constructor(
    readonly requested: number,
    readonly available: number,
  ) {
    super(`requested ${requested}, ${available} available`)
  }
}

/** Thrown by the gate when it has no counter for the event (e.g. Redis lost its data). */
export class CapacityUnknownError extends Error {
  readonly code = 'E_CAPACITY_UNKNOWN'
}

/** The fast gate in front of the store (seat-lock capacity on Redis, or a pass-through). */
export interface AdmissionGate {
  readonly kind: string
  admit(req: { eventId: number; quantity: number; owner: string; ttlMs: number }): Promise<Admission>
  /** After the commit: the units stay taken. */
  confirm(admission: Admission): Promise<void>
  release(admission: Admission): Promise<void>
  /** A new event's capacity. */
  setCapacity(eventId: number, total: number): Promise<void>
  /** Units back on sale after a committed cancellation. */
  add(eventId: number, units: number): Promise<void>
  /** Free and admitted units, or null when the counter is missing. */
  state(eventId: number): Promise<{ available: number; admitted: number } | null>
  /** Rebuild from the store's committed availability. */
  rebuild(eventId: number, available: number): Promise<void>
}

/** Read-through cache of events (inventory-cache, or none in embedded mode). */
export interface EventCache {
  get(eventId: number, load: () => Promise<EventRecord | undefined>): Promise<EventRecord | undefined>
  /** After a commit: availableSeats += delta. */
  applyDelta(eventId: number, delta: number): Promise<void>
  invalidate(eventId: number): Promise<void>
}

/** The sales ports of one composition. */
export interface SalesPorts {
  store: SalesStore
  gate: AdmissionGate
  cache: EventCache
  /** Where reservations claim their keys, when not in the store. */
  claims?: KeyClaims
}
