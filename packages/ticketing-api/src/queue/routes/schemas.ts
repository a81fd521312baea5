// Request and response schemas of the waiting room's routes, and the `queue` of an event.
import { Type } from '@sinclair/typebox'
import { component, Nullable, UserId } from '../../http/schemas.js'
import { QUEUE_DEFAULTS } from '../model.js'

const DateTime = (description: string) => Type.String({ format: 'date-time', description })

/** `queue` of POST /api/events (admin only). */
export const QueueInput = component(
  'QueueSettingsRequest',
  Type.Object(
    {
      opensAt: DateTime('joining opens (ISO-8601 with a zone)'),
      startsAt: DateTime('the sale starts: earlier joiners are shuffled then, later ones queue FIFO'),
      maxActiveBuyers: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 1_000_000,
          default: QUEUE_DEFAULTS.maxActiveBuyers,
          description: 'most buyers holding a turn at once',
        }),
      ),
      admitPerMinute: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 1_000_000,
          default: QUEUE_DEFAULTS.admitPerMinute,
          description: 'most admissions per minute',
        }),
      ),
      turnSeconds: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 86_400,
          default: QUEUE_DEFAULTS.turnSeconds,
          description: 'time an admitted buyer has to buy',
        }),
      ),
    },
    { additionalProperties: false },
  ),
)

/** `queue` of an event's answer (only a queued event has it). */
export const QueueSettingsData = component(
  'QueueSettings',
  Type.Object({
    opensAt: Type.String(),
    startsAt: Type.String(),
    maxActiveBuyers: Type.Integer(),
    admitPerMinute: Type.Integer(),
    turnSeconds: Type.Integer(),
  }),
)

export const QueueStatusData = component(
  'QueueStatus',
  Type.Object({
    ticket: Type.String({ description: 'signed queue ticket: send it back as Queue-Ticket or ?ticket=' }),
    index: Type.Integer({ description: 'join index: place yourself on the board with it' }),
    status: Type.Union(
      ['pre_queue', 'waiting', 'admitted', 'sold_out', 'turn_expired', 'completed', 'left'].map((s) =>
        Type.Literal(s),
      ),
    ),
    position: Nullable(Type.Integer({ description: '1 = next; null unless waiting' })),
    estimatedWaitSeconds: Nullable(Type.Integer()),
    admissionToken: Type.Optional(Type.String({ description: 'when admitted: send as Admission-Token' })),
    expiresAt: Type.Optional(Type.String({ description: 'when admitted: end of the turn' })),
    pollAfterSeconds: Type.Integer(),
    startsAt: Type.Optional(Type.String({ description: 'pre_queue: when the order is drawn' })),
    paused: Type.Optional(Type.Boolean()),
    inventoryHeld: Type.Optional(Type.Boolean()),
  }),
)

export const QueueBoardData = component(
  'QueueBoard',
  Type.Object({
    eventId: Type.String(),
    status: Type.Union(['pre_queue', 'open', 'paused', 'sold_out'].map((s) => Type.Literal(s))),
    startsAt: Type.Integer({ description: 'the sale’s start, epoch ms' }),
    preCount: Nullable(Type.Integer({ description: 'pre-queue size, once the sale has started' })),
    shuffleKeys: Nullable(Type.String({ description: 'the pre-queue draw’s keys, once started' })),
    served: Type.Integer({ description: 'tickets below this have had their turn' }),
    admitPerMinute: Type.Number({ description: 'admission pace the estimates assume' }),
    pollMs: Type.Object(
      { base: Type.Integer(), max: Type.Integer(), startSpread: Type.Integer() },
      { description: 'read intervals: base, ceiling, the pre-queue’s return spread after the start' },
    ),
    at: Type.Integer({ description: 'when the board was drawn, epoch ms' }),
  }),
)

export const TicketHeaders = Type.Object({
  'queue-ticket': Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
})

export const TicketQuery = Type.Object(
  { ticket: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })) },
  { additionalProperties: false },
)

/** AUTH_MODE=none only: who joins (with JWT the token's `sub` is the visitor). */
export const JoinBody = Type.Union([
  Type.Object({ userId: Type.Optional(UserId) }, { additionalProperties: false }),
  Type.Null(),
])

export const JoinQuery = Type.Object({ userId: Type.Optional(UserId) }, { additionalProperties: false })

export const AdmissionHeaders = Type.Object({
  'admission-token': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'queued events only: the token of the buyer admitted by the waiting room',
    }),
  ),
})
