import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise'
import type { CommitOutcome, IdempotencyRef, PendingReservation } from '../ports/index.js'
import { allocate } from '../services/allocate.js'
import { reservationData } from '../services/presenters.js'
import {
  type EventRow,
  HELD_BY_USERS_SQL,
  IDEMPOTENCY_ANSWERS_SQL,
  IDEMPOTENCY_FIRST_ANSWERS_SQL,
  IDEMPOTENCY_LOCK_SQL,
  INSERT_RESERVATIONS_SQL,
  idempotencyAnswerRow,
  lostClaimPositions,
  reservationRow,
  SELECT_EVENT_FOR_UPDATE_SQL,
  toEvent,
} from './repositories.js'
import { isRetryable, useReadCommitted } from './transaction.js'

const { format } = mysql

/**
 * The group commit of one event's batch in two round trips, however large the batch: the
 * writer pool allows multi-statement queries (every value below goes through mysql2's
 * escaping, never string concatenation), so
 *
 *   1. START TRANSACTION; lock the event row; lock the batch's Idempotency-Key rows;
 *      per-user totals (only for buyers under a per-user limit) — while the caller's
 *      `beforeCommit` work runs;
 *   2. decrement available_seats; one multi-row INSERT of the accepted reservations; their
 *      idempotency answers; COMMIT.
 *
 * Between the two, the batch is decided in memory against the locked row (allocate). A
 * statement that fails stops the rest of its query, so a failing write never reaches COMMIT:
 * the decrement is unconditional on purpose, because available_seats is UNSIGNED and going
 * below zero is an error (1690), not a silent no-op that would let the INSERT commit.
 * Lock order is the same as every other writer: the event row, then the key rows.
 */
export async function commitBatch(
  pool: Pool,
  eventId: number,
  all: PendingReservation[],
  beforeCommit?: Promise<unknown>,
): Promise<CommitOutcome[]> {
  for (let attempt = 0; ; attempt++) {
    const conn = await pool.getConnection()
    let open = false
    try {
      await useReadCommitted(conn)
      const refs = all.flatMap((r, i) => (r.idempotency ? [{ ref: r.idempotency, i }] : []))
      const limited = [...new Set(all.filter((r) => r.limit !== null).map((r) => r.userId))]
      const reads = [
        'START TRANSACTION',
        format(SELECT_EVENT_FOR_UPDATE_SQL, [eventId]),
        refs.length > 0 ? format(IDEMPOTENCY_LOCK_SQL, [refs.map(({ ref }) => [ref.scope, ref.key])]) : null,
        limited.length > 0 ? format(HELD_BY_USERS_SQL, [eventId, limited]) : null,
      ]
      open = true
      // The first round trip and the caller's before-commit work (confirming holds) overlap.
      const [[readResults]] = await Promise.all([
        conn.query<RowDataPacket[][]>(statements(reads)),
        beforeCommit,
      ])
      let next = 1
      const eventRows = readResults[next++] as EventRow[]
      const keyRows = refs.length > 0 ? readResults[next++]! : []
      const heldRows = limited.length > 0 ? readResults[next++]! : []
      const event = eventRows[0] && toEvent(eventRows[0])
      if (!event) {
        await conn.query('ROLLBACK')
        open = false
        return all.map(() => ({ ok: false, code: 'EVENT_NOT_FOUND' }) as const)
      }
      const lost = lostClaimPositions(keyRows, refs)
      const batch = all.filter((_, i) => !lost.has(i))
      const held = new Map(heldRows.map((r) => [r.user_id as string, Number(r.n)]))
      const { decisions, taken } = allocate(event.availableSeats, batch, held)
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
      const accepted = batch.filter((_, i) => decisions[i]!.ok)
      const answered = outcomes.flatMap((o, i) => {
        const ref: IdempotencyRef | undefined = batch[i]!.idempotency
        return o.ok && ref
          ? [{ ref, row: idempotencyAnswerRow(ref, 201, reservationData(o.reservation)) }]
          : []
      })
      const overClaims = answered.filter((a) => a.ref.claimedIn !== 'redis').map((a) => a.row)
      const firsts = answered.filter((a) => a.ref.claimedIn === 'redis').map((a) => a.row)
      const writes = [
        taken > 0
          ? format('UPDATE events SET available_seats = available_seats - ? WHERE id = ?', [taken, eventId])
          : null,
        accepted.length > 0
          ? format(INSERT_RESERVATIONS_SQL, [accepted.map((r) => reservationRow(eventId, r))])
          : null,
        overClaims.length > 0 ? format(IDEMPOTENCY_ANSWERS_SQL, [overClaims]) : null,
        firsts.length > 0 ? format(IDEMPOTENCY_FIRST_ANSWERS_SQL, [firsts]) : null,
        'COMMIT',
      ]
      await conn.query(statements(writes))
      open = false
      let k = 0
      return all.map((_, i) =>
        lost.has(i) ? ({ ok: false, code: 'IDEMPOTENCY_CLAIM_LOST' } as const) : outcomes[k++]!,
      )
    } catch (error) {
      if (open) await conn.query('ROLLBACK').catch(() => {})
      if (attempt < 3 && isRetryable(error)) continue
      throw error
    } finally {
      conn.release()
    }
  }
}

/** One multi-statement query text from the statements that apply. */
function statements(list: Array<string | null>): string {
  return list.filter((s): s is string => s !== null).join(';\n')
}
