import type { Pool } from 'mysql2/promise'
import {
  type CancelOutcome,
  IdempotencyClaimLostError,
  type IdempotencyRef,
  type NewEvent,
  type Store,
} from '../ports/index.js'
import { eventData } from '../services/presenters.js'
import { commitBatch } from './group-commit.js'
import {
  createEventsRepository,
  createIdempotencyRepository,
  createReservationsRepository,
} from './repositories.js'
import { transaction } from './transaction.js'

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
    commitReservations: (eventId, batch, beforeCommit) => commitBatch(writer, eventId, batch, beforeCommit),

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
