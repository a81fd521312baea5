/**
 * Every failure of the waiting room has its own class and a stable `code`, so the service maps
 * codes to HTTP statuses in one place and never matches message text.
 */
export class WaitingRoomError extends Error {
  /** Stable machine-readable code, e.g. `E_TOKEN_EXPIRED`. */
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** An option of `createWaitingRoom`, `createRedisQueueStore` or `openEvent` is invalid. */
export class InvalidOptionsError extends WaitingRoomError {
  constructor(message: string) {
    super('E_INVALID_OPTIONS', message)
  }
}

/** A call argument (event id, visitor id, count) is invalid. */
export class InvalidArgumentError extends WaitingRoomError {
  constructor(message: string) {
    super('E_INVALID_ARGUMENT', message)
  }
}

/** The event has no waiting room: `openEvent` was never called for it (or it was deleted). */
export class EventNotFoundError extends WaitingRoomError {
  readonly eventId: string
  constructor(eventId: string) {
    super('E_EVENT_NOT_FOUND', `event '${eventId}' has no waiting room`)
    this.eventId = eventId
  }
}

/** `join` before the event's `opensAt`. */
export class QueueNotOpenError extends WaitingRoomError {
  readonly eventId: string
  /** When joining becomes possible (epoch ms). */
  readonly opensAt: number
  constructor(eventId: string, opensAt: number) {
    super('E_QUEUE_NOT_OPEN', `the queue of event '${eventId}' opens at ${new Date(opensAt).toISOString()}`)
    this.eventId = eventId
    this.opensAt = opensAt
  }
}

/** `join` after the event sold out (remaining inventory reached 0, or `markSoldOut`). */
export class SoldOutError extends WaitingRoomError {
  readonly eventId: string
  constructor(eventId: string) {
    super('E_SOLD_OUT', `event '${eventId}' is sold out`)
    this.eventId = eventId
  }
}

/**
 * The protected route got no admission token. The API answers QUEUE_REQUIRED: the visitor must
 * go through the waiting room.
 */
export class TokenMissingError extends WaitingRoomError {
  constructor() {
    super('E_TOKEN_MISSING', 'no admission token: join the waiting room first')
  }
}

/**
 * The token is malformed, of the wrong kind, or its signature does not match any configured
 * secret (forged or tampered with). The API answers QUEUE_REQUIRED.
 */
export class TokenInvalidError extends WaitingRoomError {
  constructor(reason: string) {
    super('E_TOKEN_INVALID', `invalid token: ${reason}`)
  }
}

/** The admission token's turn is over (its `turnSeconds` passed). The API answers ADMISSION_EXPIRED. */
export class TokenExpiredError extends WaitingRoomError {
  /** When the turn ended (epoch ms). */
  readonly expiredAt: number
  constructor(expiredAt: number) {
    super('E_TOKEN_EXPIRED', `the turn ended at ${new Date(expiredAt).toISOString()}`)
    this.expiredAt = expiredAt
  }
}

/** A valid token, but for another event than the route's. The API answers QUEUE_REQUIRED. */
export class TokenWrongEventError extends WaitingRoomError {
  readonly expected: string
  readonly actual: string
  constructor(expected: string, actual: string) {
    super('E_TOKEN_WRONG_EVENT', `the token is for event '${actual}', not '${expected}'`)
    this.expected = expected
    this.actual = actual
  }
}

/** A valid token, but issued to another visitor (a shared or stolen token). */
export class TokenWrongVisitorError extends WaitingRoomError {
  constructor() {
    super('E_TOKEN_WRONG_VISITOR', 'the token was issued to another visitor')
  }
}

/**
 * The token is valid and unexpired, but the turn is no longer held in the store: it was
 * completed (the visitor already bought: one purchase per turn) or the visitor left.
 * Only `verifyTurn` checks this. The API answers ADMISSION_EXPIRED.
 */
export class TurnNotHeldError extends WaitingRoomError {
  readonly state: 'completed' | 'released'
  constructor(state: 'completed' | 'released') {
    super('E_TURN_NOT_HELD', `the turn is no longer held (${state})`)
    this.state = state
  }
}

/** The room was closed; it no longer serves calls. */
export class WaitingRoomClosedError extends WaitingRoomError {
  constructor() {
    super('E_CLOSED', 'the waiting room is closed')
  }
}
