// Production reserved seating: seat-lock holds on Redis, a Redis hold index (Lua), MySQL for
// seat maps and sold seats (fenced commits), Redis pub/sub for changes, inventory-cache for maps.
import { createInventoryCache } from '@ticketing/inventory-cache'
import {
  assertFencingToken,
  createSeatLock,
  HoldExpiredError,
  InvalidArgumentError,
  SeatsUnavailableError,
  StaleTokenError,
} from '@ticketing/seat-lock'
import type { Cluster, Redis } from 'ioredis'
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise'
import { transaction } from '../production/mysql-store.js'
import { createEventsRepository, createReservationsRepository } from '../production/repositories.js'
import type { Layout } from './layout.js'
import {
  type HoldIndex,
  type IndexedHold,
  type SeatBus,
  type SeatChange,
  type SeatCommitOutcome,
  type SeatingBackend,
  type SeatingStore,
  type SeatLocker,
  type SeatMapCache,
  type SeatSnapshot,
  SeatsTakenError,
  StaleHoldError,
} from './ports.js'

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

/**
 * ADD_HOLD: records a live hold in its event's hash (id → JSON) and expiry zset (id → expiresAt),
 * in one step so the two never disagree. The keys outlive the hold by an hour at most (GT keeps
 * the later deadline): an index nobody sweeps does not stay forever.
 * KEYS: holds hash, expiry zset. ARGV: hold id, JSON, expiresAt (ms).
 */
const ADD_HOLD = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local deadline = tonumber(ARGV[3]) + 3600000
redis.call('PEXPIREAT', KEYS[1], deadline, 'GT')
redis.call('PEXPIREAT', KEYS[1], deadline, 'NX')
redis.call('PEXPIREAT', KEYS[2], deadline, 'GT')
redis.call('PEXPIREAT', KEYS[2], deadline, 'NX')
return 1`

/**
 * REMOVE_HOLD: takes a hold out of the index and returns its JSON, or nil when another caller
 * (confirm, release or a sweeper on any instance) already did: exactly one caller announces it.
 * KEYS: holds hash, expiry zset. ARGV: hold id.
 */
const REMOVE_HOLD = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return v`

/**
 * SWEEP_EXPIRED: removes holds whose expiry passed by the Redis server clock (the clock
 * seat-lock expires seats by) and returns them, at most 100 per call, after the count left.
 * KEYS: holds hash, expiry zset.
 */
