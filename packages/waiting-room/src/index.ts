export { type BoardPlace, placeOnBoard, type ServingBoard } from './board.js'
export {
  EventNotFoundError,
  InvalidArgumentError,
  InvalidOptionsError,
  QueueNotOpenError,
  SoldOutError,
  TokenExpiredError,
  TokenInvalidError,
  TokenMissingError,
  TokenWrongEventError,
  TokenWrongVisitorError,
  TurnNotHeldError,
  WaitingRoomClosedError,
  WaitingRoomError,
} from './errors.js'
export { createMemoryQueueStore } from './memory-store.js'
export type { AdmissionOptions, EventOptions, HealthOptions, WaitingRoomOptions } from './options.js'
export { createRedisQueueStore, type RedisQueueStoreOptions } from './redis-store.js'
export { SCRIPTS } from './scripts.js'
export { createShuffler, type Shuffler } from './shuffle.js'
export type {
  Adjustment,
  ClaimResult,
  EventSettings,
  EventState,
  JoinResult,
  QueueStore,
  TickResult,
  TurnState,
} from './store.js'
export type { AdmissionClaims, QueueClaims } from './tokens.js'
export {
  createWaitingRoom,
  type HealthSample,
  type JoinResponse,
  type WaiterStatus,
  type WaitingRoom,
  type WaitingRoomEvents,
} from './waiting-room.js'
