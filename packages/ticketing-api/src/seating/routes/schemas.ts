// Request and response schemas of the seating routes.
import { Type } from '@sinclair/typebox'
import { component, Nullable, UserId } from '../../http/schemas.js'
import { ReservationFields } from '../../sales/routes/schemas.js'

export const SeatId = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_:-]+$',
  description: 'seat id, e.g. C-12 or Floor:A-3',
})
export const HoldId = Type.String({
  pattern: '^[1-9][0-9]{0,14}\\.[A-Za-z0-9_-]{16}$',
  description: 'hold id (<eventId>.<random>)',
})
export const SeatStateSchema = Type.Union([
  Type.Literal('available'),
  Type.Literal('held'),
  Type.Literal('sold'),
])

export const HoldBody = component(
  'HoldRequest',
  Type.Object(
    {
      seats: Type.Array(SeatId, { minItems: 1, maxItems: 100 }),
      userId: UserId,
    },
    { additionalProperties: false },
  ),
)

export const HoldData = component(
  'Hold',
  Type.Object({
    holdId: Type.String(),
    eventId: Type.Integer(),
    userId: Type.String(),
    seats: Type.Array(Type.String()),
    expiresAt: Type.String({ description: 'ISO-8601 UTC; the seats return to sale then' }),
    ttlMs: Type.Integer(),
  }),
)

export const HoldDetail = component(
  'HoldDetail',
  Type.Object({
    holdId: Type.String(),
    eventId: Type.Integer(),
    userId: Type.String(),
    seats: Type.Array(Type.String()),
    expiresAt: Type.String(),
    status: Type.Union([Type.Literal('held'), Type.Literal('confirmed')]),
  }),
)

export const ReleaseData = component(
  'HoldRelease',
  Type.Object({
    holdId: Type.String(),
    eventId: Type.Integer(),
    seats: Type.Array(Type.String()),
    released: Type.Boolean(),
  }),
)

export const SeatedReservationData = component(
  'SeatedReservation',
  Type.Composite([
    ReservationFields,
    Type.Object({ holdId: Type.String(), seats: Type.Array(Type.String()) }),
  ]),
)

export const SeatMapData = component(
  'SeatMap',
  Type.Object({
    eventId: Type.Integer(),
    eventName: Type.String(),
    totalSeats: Type.Integer(),
    counts: Type.Object({ available: Type.Integer(), held: Type.Integer(), sold: Type.Integer() }),
    sections: Type.Array(
      Type.Object({
        name: Nullable(Type.String()),
        rows: Type.Array(
          Type.Object({
            name: Type.String(),
            seats: Type.Array(
              Type.Object({ id: Type.String(), label: Type.String(), state: SeatStateSchema }),
            ),
          }),
        ),
      }),
    ),
    asOf: Type.String({ description: 'when the seat states were read (ISO-8601)' }),
    maxStaleMs: Type.Integer({ description: 'the longest this map can lag a change' }),
    holdTtlMs: Type.Integer(),
    maxSeatsPerHold: Type.Integer(),
  }),
)
