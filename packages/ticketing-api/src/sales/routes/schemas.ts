// Request and response schemas of the sales routes (the seed's field names).
import { Type } from '@sinclair/typebox'
import { component, LOCAL_DATE_TIME, Nullable, UserId } from '../../http/schemas.js'
import { QueueInput, QueueSettingsData } from '../../queue/routes/schemas.js'
import { SeatMapInput } from '../../seating/layout.js'

export const CreateEventBody = component(
  'CreateEventRequest',
  Type.Object(
    {
      eventName: Type.String({ minLength: 1, maxLength: 200 }),
      /** Required for general admission; derived from `seatMap` when one is given. */
      totalSeats: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
      eventDate: Type.String({
        pattern: LOCAL_DATE_TIME,
        description: 'ISO local date-time, echoed as given',
      }),
      seatMap: Type.Optional(SeatMapInput),
      price: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000_000 })),
      venue: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      maxTicketsPerUser: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
      /** A waiting room in front of the sale (README "Waiting room"). */
      queue: Type.Optional(QueueInput),
    },
    { additionalProperties: false },
  ),
)

export const ReservationBody = component(
  'ReservationRequest',
  Type.Object(
    {
      eventId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
      userId: UserId,
      quantity: Type.Integer({ minimum: 1, maximum: 100 }),
    },
    { additionalProperties: false },
  ),
)

export const Pagination = Type.Object(
  {
    page: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$', description: 'page number, from 0' })),
    size: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,3}$', description: 'page size, 1–100 (default 20)' }),
    ),
  },
  { additionalProperties: false },
)

export const EventData = component(
  'Event',
  Type.Object({
    eventId: Type.Integer(),
    eventName: Type.String(),
    totalSeats: Type.Integer(),
    availableSeats: Type.Integer(),
    eventDate: Type.String(),
    price: Nullable(Type.Number()),
    venue: Nullable(Type.String()),
    maxTicketsPerUser: Nullable(Type.Integer()),
    /** Only on a queued event. */
    queue: Type.Optional(QueueSettingsData),
  }),
)

/** What POST /api/reservations answers (a seated confirmation adds its hold and seats). */
export const ReservationFields = Type.Object({
  reservationId: Type.String(),
  eventId: Type.Integer(),
  userId: Type.String(),
  quantity: Type.Integer(),
  reservationTime: Type.String(),
})

export const ReservationData = component('Reservation', ReservationFields)

export const ReservationDetail = component(
  'ReservationDetail',
  Type.Object({
    reservationId: Type.String(),
    eventId: Type.Integer(),
    eventName: Type.String(),
    userId: Type.String(),
    quantity: Type.Integer(),
    status: Type.Union([Type.Literal('CONFIRMED'), Type.Literal('CANCELLED')]),
    reservationTime: Type.String(),
    cancelledAt: Nullable(Type.String()),
  }),
)
