import type { SeatMapCache } from '../../ports.js'

/** Embedded seat maps are computed from maps in the same process: nothing to cache. */
export function createNoSnapshotCache(): SeatMapCache {
  return { get: (_eventId, load) => load(), async invalidate() {} }
}
