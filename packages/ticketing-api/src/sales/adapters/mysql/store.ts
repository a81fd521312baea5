import type { Pool } from 'mysql2/promise'
import { transaction } from '../../../infra/transaction.js'
import { IdempotencyClaimLostError } from '../../model.js'
import type { SalesStore } from '../../ports.js'
import { cancelReservation } from './cancel.js'
import { createEventsTable } from './events.js'
import { commitBatch } from './group-commit.js'
import { createKeysTable } from './keys.js'
import { createReservationsTable } from './reservations.js'

/** The MySQL system of record. `reader` (Aurora reader) serves event lists only. */
export function createMysqlSalesStore(pools: { writer: Pool; reader: Pool }): SalesStore {
  const { writer, reader } = pools
  const events = createEventsTable(writer)
  const reservations = createReservationsTable(writer)

  return {
    async ping() {
      await writer.query('SELECT 1')
    },

    async createEvent(input, idempotency) {
      return transaction(writer, async (conn) => {
        const keys = createKeysTable(conn)
        if (idempotency && (await keys.lostClaims([idempotency.ref])).size > 0)
          throw new IdempotencyClaimLostError()
        const event = await createEventsTable(conn).insert(input)
        if (idempotency) await keys.complete([{ ref: idempotency.ref, response: idempotency.answer(event) }])
        return event
      })
    },

    getEvent: (id) => events.get(id),
    listEvents: ({ offset, limit, availableOnly }) =>
      createEventsTable(reader).list(offset, limit, availableOnly),
    availability: (ids) => events.availability(ids),
    getReservation: (id) => reservations.get(id),
    listUserReservations: (userId) => reservations.listByUser(userId),
    commitReservations: (eventId, batch, beforeCommit) => commitBatch(writer, eventId, batch, beforeCommit),

    cancelReservation: (id) => cancelReservation(writer, id),

    keys: createKeysTable(writer),
  }
}

/** Deletes idempotency answers older than `hours` (kept at least 24 h). */
export const purgeKeys = (pool: Pool, hours: number) => createKeysTable(pool).purge(hours)
