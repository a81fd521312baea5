// Embedded mode (`npm start` without DATABASE_URL/REDIS_URL): every port in one process's memory.
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import { createMetrics } from '../infra/metrics/index.js'
import { createMemoryQueueStore } from '../queue/adapters/memory/queue-store.js'
import { createMemoryGate } from '../sales/adapters/memory/admission.js'
import { createNoEventCache } from '../sales/adapters/memory/event-cache.js'
import { createMemorySalesStore } from '../sales/adapters/memory/store.js'
import { createMemoryBus } from '../seating/adapters/memory/bus.js'
import { createMemoryIndex } from '../seating/adapters/memory/hold-index.js'
import { createMemoryLocker } from '../seating/adapters/memory/locker.js'
import { createNoSnapshotCache } from '../seating/adapters/memory/snapshot-cache.js'
import { createMemorySeatingStore } from '../seating/adapters/memory/store.js'
import { type Composition, composeFeatures, type Ports, type WrapPorts } from './composition.js'

/** The memory adapters of every port. */
export function createMemoryPorts(): Ports {
  const store = createMemorySalesStore()
  return {
    sales: { store, gate: createMemoryGate(), cache: createNoEventCache() },
    seating: {
      locker: createMemoryLocker(),
      index: createMemoryIndex(),
      store: createMemorySeatingStore(store),
      bus: createMemoryBus(),
      snapshots: createNoSnapshotCache(),
      maxStaleMs: 0,
    },
    queue: { store: createMemoryQueueStore() },
  }
}

export async function composeEmbedded(
  app: FastifyInstance,
  config: Config,
  wrap?: WrapPorts,
): Promise<Composition> {
  app.log.warn(
    'EMBEDDED MODE: single instance, in-memory store — data is lost on exit and instances do not share state. Set DATABASE_URL and REDIS_URL for production.',
  )
  const metrics = createMetrics({ ...config.metrics, log: app.log })
  const ports = wrap ? wrap(createMemoryPorts()) : createMemoryPorts()
  const features = composeFeatures(ports, config, metrics, app.log)
  app.addHook('onClose', async () => {
    await features.close()
    await metrics.close()
  })
  return {
    mode: 'embedded',
    ports,
    sales: features.sales,
    seating: features.seating,
    queue: features.queue,
    metrics,
    async health() {
      return { database: true, redis: true }
    },
  }
}
