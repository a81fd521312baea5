import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise'
import { useReadCommitted, withConnection } from '../../../infra/transaction.js'
import { decideBatch, limitedBuyers } from '../../allocate.js'
import type { CommitOutcome, PendingReservation } from '../../model.js'
import { type EventRow, SELECT_EVENT_FOR_UPDATE_SQL, TAKE_SEATS_SQL, toEvent } from './events.js'
import { answerStatements, LOCK_KEYS_SQL, lostClaimPositions } from './keys.js'
import {
  INSERT_RESERVATIONS_SQL,
  RESERVED_BY_USERS_SQL,
  reservationRow,
  toReservedMap,
} from './reservations.js'

const { format } = mysql

/**
 * The group commit of one event's batch in two round trips, however large the batch: the
 * writer pool allows multi-statement queries (every value below goes through mysql2's
 * escaping, never string concatenation), so
 *
 *   1. START TRANSACTION; lock the event row; lock the batch's Idempotency-Key rows;
 *      tickets per limited buyer — while the caller's `beforeCommit` work runs;
 *   2. take the seats; one multi-row INSERT of the accepted reservations; their
 *      idempotency answers; COMMIT.
 *
 * Between the two, the batch is decided in memory against the locked row (decideBatch). A
 * statement that fails stops the rest of its query, so a failing write never reaches COMMIT
 * (TAKE_SEATS_SQL below zero is such an error). Lock order is the same as every other writer:
 * the event row, then the key rows. A deadlock, or a connection left on a writer that turned
 * read-only (failover), runs the batch again on another connection (withConnection).
 */
export async function commitBatch(
  pool: Pool,
  eventId: number,
  batch: PendingReservation[],
  beforeCommit?: Promise<unknown>,
): Promise<CommitOutcome[]> {
  return withConnection(pool, async (conn) => {
    let open = false
    try {
      await useReadCommitted(conn)
      const keyed = batch.flatMap((p, i) => (p.idempotency ? [{ ref: p.idempotency.ref, i }] : []))
      const limited = limitedBuyers(batch)
      const reads = [
        'START TRANSACTION',
        format(SELECT_EVENT_FOR_UPDATE_SQL, [eventId]),
        keyed.length > 0 ? format(LOCK_KEYS_SQL, [keyed.map(({ ref }) => [ref.scope, ref.key])]) : null,
        limited.length > 0 ? format(RESERVED_BY_USERS_SQL, [eventId, limited]) : null,
      ]
      open = true
      // The first round trip and the caller's before-commit work (confirming admissions) overlap.
      const [[results]] = await Promise.all([conn.query<RowDataPacket[][]>(statements(reads)), beforeCommit])
      let next = 1
      const eventRows = results[next++] as EventRow[]
      const keyRows = keyed.length > 0 ? results[next++]! : []
      const reservedRows = limited.length > 0 ? results[next++]! : []
      const event = eventRows[0] && toEvent(eventRows[0])
      const decision = decideBatch({
        eventId,
        event,
        batch,
        lost: lostClaimPositions(keyRows, keyed),
        reserved: toReservedMap(reservedRows),
      })
      const accepted = decision.accepted.map((a) => a.pending)
      const answers = accepted.flatMap((p) => (p.idempotency ? [p.idempotency] : []))
      const writes = [
        decision.taken > 0 ? format(TAKE_SEATS_SQL, [decision.taken, eventId]) : null,
        accepted.length > 0
          ? format(INSERT_RESERVATIONS_SQL, [accepted.map((p) => reservationRow(eventId, p))])
          : null,
        ...answerStatements(answers).map(([sql, rows]) => format(sql, [rows])),
        accepted.length > 0 ? 'COMMIT' : 'ROLLBACK',
      ]
      await conn.query(statements(writes))
      open = false
      return decision.outcomes
    } catch (error) {
      if (open) await conn.query('ROLLBACK').catch(() => {})
      throw error
    }
  })
}

/** One multi-statement query text from the statements that apply. */
function statements(list: Array<string | null>): string {
  return list.filter((s): s is string => s !== null).join(';\n')
}
