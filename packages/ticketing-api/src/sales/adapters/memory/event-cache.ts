import type { EventCache } from '../../ports.js'

/** Embedded reads go straight to the memory store: a cache in front of a Map buys nothing. */
export function createNoEventCache(): EventCache {
  return {
    get: (_id, load) => load(),
    async applyDelta() {},
    async invalidate() {},
  }
}
