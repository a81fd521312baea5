import type { InventoryCache } from '@ticketing/inventory-cache'
import type { EventCache, EventRecord } from '../ports/index.js'

/**
 * Events through @ticketing/inventory-cache (L1 in process + L2 Redis, pub/sub invalidation).
 * Writers move `availableSeats` in place after each commit instead of dropping the entry.
 */
export function createInventoryEventCache(cache: InventoryCache): EventCache {
  const key = (eventId: number) => `event:${eventId}`
  return {
    async get(eventId, load) {
      const e = await cache.getOrLoad<EventRecord>(key(eventId), load)
      return e && { ...e }
    },
    async applyDelta(eventId, delta) {
      await cache.applyDelta(key(eventId), 'availableSeats', delta)
    },
    async invalidate(eventId) {
      await cache.invalidate(key(eventId))
    },
    close: () => cache.close(),
  }
}
