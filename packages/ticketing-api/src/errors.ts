// The one place where failures become HTTP statuses and envelope error codes.

/** Every code the API answers with; the README's error table lists the same. */
export const ErrorCodes = {
  E_VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  EVENT_NOT_FOUND: 404,
  RESERVATION_NOT_FOUND: 404,
  NOT_FOUND: 404,
  SOLD_OUT: 409,
  INSUFFICIENT_SEATS: 409,
  ALREADY_CANCELLED: 409,
  TICKET_LIMIT_EXCEEDED: 409,
  // Reserved seating (src/seating, README "Reserved seating").
  HOLD_NOT_FOUND: 404,
  SEATS_UNAVAILABLE: 409,
  HOLD_EXPIRED: 409,
  STALE_HOLD: 409,
  HOLD_CONFIRMED: 409,
  NOT_SEATED: 409,
  SEATED_EVENT: 409,
  // Waiting room (src/queue, README "Waiting room").
  QUEUE_REQUIRED: 403,
  ADMISSION_EXPIRED: 403,
  QUEUE_NOT_FOUND: 404,
  QUEUE_NOT_OPEN: 425,
  REQUEST_TIMEOUT: 408,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  HEADERS_TOO_LARGE: 431,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const

export type ErrorCode = keyof typeof ErrorCodes

/** A failure the API reports to the client: a stable code, a status, and details for `error`. */
export class ApiError extends Error {
  readonly statusCode: number
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** Seconds, sent as Retry-After (503, 429). */
    readonly retryAfter?: number,
  ) {
    super(message)
    this.name = 'ApiError'
    this.statusCode = ErrorCodes[code]
  }
}

export const validationError = (field: string, message: string) =>
  new ApiError('E_VALIDATION', `${field}: ${message}`, { field })

export const unavailable = (what: string, retryAfter = 1, cause?: unknown) => {
  const e = new ApiError('SERVICE_UNAVAILABLE', `${what} is unavailable, retry shortly`, {}, retryAfter)
  if (cause) (e as { cause?: unknown }).cause = cause
  return e
}

/** Why a cancel changed nothing: an unknown id (404), or cancelled before (409, no seats back). */
export function cancelRefused(reservationId: string, code: 'RESERVATION_NOT_FOUND' | 'ALREADY_CANCELLED') {
  return code === 'RESERVATION_NOT_FOUND'
    ? new ApiError('RESERVATION_NOT_FOUND', `Reservation ${reservationId} not found`)
    : new ApiError('ALREADY_CANCELLED', 'This reservation was already cancelled; no seats were returned', {
        reservationId,
      })
}

/**
 * A buyer would exceed the per-user limit: the one shape of TICKET_LIMIT_EXCEEDED, whichever
 * path refused (a general-admission sale, a seat hold, a hold's confirmation).
 */
export const ticketLimitExceeded = (
  limit: number,
  counts: { alreadyReserved: number; alreadyHeld: number },
) =>
  new ApiError('TICKET_LIMIT_EXCEEDED', `At most ${limit} tickets per user for this event`, {
    limit,
    ...counts,
  })

export const eventNotFound = (eventId: number | string) =>
  new ApiError('EVENT_NOT_FOUND', `Event ${eventId} not found`)

/** Answer for "not enough units": SOLD_OUT when none are left, else INSUFFICIENT_SEATS. */
export function notEnoughSeats(requested: number, available: number): ApiError {
  return available <= 0
    ? new ApiError('SOLD_OUT', 'Sold out', { requested, availableSeats: 0 })
    : new ApiError('INSUFFICIENT_SEATS', `Only ${available} seats remaining`, {
        requested,
        availableSeats: available,
      })
}

/**
 * A waiting-room failure (@ticketing/waiting-room's codes) on a protected route of a queued
 * event: no valid admission token → 403 QUEUE_REQUIRED (`reason` says which check failed), a
 * turn that ended → 403 ADMISSION_EXPIRED. Anything else goes through toApiError.
 */
export function admissionError(err: unknown, eventId: number): ApiError {
  const code = (err as { code?: string } | undefined)?.code
  switch (code) {
    case 'E_TOKEN_MISSING':
    case 'E_TOKEN_INVALID':
    case 'E_TOKEN_WRONG_EVENT':
    case 'E_TOKEN_WRONG_VISITOR':
      return new ApiError(
        'QUEUE_REQUIRED',
        code === 'E_TOKEN_MISSING'
          ? `Event ${eventId} sells through its waiting room: join it, then send the Admission-Token`
          : 'The Admission-Token is not valid for this event and buyer: join the waiting room',
        { eventId, reason: REASONS[code] },
      )
    case 'E_TOKEN_EXPIRED':
    case 'E_TURN_NOT_HELD':
      return new ApiError('ADMISSION_EXPIRED', 'Your turn has ended: join the waiting room again', {
        eventId,
        reason: code === 'E_TOKEN_EXPIRED' ? 'expired' : 'turn_ended',
      })
  }
  return toApiError(err)
}

const REASONS: Record<string, string> = {
  E_TOKEN_MISSING: 'missing',
  E_TOKEN_INVALID: 'invalid',
  E_TOKEN_WRONG_EVENT: 'other_event',
  E_TOKEN_WRONG_VISITOR: 'other_visitor',
}

/**
 * A waiting-room failure on the queue's own routes (join, poll, leave, stream): a missing,
 * forged, expired or other event's queue ticket is an unknown ticket (404 QUEUE_NOT_FOUND: join
 * again for a fresh one, same place), another buyer's is 403.
 */
