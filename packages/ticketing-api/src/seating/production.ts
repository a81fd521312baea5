// Production reserved seating: seat-lock holds on Redis, the Redis hold index (redis-hold-index.ts),
// MySQL for seat maps and sold seats (mysql-seating-store.ts), Redis pub/sub for changes,
// inventory-cache for seat snapshots.
import { createInventoryCache } from '@ticketing/inventory-cache'
import {
  createSeatLock,
  HoldExpiredError,
  InvalidArgumentError,
  SeatsUnavailableError,
} from '@ticketing/seat-lock'
import type { Cluster, Redis } from 'ioredis'
import type { Pool } from 'mysql2/promise'
import { createMysqlSeatingStore } from './mysql-seating-store.js'
import {
  type SeatBus,
  type SeatChange,
  type SeatingBackend,
  type SeatLocker,
  type SeatMapCache,
  type SeatSnapshot,
  SeatsTakenError,
} from './ports.js'
import { createRedisHoldIndex } from './redis-hold-index.js'

type Client = Redis | Cluster

/** L2 freshness of a cached seat snapshot: the safety net when an invalidation is lost. */
const SNAPSHOT_TTL_MS = 2_000
/** Longest a process serves a snapshot from its own memory before asking Redis. */
const SNAPSHOT_L1_MS = 500

export function createSeatLockLocker(
  client: Client,
  options: { prefix: string; ttlMs: number; maxSeatsPerHold: number },
): SeatLocker {
  const lock = createSeatLock({
    redis: client,
    prefix: options.prefix,
    defaultTtlMs: options.ttlMs,
    maxSeatsPerHold: options.maxSeatsPerHold,
  })
  return {
    async hold({ eventId, seats, owner, ttlMs }) {
      try {
        const h = await lock.holdSeats({ eventId: String(eventId), seats, owner, ttlMs })
        return { ...h, eventId, seats: [...h.seats], status: 'held' }
      } catch (error) {
        if (error instanceof SeatsUnavailableError) throw new SeatsTakenError(error.seats)
        throw error
      }
    },
    async get(holdId) {
      try {
        const h = await lock.get(holdId)
        return h && { ...h, eventId: Number(h.eventId), seats: [...h.seats] }
      } catch (error) {
        if (error instanceof InvalidArgumentError) return null
        throw error
      }
    },
    async confirm(holdId, owner) {
      await lock.confirm(holdId, owner)
    },
    async release(holdId, owner) {
      try {
        return await lock.release(holdId, owner)
      } catch (error) {
        if (error instanceof HoldExpiredError) return false
        throw error
      }
    },
    async free(eventId, seats) {
      await lock.freeSeats(String(eventId), seats)
    },
    close: () => lock.close(),
  }
}

/** Changes over one Redis pub/sub channel; every instance (the publisher too) receives each once. */
export function createRedisBus(client: Client, subscriber: Client, channel: string): SeatBus {
  const listeners: Array<(c: SeatChange) => void> = []
  let subscribed: Promise<unknown> | undefined
  subscriber.on('message', (ch: string, message: string) => {
    if (ch !== channel) return
    let change: SeatChange
    try {
      change = JSON.parse(message) as SeatChange
    } catch {
      return
    }
    for (const l of listeners) l(change)
  })
  return {
    async publish(change) {
      await client.publish(channel, JSON.stringify(change))
    },
    subscribe(listener) {
      listeners.push(listener)
      subscribed ??= subscriber.subscribe(channel)
    },
    async close() {
      listeners.length = 0
    },
    /** Resolves once the SUBSCRIBE was acknowledged (tests wait for it). */
    ready: () => subscribed ?? Promise.resolve(),
  } as SeatBus & { ready(): Promise<unknown> }
}

/** Seat snapshots through inventory-cache: invalidated on every change, 2 s TTL as the net. */
export function createSnapshotCache(client: Client, subscriber: Client, namespace: string): SeatMapCache {
  const cache = createInventoryCache({
    redis: client,
    subscriber,
    namespace,
    ttlMs: SNAPSHOT_TTL_MS,
    l1: { ttlMs: SNAPSHOT_L1_MS },
    graceMs: 0,
    negativeTtlMs: 1,
  })
  cache.on('error', () => {})
  return {
    async get(eventId, load) {
      return (await cache.getOrLoad<SeatSnapshot>(`seats:${eventId}`, load, {
        maxStaleMs: SNAPSHOT_TTL_MS,
      })) as SeatSnapshot
    },
    invalidate: (eventId) => cache.invalidate(`seats:${eventId}`),
    close: () => cache.close(),
  }
}

/** The production composition over the service's clients; two extra connections for pub/sub. */
export function createProductionSeating(deps: {
  client: Client
  writer: Pool
  keyPrefix: string
  ttlMs: number
  maxSeatsPerHold: number
  log: { warn(obj: unknown, msg?: string): void }
}): SeatingBackend {
  const { client, keyPrefix } = deps
  const busSubscriber = client.duplicate()
  const cacheSubscriber = client.duplicate()
  for (const c of [busSubscriber, cacheSubscriber]) {
    c.on('error', (err: Error) => deps.log.warn({ err: err.message }, 'seating subscriber error'))
  }
  const locker = createSeatLockLocker(client, {
    prefix: `${keyPrefix}:seats`,
    ttlMs: deps.ttlMs,
    maxSeatsPerHold: deps.maxSeatsPerHold,
  })
  const cache = createSnapshotCache(client, cacheSubscriber, `${keyPrefix}:seatmap`)
  return {
    locker,
    index: createRedisHoldIndex(client, `${keyPrefix}:seatidx`),
    store: createMysqlSeatingStore(deps.writer),
    bus: createRedisBus(client, busSubscriber, `${keyPrefix}:seating:changes`),
    cache,
    maxStaleMs: SNAPSHOT_TTL_MS,
    async close() {
      await Promise.allSettled([locker.close(), cache.close()])
      await Promise.allSettled([busSubscriber.quit(), cacheSubscriber.quit()])
    },
  }
}
