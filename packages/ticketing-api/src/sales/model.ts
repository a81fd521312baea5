// The sales vocabulary (README "Architecture"): events, admissions, reservations, and the
// Idempotency-Key records that make a retried POST answer once. Plain data and pure functions,
// no I/O: every layer of the feature (steps, ports, adapters) may import it.
import type { QueueSettings } from '../queue/model.js'

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
  /** The on-sale's waiting room (set at creation, admin only); absent for an unqueued event. */
  queue?: QueueSettings
}

export interface NewEvent {
  eventName: string
  totalSeats: number
  eventDate: string
  price?: number
  venue?: string
  maxTicketsPerUser?: number
  queue?: QueueSettings
}

/** A new event's record: every seat on sale, optional fields null. */
export function eventRecord(eventId: number, input: NewEvent): EventRecord {
  return {
    eventId,
    eventName: input.eventName,
    totalSeats: input.totalSeats,
    availableSeats: input.totalSeats,
    eventDate: input.eventDate,
    price: input.price ?? null,
    venue: input.venue ?? null,
    maxTicketsPerUser: input.maxTicketsPerUser ?? null,
    ...(input.queue ? { queue: input.queue } : {}),
  }
}

/** A committed sale (general admission or seated): CONFIRMED until cancelled. */
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

/** The stored first answer to an idempotent request. */
export interface StoredResponse {
  statusCode: number
  data: unknown
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

export type IdempotencyClaim =
  | { state: 'claimed'; claimId: string; claimedIn?: 'redis' }
  | { state: 'pending'; hash: string }
  | { state: 'done'; hash: string; response: StoredResponse }

/** What a key's record says when someone else holds it. */
export type ClaimRecord = Exclude<IdempotencyClaim, { state: 'claimed' }>

/** An answer to store for a key, and the key. */
export interface KeyAnswer {
  ref: IdempotencyRef
  response: StoredResponse
}

/**
 * One admitted reservation waiting for its batch to commit. Everything the row and its answer
 * need is decided before the commit (id, time, the answer a retry replays), so the store only
 * decides whether it fits.
 */
export interface PendingReservation {
  reservationId: string
  userId: string
  quantity: number
  /** The admission's id: unique in the DB (one admission, one sale); token for audit. */
  admissionId: string
  token: number
  /** Effective per-user limit for this event (sales/limits.ts), or null for none. */
  limit: number | null
  reservationTime: Date
  /** With its key: the key, and the answer stored with the sale for retries to replay. */
  idempotency?: KeyAnswer
}

/** Why a reservation of a batch was refused (or not committed). */
export type Refusal =
  | { ok: false; code: 'INSUFFICIENT_SEATS'; available: number }
  | { ok: false; code: 'TICKET_LIMIT_EXCEEDED'; limit: number; alreadyReserved: number }
  | { ok: false; code: 'EVENT_NOT_FOUND' }
  | { ok: false; code: 'IDEMPOTENCY_CLAIM_LOST' }

export type CommitOutcome = { ok: true; reservation: ReservationRecord } | Refusal

export type CancelOutcome =
  | { ok: true; reservation: ReservationRecord }
  | { ok: false; code: 'RESERVATION_NOT_FOUND' }
  | { ok: false; code: 'ALREADY_CANCELLED'; reservation: ReservationRecord }

/** The request's claim on its Idempotency-Key was taken over by a retry: the retry answers. */
export class IdempotencyClaimLostError extends Error {
  readonly code = 'E_IDEMPOTENCY_CLAIM_LOST'
  constructor() {
    super('this request lost its Idempotency-Key claim to a retry')
    this.name = 'IdempotencyClaimLostError'
  }
}
