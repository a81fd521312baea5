import type { EventEmitter } from 'node:events'
import type { BreakerState } from './breaker.js'
import type { InventoryCacheEvents } from './events.js'
import type { ApplyDeltaOptions, GetManyOptions, GetOptions } from './options.js'

/** The read-through inventory cache. Create it with {@link createInventoryCache}. */
export interface InventoryCache extends EventEmitter<InventoryCacheEvents> {
  /**
   * Read-through. `loader` returns `undefined` for "not found" (negatively cached). The value
   * returned is a deep-frozen JSON copy of what the loader returned (the same on every path).
   * Single-flight within the process and, through a Redis lease, across processes.
   */
  getOrLoad<T extends object>(
    key: string,
    loader: () => Promise<T | undefined>,
    options?: GetOptions,
  ): Promise<T | undefined>
  /**
   * Batch read-through: one loader call for all keys missing from L1 and L2 (keys already being
   * loaded by another call are joined, not loaded twice). Keys absent from the loader's map are
   * negatively cached and absent from the result.
   */
  getMany<T extends object>(
    keys: string[],
    loader: (missing: string[]) => Promise<Map<string, T>>,
    options?: GetManyOptions,
  ): Promise<Map<string, T>>
  /**
   * Writer side, AFTER the DB commit: bump the version and drop the value (one Lua call, which
   * also publishes the L1 invalidation). Never rejects for Redis failures: they are emitted
   * (E_INVALIDATION_FAILED) and the invalidation is replayed when Redis is back.
   */
  invalidate(key: string): Promise<void>
  /**
   * Apply a committed counter delta in place (HINCRBY + version bump, atomically), e.g.
   * availableSeats −2 after a reservation commits. Returns false, without creating anything,
   * when the key is not cached (or cannot be patched: it is then invalidated instead).
   */
  applyDelta(key: string, field: string, delta: number, options?: ApplyDeltaOptions): Promise<boolean>
  /** Resolves once the pub/sub subscription is active (immediately without a subscriber). */
  whenReady(): Promise<void>
  /** Current circuit-breaker state ('closed' when there is no Redis). */
  readonly breakerState: BreakerState
  /** Unsubscribes and waits for in-flight loads; does NOT quit clients it was handed. */
  close(): Promise<void>
}