export function queueError(err: unknown, eventId: number): ApiError {
  const e = err as { code?: string; opensAt?: number } | undefined
  switch (e?.code) {
    case 'E_TOKEN_MISSING':
    case 'E_TOKEN_INVALID':
    case 'E_TOKEN_EXPIRED':
    case 'E_TOKEN_WRONG_EVENT':
      return new ApiError('QUEUE_NOT_FOUND', 'Unknown queue ticket for this event: join the queue', {
        eventId,
        reason: REASONS[e.code] ?? 'expired',
      })
    case 'E_TOKEN_WRONG_VISITOR':
      return new ApiError('FORBIDDEN', 'This queue ticket belongs to another buyer', { eventId })
    case 'E_QUEUE_NOT_OPEN':
      return new ApiError('QUEUE_NOT_OPEN', 'The waiting room is not open yet', {
        eventId,
        opensAt: new Date(e.opensAt ?? 0).toISOString(),
      })
    case 'E_SOLD_OUT':
      return new ApiError('SOLD_OUT', 'Sold out', { eventId, availableSeats: 0 })
    case 'E_EVENT_NOT_FOUND':
      return new ApiError('QUEUE_NOT_FOUND', `Event ${eventId} has no waiting room`, { eventId })
    case 'E_INVALID_ARGUMENT':
      return new ApiError('E_VALIDATION', `userId: ${(err as Error).message}`, { field: 'userId' })
  }
  return toApiError(err)
}

/** Connection-level failures of MySQL/Redis clients: the dependency is down, not the input. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  // The password rotated and the secret does not have the new one yet (a rotation's window
  // between changing the database and the secret): the pool re-reads it; meanwhile, retry.
  'ER_ACCESS_DENIED_ERROR',
  // A writer that turned read-only (failover) past the pool's retries.
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_READ_ONLY_MODE',
  'POOL_CLOSED',
  // seat-lock
  'E_QUORUM_FAILED',
  'E_HOLD_EXPIRED',
  // inventory-cache (circuit open, loader timeouts)
  'E_CIRCUIT_OPEN',
  'E_LOAD_TIMEOUT',
  // waiting-room (closed during shutdown)
  'E_CLOSED',
])

interface FastifyLikeError {
  code?: string
  statusCode?: number
  message?: string
  name?: string
  validation?: Array<{
    instancePath?: string
    params?: Record<string, unknown>
    message?: string
    keyword?: string
  }>
  validationContext?: string
}

/** Maps anything thrown inside a request to an ApiError. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err
  const e = (err ?? {}) as FastifyLikeError
  if (e.validation && e.validation.length > 0) {
    const v = e.validation[0]!
    const base = (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.')
    const extra =
      (v.params?.missingProperty as string | undefined) ??
      (v.params?.additionalProperty as string | undefined)
    const field = [base, extra].filter(Boolean).join('.') || e.validationContext || 'body'
    const why = v.keyword === 'additionalProperties' ? 'unknown field' : (v.message ?? 'is invalid')
    return new ApiError('E_VALIDATION', `${field}: ${why}`, { field, in: e.validationContext })
  }
  switch (e.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError('URI_TOO_LONG', 'A path parameter is longer than the router accepts')
    case 'FST_ERR_BAD_URL':
      return new ApiError('E_VALIDATION', 'url: malformed URL', { field: 'url' })
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('E_VALIDATION', 'body: request body is too large', { field: 'body' })
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('E_VALIDATION', 'body: a JSON body is required', { field: 'body' })
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('E_VALIDATION', 'body: malformed JSON', { field: 'body' })
    case 'FST_JWT_NO_AUTHORIZATION_IN_HEADER':
    case 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED':
    case 'FST_JWT_AUTHORIZATION_TOKEN_INVALID':
    case 'FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED':
    case 'FST_JWT_BAD_REQUEST':
    case 'FST_JWT_BAD_COOKIE_REQUEST':
    case 'FAST_JWT_INVALID_SIGNATURE':
      return new ApiError('UNAUTHORIZED', e.message ?? 'Unauthorized')
  }
  if (e.code && UNAVAILABLE_CODES.has(e.code)) return unavailable('a dependency', 1, err)
  if (
    e.name === 'MaxRetriesPerRequestError' ||
    // …and mysql2's for a pooled connection the server closed (KILL, a rotation cutting
    // sessions) just as it was handed out: nothing was sent.
    /Connection is closed|Pool is closed|Can't add new command when connection is in closed state/i.test(
      e.message ?? '',
    )
  ) {
    return unavailable('a dependency', 1, err)
  }
  if (e.name === 'SyntaxError' && e.statusCode === 400) {
    return new ApiError('E_VALIDATION', 'body: malformed JSON', { field: 'body' })
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 401) return new ApiError('UNAUTHORIZED', e.message ?? 'Unauthorized')
    if (e.statusCode === 403) return new ApiError('FORBIDDEN', e.message ?? 'Forbidden')
    if (e.statusCode === 404) return new ApiError('NOT_FOUND', e.message ?? 'Not found')
    if (e.statusCode === 429) return new ApiError('RATE_LIMITED', e.message ?? 'Too many requests')
    return new ApiError('E_VALIDATION', e.message ?? 'Bad request', { field: 'request' })
  }
  if (e.statusCode === 503) return unavailable('the service', 1, err)
  return new ApiError('INTERNAL_ERROR', 'Internal error')
}
