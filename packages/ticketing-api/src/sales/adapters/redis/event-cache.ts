import type { InventoryCache } from '@ticketing/inventory-cache'
import type { EventRecord } from '../../model.js'
import type { EventCache } from '../../ports.js'

/**
 * Events through @ticketing/inventory-cache (L1 in process + L2 Redis, pub/sub invalidation).
 * Writers move `availableSeats` in place after each commit instead of dropping the entry.
 */
export function createInventoryEventCache(cache: InventoryCache): EventCache {
  const key = (eventId: number) => `event:${eventId}`
  return {
    async get(eventId, load) {
      // The cache's own frozen object, not a copy: one object per cached version, which is what
      // lets GET /api/events/:id serialize each version once (sales/routes/events.ts).
      return cache.getOrLoad<EventRecord>(key(eventId), load)
    },
    async applyDelta(eventId, delta) {
      await cache.applyDelta(key(eventId), 'availableSeats', delta)
    },
    async invalidate(eventId) {
      await cache.invalidate(key(eventId))
    },
  }
}