const SWEEP_EXPIRED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
local out = {0}
for _, id in ipairs(ids) do
  local v = redis.call('HGET', KEYS[1], id)
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  if v then out[#out + 1] = v end
end
out[1] = redis.call('ZCARD', KEYS[2])
return out`

interface IndexCommands {
  seatingIndexAdd(holds: string, exp: string, id: string, json: string, expiresAt: number): Promise<number>
  seatingIndexRemove(holds: string, exp: string, id: string): Promise<string | null>
  seatingIndexSweep(holds: string, exp: string): Promise<Array<number | string>>
}

export function createRedisHoldIndex(client: Client, prefix: string): HoldIndex {
  const c = client as Client & Partial<IndexCommands>
  if (!c.seatingIndexAdd) {
    client.defineCommand('seatingIndexAdd', { numberOfKeys: 2, lua: ADD_HOLD })
    client.defineCommand('seatingIndexRemove', { numberOfKeys: 2, lua: REMOVE_HOLD })
    client.defineCommand('seatingIndexSweep', { numberOfKeys: 2, lua: SWEEP_EXPIRED })
  }
  const cmd = c as Client & IndexCommands
  // One hash tag per event: both keys of a script live in one cluster slot.
  const keys = (eventId: number) => {
    const tag = `{${prefix}:${eventId}}`
    return [`${tag}:holds`, `${tag}:exp`] as const
  }
  const active = `${prefix}:active`
  const parse = (json: string): IndexedHold => JSON.parse(json) as IndexedHold
  return {
    async add(hold) {
      const [h, e] = keys(hold.eventId)
      await cmd.seatingIndexAdd(h, e, hold.holdId, JSON.stringify(hold), hold.expiresAt)
      await client.sadd(active, String(hold.eventId))
    },
    async remove(eventId, holdId) {
      const [h, e] = keys(eventId)
      const v = await cmd.seatingIndexRemove(h, e, holdId)
      return v ? parse(v) : null
    },
    async list(eventId) {
      const [h] = keys(eventId)
      return Object.values(await client.hgetall(h)).map(parse)
    },
    async sweep() {
      const out: IndexedHold[] = []
      for (const id of await client.smembers(active)) {
        const eventId = Number(id)
        const [h, e] = keys(eventId)
        const [remaining, ...expired] = await cmd.seatingIndexSweep(h, e)
        for (const v of expired) out.push(parse(String(v)))
        if (Number(remaining) === 0) {
          // SREM then re-check: a hold added meanwhile (ADD_HOLD before its SADD) is not lost.
          await client.srem(active, id)
          if ((await client.zcard(e)) > 0) await client.sadd(active, id)
        }
      }
      return out
    },
    async close() {},
  }
}

/** Seat maps and sold seats in MySQL; every commit is fenced per seat. */
export function createMysqlSeatingStore(writer: Pool): SeatingStore {
  const resource = (eventId: number, seat: string) => `event:${eventId}:seat:${seat}`
  const seatsOfReservation = async (db: Pool | import('mysql2/promise').PoolConnection, id: string) => {
    const [rows] = await db.query<RowDataPacket[]>(
      'SELECT seat FROM seat_sales WHERE reservation_id = ? ORDER BY seat',
      [id],
    )
    return rows.map((r) => String(r.seat))
  }
  return {
    async saveLayout(eventId, layout) {
      await writer.query('INSERT IGNORE INTO seat_maps (event_id, layout) VALUES (?, ?)', [
        eventId,
        JSON.stringify(layout),
      ])
    },
    async getLayout(eventId) {
      const [rows] = await writer.query<RowDataPacket[]>('SELECT layout FROM seat_maps WHERE event_id = ?', [
        eventId,
      ])
      return rows[0] ? (JSON.parse(String(rows[0].layout)) as Layout) : null
    },
    async soldSeats(eventId) {
      const [rows] = await writer.query<RowDataPacket[]>('SELECT seat FROM seat_sales WHERE event_id = ?', [
        eventId,
      ])
      return rows.map((r) => String(r.seat))
    },
    async reservationSeats(reservationId) {
      const seats = await seatsOfReservation(writer, reservationId)
      return seats.length > 0 ? seats : null
    },
    async commitHold({ eventId, hold, reservationId, limit, at }) {
      try {
        return await transaction(writer, async (conn): Promise<SeatCommitOutcome> => {
          const events = createEventsRepository(conn)
          const reservations = createReservationsRepository(conn)
          // The event row lock serialises seat commits and cancels of the event (and GA batches),
          // always taken first: one lock order, no deadlocks.
          const event = await events.get(eventId, true)
          if (!event) return { ok: false, code: 'EVENT_NOT_FOUND' }
          const [done] = await conn.query<RowDataPacket[]>('SELECT id FROM reservations WHERE hold_id = ?', [
            hold.id,
          ])
          if (done[0]) {
            const r = await reservations.get(String(done[0].id))
            if (r) return { ok: false, code: 'ALREADY_COMMITTED', reservation: r, seats: [...hold.seats] }
          }
          // seat-lock's fencing pattern, one resource per seat: a hold whose seats were since
          // re-held and written by a newer token loses here, whatever Redis said.
          for (const seat of [...hold.seats].sort()) {
            await assertFencingToken(conn, resource(eventId, seat), hold.token)
          }
          const [taken] = await conn.query<RowDataPacket[]>(
            'SELECT seat FROM seat_sales WHERE event_id = ? AND seat IN (?)',
            [eventId, hold.seats],
          )
          if (taken.length > 0)
            return { ok: false, code: 'SEATS_TAKEN', seats: taken.map((r) => String(r.seat)) }
          if (limit !== null) {
            const already = (await reservations.heldByUsers(eventId, [hold.owner])).get(hold.owner) ?? 0
            if (already + hold.seats.length > limit) {
              return { ok: false, code: 'TICKET_LIMIT_EXCEEDED', limit, alreadyHeld: already }
            }
          }
          if (!(await events.take(eventId, hold.seats.length))) {
            throw new Error(`event ${eventId}: available_seats below the seats of a valid hold`)
          }
          await reservations.insertMany(eventId, [
            {
              reservationId,
              userId: hold.owner,
              quantity: hold.seats.length,
              holdId: hold.id,
              token: hold.token,
              limit,
              reservationTime: at,
            },
          ])
          await conn.query('INSERT INTO seat_sales (event_id, seat, reservation_id) VALUES ?', [
            hold.seats.map((s) => [eventId, s, reservationId]),
          ])
          return {
            ok: true,
            seats: [...hold.seats],
            reservation: {
              reservationId,
              eventId,
              eventName: event.eventName,
              userId: hold.owner,
              quantity: hold.seats.length,
              status: 'CONFIRMED',
              reservationTime: at.toISOString(),
              cancelledAt: null,
            },
          }
        })
      } catch (error) {
        if (error instanceof StaleTokenError) throw new StaleHoldError(hold.id)
        throw error
      }
    },
    async cancel(reservationId) {
      const found = await createReservationsRepository(writer).get(reservationId)
      if (!found) return { ok: false, code: 'RESERVATION_NOT_FOUND' }
      return transaction(writer, async (conn) => {
        await createEventsRepository(conn).get(found.eventId, true)
        const reservations = createReservationsRepository(conn)
        const at = new Date()
        if (!(await reservations.cancel(reservationId, at))) {
          const now = await reservations.get(reservationId)
          return now
            ? { ok: false, code: 'ALREADY_CANCELLED', reservation: now }
            : { ok: false, code: 'RESERVATION_NOT_FOUND' }
        }
        const seats = await seatsOfReservation(conn, reservationId)
        const [res] = await conn.query<ResultSetHeader>('DELETE FROM seat_sales WHERE reservation_id = ?', [
          reservationId,
        ])
        if (res.affectedRows !== found.quantity) {
          throw new Error(
            `reservation ${reservationId}: ${res.affectedRows} seats for quantity ${found.quantity}`,
          )
        }
        await createEventsRepository(conn).giveBack(found.eventId, found.quantity)
        return {
          ok: true,
          seats,
          reservation: { ...found, status: 'CANCELLED', cancelledAt: at.toISOString() },
        }
      })
    },
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
