import type { InventoryCache } from '@ticketing/inventory-cache'
import type { SeatSnapshot } from '../../model.js'
import type { SeatMapCache } from '../../ports.js'

/** L2 freshness of a seat snapshot fill. */
const FILL_TTL_MS = 1_000
/** The most a read accepts past that, and the oldest process-local (L1) copy it takes. */
const READ_MAX_STALE_MS = 500

/**
 * The longest a seat map can lag a change: a fill's freshness, plus what a read accepts past it,
 * plus the age of a process-local copy. Every change invalidates the snapshot at once
 * (seating/changes.ts); this bound is the net for an invalidation lost on the way.
 */
export const SNAPSHOT_MAX_STALE_MS = FILL_TTL_MS + 2 * READ_MAX_STALE_MS

/**
 * Seat snapshots through the composition's one inventory cache (shared with events, under
 * their own keys), with per-call freshness tighter than the events'.
 */
export function createSnapshotCache(cache: InventoryCache): SeatMapCache {
  const key = (eventId: number) => `seats:${eventId}`
  return {
    async get(eventId, load) {
      return (await cache.getOrLoad<SeatSnapshot>(key(eventId), load, {
        ttlMs: FILL_TTL_MS,
        maxStaleMs: READ_MAX_STALE_MS,
      })) as SeatSnapshot
    },
    invalidate: (eventId) => cache.invalidate(key(eventId)),
  }
}
