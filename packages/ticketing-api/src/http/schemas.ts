import { type TSchema, Type } from '@sinclair/typebox'

// Schemas every feature's routes share: ids, the Idempotency-Key header and the envelope.

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

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()])

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
