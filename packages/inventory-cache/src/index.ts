export type { BreakerState } from './breaker.js'
export {
  CacheClosedError,
  CircuitOpenError,
  DecodeError,
  InvalidArgumentError,
  InvalidationFailedError,
  InvalidOptionsError,
  InventoryCacheError,
  RedisCommandError,
  RedisTimeoutError,
} from './errors.js'
export type { InventoryCacheEvents } from './events.js'
export { createInventoryCache } from './inventory-cache.js'
export type { ApplyDeltaOptions, GetManyOptions, GetOptions, InventoryCacheOptions } from './options.js'
export {
  DELTA_SCRIPT,
  FILL_SCRIPT,
  INVALIDATE_SCRIPT,
  LEASE_SCRIPT,
  RELEASE_SCRIPT,
} from './scripts.js'
export type { InventoryCache } from './types.js'
