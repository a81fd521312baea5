// Ports: what the routes and the on-sale service need from storage, admission and cache.
// Two compositions implement them: embedded (in memory) and production (MySQL + Redis).

/** An event as stored. `eventDate` is the ISO local date-time exactly as it was given. */
export interface EventRecord {
  eventId: number
  eventName: string
  totalSeats: number
  availableSeats: number
  eventDate: string
  price: number | null
  venue: string | null
  maxTicketsPerUser: number | null
}

export interface NewEvent {
  eventName: string
  totalSeats: number
  eventDate: string
  price?: number
  venue?: string
  maxTicketsPerUser?: number
}

export interface ReservationRecord {
  reservationId: string
  eventId: number
  eventName: string
  userId: string
  quantity: number
  status: 'CONFIRMED' | 'CANCELLED'
  /** ISO-8601 UTC. */
  reservationTime: string
  cancelledAt: string | null
}

/** Identifies a request that carries an Idempotency-Key. */
export interface IdempotencyRef {
  scope: 'reservation' | 'event'
  key: string
  /** sha256 of the canonical request (method, path, user, body). */
  hash: string
  /**
   * The fencing token of this request's claim on the key, set once it is claimed. A retry that
   * takes over a claim past its lease gets a new one, and the store refuses to commit under the
   * old one: one key, one sale, however slow the first request was (I4).
   */
  claimId?: string
  /** The event a reservation's key belongs to (stored with its answer). */
  eventId?: number
  /**
   * Where the claim was taken: 'redis' (production reservations) has no row until the sale
   * commits, so the sale's transaction treats any existing row as a lost claim.
   */
  claimedIn?: 'redis'
}

/** The request's claim on its Idempotency-Key was taken over by a retry: the retry answers. */
export class IdempotencyClaimLostError extends Error {
  constructor() {
    super('this request lost its Idempotency-Key claim to a retry')
    this.name = 'IdempotencyClaimLostError'
  }
}

/** The stored first answer to an idempotent request. */
export interface StoredResponse {
  statusCode: number
  data: unknown
}

export type IdempotencyClaim =
  | { state: 'claimed'; claimId: string; claimedIn?: 'redis' }
  | { state: 'pending'; hash: string }
  | { state: 'done'; hash: string; response: StoredResponse }

/** One admitted reservation waiting for its batch to commit. */
export interface PendingReservation {
  reservationId: string
  userId: string
  quantity: number
  /** The admission hold: its id is unique in the DB (one hold, one sale); token for audit. */
  holdId: string
  token: number
  /** Effective per-user limit for this event, or null for none. */
  limit: number | null
  reservationTime: Date
  idempotency?: IdempotencyRef
}

export type CommitOutcome =
  | { ok: true; reservation: ReservationRecord }
  | { ok: false; code: 'INSUFFICIENT_SEATS'; available: number }
  | { ok: false; code: 'TICKET_LIMIT_EXCEEDED'; limit: number; alreadyHeld: number }
  | { ok: false; code: 'EVENT_NOT_FOUND' }
  | { ok: false; code: 'IDEMPOTENCY_CLAIM_LOST' }

export type CancelOutcome =
  | { ok: true; reservation: ReservationRecord }
  | { ok: false; code: 'RESERVATION_NOT_FOUND' }
  | { ok: false; code: 'ALREADY_CANCELLED'; reservation: ReservationRecord }

