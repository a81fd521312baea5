/**
 * One error class per failure, each with a stable `code` the service can map to a status
 * without parsing messages. All extend {@link SeatLockError}.
 */
export class SeatLockError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** A bad argument or option, rejected before any Redis call. */
export class InvalidArgumentError extends SeatLockError {
  constructor(message: string) {
    super('E_INVALID_ARGUMENT', message)
  }
}

/** Some of the requested seats are held or sold. `seats` lists exactly the taken ones. */
export class SeatsUnavailableError extends SeatLockError {
  readonly eventId: string
  readonly seats: readonly string[]
  constructor(eventId: string, seats: readonly string[]) {
    super('E_SEATS_UNAVAILABLE', `seats unavailable for event ${eventId}: ${seats.join(', ')}`)
    this.eventId = eventId
    this.seats = seats
  }
}

/** Fewer general-admission units are free than requested. `available === 0` means sold out. */
export class InsufficientCapacityError extends SeatLockError {
  readonly eventId: string
  readonly requested: number
  readonly available: number
  constructor(eventId: string, requested: number, available: number) {
    super(
      'E_INSUFFICIENT_CAPACITY',
      `event ${eventId}: requested ${requested} unit(s), ${available} available`,
    )
    this.eventId = eventId
    this.requested = requested
    this.available = available
  }
}

/** The event has no capacity in Redis (never set, or Redis lost its data): call `capacity.set/rebuild`. */
export class CapacityNotSetError extends SeatLockError {
  readonly eventId: string
  constructor(eventId: string) {
    super('E_CAPACITY_NOT_SET', `event ${eventId} has no capacity in Redis`)
    this.eventId = eventId
  }
}

/** The hold is gone (expired, released, or never existed). */
export class HoldExpiredError extends SeatLockError {
  readonly holdId: string
  constructor(holdId: string) {
    super('E_HOLD_EXPIRED', `hold ${holdId} has expired or was released`)
    this.holdId = holdId
  }
}

/** The caller named an owner that is not the hold's owner. */
export class NotOwnerError extends SeatLockError {
  readonly holdId: string
  constructor(holdId: string) {
    super('E_NOT_OWNER', `hold ${holdId} belongs to another owner`)
    this.holdId = holdId
  }
}

/** Too few quorum nodes answered (down or unreachable) to reach a majority either way. */
export class QuorumFailedError extends SeatLockError {
  readonly granted: number
  readonly required: number
  readonly failed: number
  constructor(granted: number, required: number, failed: number, cause?: unknown) {
    super(
      'E_QUORUM_FAILED',
      `quorum not reached: ${granted} node(s) granted, ${required} required, ${failed} unreachable`,
      { cause },
    )
    this.granted = granted
    this.required = required
    this.failed = failed
  }
}

/** Keys of one call would span several Redis Cluster slots (refused before any write). */
export class CrossSlotError extends SeatLockError {
  readonly keys: readonly string[]
  constructor(keys: readonly string[]) {
    super('E_CROSS_SLOT', `keys span several cluster slots: ${keys.slice(0, 4).join(', ')}`)
    this.keys = keys
  }
}

/** `WAIT` returned fewer replica acknowledgements than `waitForReplicas.replicas` in time. */
export class ReplicationTimeoutError extends SeatLockError {
  readonly acknowledged: number
  readonly required: number
  constructor(acknowledged: number, required: number) {
    super('E_REPLICATION_TIMEOUT', `${acknowledged} replica(s) acknowledged, ${required} required`)
    this.acknowledged = acknowledged
    this.required = required
  }
}
