import type { EventRecord, ReservationRecord } from './model.js'

/** The `data` of an event response, in the seed's field names. */
export function eventData(e: EventRecord) {
  return {
    eventId: e.eventId,
    eventName: e.eventName,
    totalSeats: e.totalSeats,
    availableSeats: e.availableSeats,
    eventDate: e.eventDate,
    price: e.price,
    venue: e.venue,
    maxTicketsPerUser: e.maxTicketsPerUser,
    // Only a queued event has the field: an unqueued one answers exactly as the seed's API.
    ...(e.queue ? { queue: e.queue } : {}),
  }
}

/** The `data` of a reservation response (also what an idempotent retry gets back). */
export function reservationData(
  r: Pick<ReservationRecord, 'reservationId' | 'eventId' | 'userId' | 'quantity' | 'reservationTime'>,
) {
  return {
    reservationId: r.reservationId,
    eventId: r.eventId,
    userId: r.userId,
    quantity: r.quantity,
    reservationTime: r.reservationTime,
  }
}

/** A reservation as GET /api/reservations/:id and the user list show it. */
export function reservationDetail(r: ReservationRecord) {
  return {
    reservationId: r.reservationId,
    eventId: r.eventId,
    eventName: r.eventName,
    userId: r.userId,
    quantity: r.quantity,
    status: r.status,
    reservationTime: r.reservationTime,
    cancelledAt: r.cancelledAt,
  }
}