/** The system of record (MySQL, or memory in embedded mode). */
export interface Store {
  ping(): Promise<void>
  /** Throws IdempotencyClaimLostError when `idempotency.claimId` no longer holds the key. */
  createEvent(input: NewEvent, idempotency?: IdempotencyRef): Promise<EventRecord>
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
   * accepted (row + seat decrement + idempotency answer) or refused, in order.
   */
  commitReservations(
    eventId: number,
    batch: PendingReservation[],
    /**
     * Work that must finish before COMMIT (confirming the admission holds); the store overlaps
     * it with its first round trip. If it rejects, nothing is committed.
     */
    beforeCommit?: Promise<unknown>,
  ): Promise<CommitOutcome[]>
  /** Conditional status change: exactly one caller ever gets `ok` for a reservation. */
  cancelReservation(reservationId: string): Promise<CancelOutcome>
  idempotency: {
    /** Claims the key (or reports who has it). A pending claim older than `leaseMs` is taken over. */
    claim(ref: IdempotencyRef, leaseMs: number): Promise<IdempotencyClaim>
    /**
     * Forgets a claim whose request failed without a stored answer (so a retry runs again);
     * only the claim `ref.claimId` names, never a retry's newer one.
     */
    release(ref: IdempotencyRef): Promise<void>
    get(
      ref: Pick<IdempotencyRef, 'scope' | 'key'>,
    ): Promise<Exclude<IdempotencyClaim, { state: 'claimed' }> | undefined>
  }
  close(): Promise<void>
}

/** Idempotency-Key claims kept outside the store; the answers are still committed with the sale. */
export interface IdempotencyClaims extends Pick<Store['idempotency'], 'claim' | 'get'> {
  /**
   * Forgets the claim `ref.claimId` names; false when the key is no longer that claim (answered
   * meanwhile, or restored from the store), and the caller must look its answer up.
   */
  release(ref: IdempotencyRef): Promise<boolean>
  /** Records answers just committed by the store, so that a replay needs no database read. */
  answered(entries: Array<{ ref: IdempotencyRef; response: StoredResponse }>): Promise<void>
  /** Records one answer found in the store (its copy here was lost). */
  remember(ref: IdempotencyRef, response: StoredResponse): Promise<void>
  /** Refills the claims of one event from the store's answers (after the claims were lost). */
  restore(eventId: number): Promise<void>
}

/** An admission ticket: units held for a buyer until the batch commits (or the TTL ends). */
export interface AdmissionHold {
  id: string
  token: number
  quantity: number
  /** Local-clock deadline after which the hold must not be committed. */
  validUntil: number
}

/** Thrown by admission when the units are not there. */
export class NotAdmittedError extends Error {
  readonly code = 'E_NOT_ADMITTED'
  constructor(
    readonly requested: number,
    readonly available: number,
  ) {
    super(`requested ${requested}, ${available} available`)
  }
}

/** Thrown by admission when it has no counter for the event (e.g. Redis lost its data). */
export class CapacityUnknownError extends Error {
  readonly code = 'E_CAPACITY_UNKNOWN'
}

/** The fast gate in front of the store (seat-lock capacity on Redis, or a pass-through). */
export interface Admission {
  readonly kind: string
  hold(req: { eventId: number; quantity: number; owner: string; ttlMs: number }): Promise<AdmissionHold>
  confirm(hold: AdmissionHold): Promise<void>
  release(hold: AdmissionHold): Promise<void>
  /** A new event's capacity. */
  setCapacity(eventId: number, total: number): Promise<void>
  /** Units back on sale after a committed cancellation. */
  add(eventId: number, units: number): Promise<void>
  /** Free and held units, or null when the counter is missing. */
  state(eventId: number): Promise<{ available: number; held: number } | null>
  /** Rebuild from the store's committed availability. */
  rebuild(eventId: number, available: number): Promise<void>
  ping(): Promise<void>
  close(): Promise<void>
}

/** Read-through cache of events (inventory-cache, or none in embedded mode). */
export interface EventCache {
  get(eventId: number, load: () => Promise<EventRecord | undefined>): Promise<EventRecord | undefined>
  /** After a commit: availableSeats += delta. */
  applyDelta(eventId: number, delta: number): Promise<void>
  invalidate(eventId: number): Promise<void>
  close(): Promise<void>
}

/** One composition of the ports. */
export interface Backend {
  mode: 'embedded' | 'production'
  store: Store
  admission: Admission
  cache: EventCache
  /**
   * Where reservations claim their Idempotency-Keys, when not in the store (production: Redis,
   * so that neither a sale nor a refusal spends a database statement on its key).
   */
  claims?: IdempotencyClaims
  /** Dependency status for /api/health. */
  health(): Promise<{ database: boolean; redis: boolean }>
  close(): Promise<void>
}
