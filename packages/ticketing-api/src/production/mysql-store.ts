import type { Pool, PoolConnection } from 'mysql2/promise'
import {
  type CancelOutcome,
  type CommitOutcome,
  IdempotencyClaimLostError,
  type IdempotencyRef,
  type NewEvent,
  type PendingReservation,
  type Store,
} from '../ports/index.js'
import { allocate } from '../services/allocate.js'
import { eventData, reservationData } from '../services/presenters.js'
import {
  createEventsRepository,
  createIdempotencyRepository,
  createReservationsRepository,
} from './repositories.js'

const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT'])

/**
 * Physical connections already switched to READ COMMITTED for their whole session: the level is
 * set once per connection, not before every transaction, which saves a round trip on each group
 * commit (the hot path, run while the event row is locked).
 */
const readCommitted = new WeakSet<object>()

async function useReadCommitted(conn: PoolConnection): Promise<void> {
  // mysql2's promise wrapper is new on every getConnection(); `.connection` is the socket's own.
  const physical = (conn as unknown as { connection: object }).connection
  if (readCommitted.has(physical)) return
  await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED')
  readCommitted.add(physical)
}

/**
 * Runs `work` in one READ COMMITTED transaction (each statement sees the latest commits, and
 * no gap locks), retrying deadlocks a few times.
 */
export async function transaction<T>(pool: Pool, work: (conn: PoolConnection) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const conn = await pool.getConnection()
    try {
      await useReadCommitted(conn)
      await conn.beginTransaction()
      const result = await work(conn)
      await conn.commit()
      return result
    } catch (error) {
      await conn.rollback().catch(() => {})
      if (attempt < 3 && RETRYABLE.has((error as { code?: string }).code ?? '')) continue
      throw error
    } finally {
      conn.release()
    }
  }
}

/** The MySQL system of record. `reader` (Aurora reader) serves event lists only. */
export function createMysqlStore(pools: { writer: Pool; reader: Pool }): Store {
  const { writer, reader } = pools
  const idem = createIdempotencyRepository(writer)

  return {
    async ping() {
      await writer.query('SELECT 1')
    },

    async createEvent(input: NewEvent, ref?: IdempotencyRef) {
      return transaction(writer, async (conn) => {
        const idempotency = createIdempotencyRepository(conn)
        if (ref && (await idempotency.lostClaims([ref])).size > 0) throw new IdempotencyClaimLostError()
        const event = await createEventsRepository(conn).insert(input)
        if (ref) await idempotency.complete([{ ref, statusCode: 201, data: eventData(event) }])
        return event
      })
    },

    getEvent: (id) => createEventsRepository(writer).get(id),
    listEvents: ({ offset, limit, availableOnly }) =>
      createEventsRepository(reader).list(offset, limit, availableOnly),
    availability: (ids) => createEventsRepository(writer).availability(ids),
    getReservation: (id) => createReservationsRepository(writer).get(id),
    listUserReservations: (userId) => createReservationsRepository(writer).listByUser(userId),

    /**
     * The group commit: lock the event row once, decide every reservation of the batch against
     * the locked count (and per-user totals), then one conditional UPDATE, one multi-row INSERT
     * and the idempotency answers — one COMMIT for all of them.
     */
    async commitReservations(eventId: number, all: PendingReservation[]): Promise<CommitOutcome[]> {
      return transaction(writer, async (conn) => {
        const events = createEventsRepository(conn)
        const reservations = createReservationsRepository(conn)
        const event = await events.get(eventId, true)
        if (!event) return all.map(() => ({ ok: false, code: 'EVENT_NOT_FOUND' }) as const)
        // Same lock order everywhere: the event row, then the Idempotency-Key rows.
        const lost = await createIdempotencyRepository(conn).lostClaims(all.map((r) => r.idempotency))
        const batch = all.filter((_, i) => !lost.has(i))
        const limited = [...new Set(batch.filter((r) => r.limit !== null).map((r) => r.userId))]
        const held = await reservations.heldByUsers(eventId, limited)
        const { decisions, taken } = allocate(event.availableSeats, batch, held)
        const accepted = batch.filter((_, i) => decisions[i]!.ok)
        if (taken > 0 && !(await events.take(eventId, taken))) {
          throw new Error(`available_seats of event ${eventId} changed under its row lock`)
        }
        await reservations.insertMany(eventId, accepted)
        const outcomes: CommitOutcome[] = decisions.map((d, i) => {
          if (!d.ok) return d
          const p = batch[i]!
          return {
            ok: true,
            reservation: {
              reservationId: p.reservationId,
              eventId,
              eventName: event.eventName,
              userId: p.userId,
              quantity: p.quantity,
              status: 'CONFIRMED',
              reservationTime: p.reservationTime.toISOString(),
              cancelledAt: null,
            },
          }
        })
        await createIdempotencyRepository(conn).complete(
          outcomes.flatMap((o, i) => {
            const ref = batch[i]!.idempotency
            return o.ok && ref ? [{ ref, statusCode: 201, data: reservationData(o.reservation) }] : []
          }),
        )
        let next = 0
        return all.map((_, i) =>
          lost.has(i) ? ({ ok: false, code: 'IDEMPOTENCY_CLAIM_LOST' } as const) : outcomes[next++]!,
        )
      })
    },

    async cancelReservation(id: string): Promise<CancelOutcome> {
      const found = await createReservationsRepository(writer).get(id)
      if (!found) return { ok: false, code: 'RESERVATION_NOT_FOUND' }
      return transaction(writer, async (conn) => {
        // Same lock order as the group commit (event row first): no deadlock between them.
        await createEventsRepository(conn).get(found.eventId, true)
        const reservations = createReservationsRepository(conn)
        const at = new Date()
        if (!(await reservations.cancel(id, at))) {
          const now = await reservations.get(id)
          return now
            ? { ok: false, code: 'ALREADY_CANCELLED', reservation: now }
            : { ok: false, code: 'RESERVATION_NOT_FOUND' }
        }
        await createEventsRepository(conn).giveBack(found.eventId, found.quantity)
        return { ok: true, reservation: { ...found, status: 'CANCELLED', cancelledAt: at.toISOString() } }
      })
    },

    idempotency: {
      claim: (ref, leaseMs) => idem.claim(ref, leaseMs),
      release: (ref) => idem.release(ref),
      get: (ref) => idem.get(ref),
    },

    async close() {},
  }
}

/** Deletes idempotency answers older than `hours` (kept at least 24 h). */
export const purgeIdempotency = (pool: Pool, hours: number) => createIdempotencyRepository(pool).purge(hours)
