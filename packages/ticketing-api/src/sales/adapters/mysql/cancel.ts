import type { Pool, PoolConnection } from 'mysql2/promise'
import { transaction } from '../../../infra/transaction.js'
import type { CancelOutcome, ReservationRecord } from '../../model.js'
import { createEventsTable } from './events.js'
import { createReservationsTable } from './reservations.js'

/**
 * Cancels a reservation in one transaction: the event row first (the lock order of every
 * writer), the status flip (exactly one caller succeeds), `alsoInside` (a seated reservation's
 * seat rows), then the seats back to the event's count.
 */
export async function cancelReservation(
  writer: Pool,
  id: string,
  alsoInside?: (conn: PoolConnection, reservation: ReservationRecord) => Promise<void>,
): Promise<CancelOutcome> {
  const found = await createReservationsTable(writer).get(id)
  if (!found) return { ok: false, code: 'RESERVATION_NOT_FOUND' }
  return transaction(writer, async (conn) => {
    const events = createEventsTable(conn)
    await events.get(found.eventId, true)
    const rows = createReservationsTable(conn)
    const at = new Date()
    if (!(await rows.cancel(id, at))) {
      const now = await rows.get(id)
      return now
        ? { ok: false, code: 'ALREADY_CANCELLED', reservation: now }
        : { ok: false, code: 'RESERVATION_NOT_FOUND' }
    }
    await alsoInside?.(conn, found)
    await events.giveBack(found.eventId, found.quantity)
    return { ok: true, reservation: { ...found, status: 'CANCELLED', cancelledAt: at.toISOString() } }
  })
}
