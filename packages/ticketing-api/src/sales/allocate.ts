// The batch pipeline, once for every store: lost claims → per-user limits → seats → outcomes.
// Both stores run it inside their atomic section (the memory store's synchronous turn, MySQL's
// locked event row), on what they read there, so the answer is exact.
import type { CommitOutcome, EventRecord, PendingReservation, ReservationRecord } from './model.js'

export interface BatchInput {
  eventId: number
  /** The event as read inside the atomic section; undefined when it does not exist. */
  event: Pick<EventRecord, 'eventName' | 'availableSeats'> | undefined
  /** The batch, in arrival order. */
  batch: readonly PendingReservation[]
  /** Positions whose Idempotency-Key claim was taken over (their retry answers instead). */
  lost: ReadonlySet<number>
  /** Tickets each limited buyer already has for the event (CONFIRMED reservations). */
  reserved: ReadonlyMap<string, number>
}

export interface BatchDecision {
  /** One outcome per item of the batch, in order. */
  outcomes: CommitOutcome[]
  /** The accepted items with the rows to write. */
  accepted: Array<{ pending: PendingReservation; reservation: ReservationRecord }>
  /** Seats the accepted items take. */
  taken: number
}

/** The buyers of a batch whose tickets count against a per-user limit (the store reads theirs). */
export const limitedBuyers = (batch: readonly PendingReservation[]) => [
  ...new Set(batch.filter((r) => r.limit !== null).map((r) => r.userId)),
]

/**
 * Decides, in arrival order, which reservations of one batch fit: a lost claim is dropped, a
 * buyer over their per-user limit is refused, and so is a request larger than what is left
 * after the earlier ones.
 */
export function decideBatch({ eventId, event, batch, lost, reserved }: BatchInput): BatchDecision {
  if (!event)
    return { outcomes: batch.map(() => ({ ok: false, code: 'EVENT_NOT_FOUND' })), accepted: [], taken: 0 }
  const counted = new Map(reserved)
  const accepted: BatchDecision['accepted'] = []
  let left = event.availableSeats
  const outcomes = batch.map((p, i): CommitOutcome => {
    if (lost.has(i)) return { ok: false, code: 'IDEMPOTENCY_CLAIM_LOST' }
    const already = counted.get(p.userId) ?? 0
    if (p.limit !== null && already + p.quantity > p.limit) {
      return { ok: false, code: 'TICKET_LIMIT_EXCEEDED', limit: p.limit, alreadyReserved: already }
    }
    if (p.quantity > left) return { ok: false, code: 'INSUFFICIENT_SEATS', available: left }
    left -= p.quantity
    counted.set(p.userId, already + p.quantity)
    const reservation: ReservationRecord = {
      reservationId: p.reservationId,
      eventId,
      eventName: event.eventName,
      userId: p.userId,
      quantity: p.quantity,
      status: 'CONFIRMED',
      reservationTime: p.reservationTime.toISOString(),
      cancelledAt: null,
    }
    accepted.push({ pending: p, reservation })
    return { ok: true, reservation }
  })
  return { outcomes, accepted, taken: event.availableSeats - left }
}
