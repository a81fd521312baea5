import type { Admission, Backend, EventCache } from '../ports/index.js'
import { createMemoryStore } from './memory-store.js'

/**
 * Embedded admission: lets every request through to the memory store, whose commit is atomic
 * and answers sold-out itself. A separate counter would only duplicate the store in one process.
 */
function createPassThroughAdmission(): Admission {
  let token = 0
  return {
    kind: 'pass-through',
    async hold({ quantity, ttlMs }) {
      token++
      return { id: `h${token}`, token, quantity, validUntil: Date.now() + ttlMs }
    },
    async confirm() {},
    async release() {},
    async setCapacity() {},
    async add() {},
    async state() {
      return { available: 0, held: 0 }
    },
    async rebuild() {},
    async ping() {},
    async close() {},
  }
}

/** Embedded reads go straight to the memory store: a cache in front of a Map buys nothing. */
const noCache: EventCache = {
  get: (_id, load) => load(),
  async applyDelta() {},
  async invalidate() {},
  async close() {},
}

/** The single-process, in-memory composition (`npm start` without DATABASE_URL/REDIS_URL). */
export function createEmbeddedBackend(): Backend {
  const store = createMemoryStore()
  return {
    mode: 'embedded',
    store,
    admission: createPassThroughAdmission(),
    cache: noCache,
    async health() {
      return { database: true, redis: true }
    },
    async close() {},
  }
}

export { createMemoryStore } from './memory-store.js'
