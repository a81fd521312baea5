// What a composition root (embedded.ts, production.ts) hands the app: the features' services
// over one set of ports, and what the HTTP edge needs of the clients. The mode is known here,
// in compose/, and nowhere else.
import type { Redis } from 'ioredis'
import type { Config } from '../config.js'
import type { Metrics } from '../infra/metrics/index.js'
import type { QueuePorts } from '../queue/ports.js'
import { createQueue, type QueueService } from '../queue/service.js'
import type { SalesDeps } from '../sales/deps.js'
import type { SalesPorts } from '../sales/ports.js'
import { createSales, type SalesService } from '../sales/service.js'
import type { SeatingPorts } from '../seating/ports.js'
import { createSeating, type SeatingService } from '../seating/service.js'

/** The ports of every feature, as one composition builds them. */
export interface Ports {
  sales: SalesPorts
  seating: SeatingPorts
  queue: QueuePorts
}

export interface Composition {
  mode: 'embedded' | 'production'
  ports: Ports
  sales: SalesService
  seating: SeatingService
  queue: QueueService
  metrics: Metrics
  /** The rate limiter's Redis store (production), so that limits hold across the fleet. */
  rateLimitRedis?: Redis
  /** Dependency status for /api/health. */
  health(): Promise<{ database: boolean; redis: boolean }>
}

/** Lets a test wrap an adapter (a store that stalls on demand, say). */
export type WrapPorts = (ports: Ports) => Ports

/** The features over `ports`, configured from `config`: the same code in both modes. */
export function composeFeatures(ports: Ports, config: Config, metrics: Metrics, log: SalesDeps['log']) {
  const sales = createSales({
    ports: ports.sales,
    metrics,
    log,
    options: {
      admissionTtlMs: config.holdTtlMs,
      maxTicketsPerUser: config.maxTicketsPerUser,
      batch: config.batch,
    },
  })
  const { cache } = ports.sales
  const seating = createSeating({
    ports: ports.seating,
    events: {
      get: (eventId) => sales.getEvent(eventId),
      moved: (eventId, delta) =>
        cache.applyDelta(eventId, delta).catch(() => cache.invalidate(eventId).catch(() => {})),
    },
    options: {
      ttlMs: config.seating.holdTtlMs,
      maxSeatsPerHold: config.seating.maxSeatsPerHold,
      maxTicketsPerUser: config.maxTicketsPerUser,
    },
    log,
  })
  seating.start()
  const queue = createQueue({
    ports: ports.queue,
    metrics,
    log,
    events: {
      get: (eventId) => sales.eventStatics(eventId),
      remaining: (eventId) => remaining(ports, sales, seating, eventId),
    },
    options: { secret: config.waitingRoom.secret },
  })
  queue.start()
  return {
    sales,
    seating,
    queue,
    /** Every admitted request answered and its aftermath done, then the features stopped. */
    async close() {
      await queue.close()
      await sales.drain()
      await seating.close()
    },
  }
}

/**
 * What a queued event has left to sell, for the waiting room's inventory bound: a general-
 * admission event's admission counter (free + admitted-but-uncommitted units: a sale in flight
 * may still fail and give its units back), a seated event's unsold seats. Undefined when the
 * counter is missing (the room keeps its last value).
 */
async function remaining(
  ports: Ports,
  sales: SalesService,
  seating: SeatingService,
  eventId: number,
): Promise<number | undefined> {
  if (await seating.isSeated(eventId)) return (await sales.getEvent(eventId))?.availableSeats
  const state = await ports.sales.gate.state(eventId)
  return state ? state.available + state.admitted : undefined
}
