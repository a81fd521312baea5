import { type Static, type TSchema, type TUnsafe, Type } from '@sinclair/typebox'
import { type ErrorCode, ErrorCodes } from '../errors.js'

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

/** Named schemas, registered once per app (http/openapi.ts) and shown under components.schemas. */
export const components: TSchema[] = []

/**
 * Names `schema` `id`: routes refer to it (`$ref`), so the OpenAPI document has one named
 * component per shape, and a generated client one type.
 */
export function component<T extends TSchema>(id: string, schema: T): TUnsafe<Static<T>> {
  components.push({ ...schema, $id: id })
  return Type.Unsafe<Static<T>>(Type.Ref(id))
}

/** The error envelope of `codes`, one response per status, each listing its codes. */
export function errors(...codes: ErrorCode[]) {
  const all = [...new Set<ErrorCode>([...codes, ...COMMON_ERRORS])]
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of all) byStatus.set(ErrorCodes[code], [...(byStatus.get(ErrorCodes[code]) ?? []), code])
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      Type.Object(
        {
          success: Type.Literal(false),
          message: Type.String(),
          error: Type.Object(
            {
              code: list.length === 1 ? Type.Literal(list[0]!) : Type.Union(list.map((c) => Type.Literal(c))),
            },
            { additionalProperties: true },
          ),
        },
        { description: `Error: ${list.join(', ')} (see the README's error table)` },
      ),
    ]),
  )
}

/** What any route may answer: bad input, over its rate limit, a bug, a dependency down. */
const COMMON_ERRORS: ErrorCode[] = ['E_VALIDATION', 'RATE_LIMITED', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE']

/** `{success, message, data}` around a data schema, with its description. */
export function ok<T extends TSchema>(description: string, data: T, extra: Record<string, TSchema> = {}) {
  return Type.Object({ success: Type.Literal(true), message: Type.String(), data, ...extra }, { description })
}
