import { type TSchema, Type } from '@sinclair/typebox'
import { SeatMapInput } from '../seating/layout.js'

/** ISO-8601 local date-time, as the seed sends it ("2024-12-31T19:00:00"); seconds/fraction optional. */
export const LOCAL_DATE_TIME =
  '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])T([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d{1,9})?)?$'

export const EventId = Type.String({ pattern: '^[1-9][0-9]{0,14}$', description: 'numeric event id' })
export const UserId = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.@:+-]+$' })
export const ReservationId = Type.String({ format: 'uuid', description: 'reservation id (uuid)' })

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$', description: 'retry-safe key' }),
  ),
})

export const CreateEventBody = Type.Object(
  {
    eventName: Type.String({ minLength: 1, maxLength: 200 }),
    /** Required for general admission; derived from `seatMap` when one is given. */
    totalSeats: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    eventDate: Type.String({ pattern: LOCAL_DATE_TIME, description: 'ISO local date-time, echoed as given' }),
    seatMap: Type.Optional(SeatMapInput),
    price: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000_000 })),
    venue: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    maxTicketsPerUser: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
)

export const ReservationBody = Type.Object(
  {
    eventId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    userId: UserId,
    quantity: Type.Integer({ minimum: 1, maximum: 100 }),
  },
  { additionalProperties: false },
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

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])

export const EventData = Type.Object({
  eventId: Type.Integer(),
  eventName: Type.String(),
  totalSeats: Type.Integer(),
  availableSeats: Type.Integer(),
  eventDate: Type.String(),
  price: Nullable(Type.Number()),
  venue: Nullable(Type.String()),
  maxTicketsPerUser: Nullable(Type.Integer()),
})

export const ReservationData = Type.Object({
  reservationId: Type.String(),
  eventId: Type.Integer(),
  userId: Type.String(),
  quantity: Type.Integer(),
  reservationTime: Type.String(),
})

export const ReservationDetail = Type.Object({
  reservationId: Type.String(),
  eventId: Type.Integer(),
  eventName: Type.String(),
  userId: Type.String(),
  quantity: Type.Integer(),
  status: Type.Union([Type.Literal('CONFIRMED'), Type.Literal('CANCELLED')]),
  reservationTime: Type.String(),
  cancelledAt: Nullable(Type.String()),
})

export const ErrorEnvelope = Type.Object({
  success: Type.Literal(false),
  message: Type.String(),
  error: Type.Object({ code: Type.String() }, { additionalProperties: true }),
})

/** `{success, message, data}` around a data schema, plus the error envelope for 4xx/5xx. */
export function envelope<T extends TSchema>(status: number, data: T, extra: Record<string, TSchema> = {}) {
  return {
    [status]: Type.Object({ success: Type.Literal(true), message: Type.String(), data, ...extra }),
    '4xx': ErrorEnvelope,
    '5xx': ErrorEnvelope,
  }
}
