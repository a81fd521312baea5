export type { AutoExtendOptions, AutoExtension } from './auto-extend.js'
export {
  CapacityNotSetError,
  CrossSlotError,
  HoldExpiredError,
  InsufficientCapacityError,
  InvalidArgumentError,
  NotOwnerError,
  QuorumFailedError,
  ReplicationTimeoutError,
  SeatLockError,
  SeatsUnavailableError,
} from './errors.js'
export {
  assertFencingToken,
  FENCE_INSERT_SQL,
  FENCE_UPDATE_SQL,
  FENCING_TABLE_SQL,
  fencedWrite,
  type SqlExecutor,
  StaleTokenError,
} from './fencing.js'
export type { CapacityState, Hold } from './hold.js'
export type { RetryOptions, SeatLockOptions } from './options.js'
export { type CapacityApi, createSeatLock, SeatLock, type SeatLockEvents } from './seat-lock.js'
