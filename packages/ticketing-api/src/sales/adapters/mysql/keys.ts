// The `idempotency_keys` table: Idempotency-Key claims and the answers committed with the sales.
import { randomUUID } from 'node:crypto'
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise'
import type { ClaimRecord, IdempotencyClaim, IdempotencyRef, KeyAnswer } from '../../model.js'
import type { KeyRecords } from '../../ports.js'
import type { Db } from './events.js'

/** Locks a set of Idempotency-Key rows (by primary key) until the transaction ends. */
export const LOCK_KEYS_SQL = `SELECT scope, idem_key, status, claim_id FROM idempotency_keys
  WHERE (scope, idem_key) IN (?) FOR UPDATE`

/** First answers, written in the same transaction as the sale they answer (over the claim's row). */
export const INSERT_ANSWERS_SQL = `INSERT INTO idempotency_keys (scope, idem_key, event_id, request_hash, status, status_code, response)
  VALUES ? ON DUPLICATE KEY UPDATE status = 'done', status_code = VALUES(status_code),
  response = VALUES(response), updated_at = NOW(3)`

/**
 * First answers of keys claimed in Redis: no row may exist yet, so a duplicate is an error
 * that rolls the sale back (two claims of one key racing in two events' batches), never a
 * second sale under one key.
 */
export const INSERT_FIRST_ANSWERS_SQL = `INSERT INTO idempotency_keys (scope, idem_key, event_id, request_hash, status, status_code, response)
  VALUES ?`

export const answerRow = ({ ref, response }: KeyAnswer) => [
  ref.scope,
  ref.key,
  ref.eventId ?? null,
  ref.hash,
  'done',
  response.statusCode,
  JSON.stringify(response.data),
]

type Row = ReturnType<typeof answerRow>

/** The answers of a batch as (at most) two multi-row INSERTs: over store claims, and first answers. */
export function answerStatements(answers: KeyAnswer[]): Array<[sql: string, rows: Row[]]> {
  const over = answers.filter((a) => a.ref.claimedIn !== 'redis').map(answerRow)
  const first = answers.filter((a) => a.ref.claimedIn === 'redis').map(answerRow)
  const out: Array<[string, Row[]]> = []
  if (over.length > 0) out.push([INSERT_ANSWERS_SQL, over])
  if (first.length > 0) out.push([INSERT_FIRST_ANSWERS_SQL, first])
  return out
}

/**
 * Positions of the refs whose claim is no longer theirs, from their locked rows: the row is
 * gone (released), already answered, or pending under another claim (a retry took it over).
 */
export function lostClaimPositions(
  rows: RowDataPacket[],
  claimed: Array<{ ref: IdempotencyRef; i: number }>,
): Set<number> {
  const current = new Map(rows.map((row) => [`${row.scope}\u0000${row.idem_key}`, row]))
  const lost = new Set<number>()
  for (const { ref, i } of claimed) {
    const row = current.get(`${ref.scope}\u0000${ref.key}`)
    // A key claimed in Redis has no row until its sale commits: any row means it lost.
    if (ref.claimedIn === 'redis' ? row : row?.status !== 'pending' || row.claim_id !== ref.claimId)
      lost.add(i)
  }
  return lost
}

const toRecord = (row: RowDataPacket): ClaimRecord =>
  row.status === 'done'
    ? {
        state: 'done',
        hash: row.request_hash,
        response: { statusCode: row.status_code, data: JSON.parse(row.response) },
      }
    : { state: 'pending', hash: row.request_hash }

export function createKeysTable(db: Db): KeyRecords & {
  lostClaims(refs: IdempotencyRef[]): Promise<Set<number>>
  complete(answers: KeyAnswer[]): Promise<void>
  purge(olderThanHours: number): Promise<number>
} {
  const read = async (ref: Pick<IdempotencyRef, 'scope' | 'key'>) => {
    const [rows] = await db.execute<RowDataPacket[]>(
      `SELECT request_hash, status, status_code, response, updated_at,
              TIMESTAMPDIFF(MICROSECOND, updated_at, NOW(3)) / 1000 AS age_ms
       FROM idempotency_keys WHERE scope = ? AND idem_key = ?`,
      [ref.scope, ref.key],
    )
    return rows[0]
  }

  return {
    async claim(ref, leaseMs): Promise<IdempotencyClaim> {
      for (let attempt = 0; attempt < 3; attempt++) {
        const claimId = randomUUID()
        const [res] = await db.execute<ResultSetHeader>(
          "INSERT IGNORE INTO idempotency_keys (scope, idem_key, event_id, request_hash, status, claim_id) VALUES (?, ?, ?, ?, 'pending', ?)",
          [ref.scope, ref.key, ref.eventId ?? null, ref.hash, claimId],
        )
        if (res.affectedRows === 1) return { state: 'claimed', claimId }
        const row = await read(ref)
        if (!row) continue // released meanwhile
        if (row.status === 'done' || Number(row.age_ms) < leaseMs) return toRecord(row)
        // A pending claim past its lease: its request died. Take it over (one winner).
        const [took] = await db.execute<ResultSetHeader>(
          `UPDATE idempotency_keys SET request_hash = ?, claim_id = ?, updated_at = NOW(3)
           WHERE scope = ? AND idem_key = ? AND status = 'pending' AND updated_at = ?`,
          [ref.hash, claimId, ref.scope, ref.key, row.updated_at],
        )
        if (took.affectedRows === 1) return { state: 'claimed', claimId }
      }
      const row = await read(ref)
      return row ? toRecord(row) : { state: 'pending', hash: ref.hash }
    },
    async get(ref) {
      const row = await read(ref)
      return row && toRecord(row)
    },
    async release(ref) {
      await db.execute(
        "DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ? AND status = 'pending' AND claim_id = ?",
        [ref.scope, ref.key, ref.claimId ?? null],
      )
    },
    async answersOfEvent(eventId) {
      const [rows] = await db.query<RowDataPacket[]>(
        `SELECT scope, idem_key, request_hash, status_code, response FROM idempotency_keys
         WHERE event_id = ? AND status = 'done'`,
        [eventId],
      )
      return rows.map((r) => ({
        ref: { scope: r.scope, key: r.idem_key, hash: r.request_hash, eventId },
        response: { statusCode: r.status_code, data: JSON.parse(r.response) },
      }))
    },
    /**
     * Locks the keys' rows until the caller's transaction ends, and returns the positions of
     * the refs whose claim is no longer theirs (taken over by a retry, or already answered).
     * Run first in the sale's transaction: a takeover then waits for our COMMIT and finds the
     * key answered, or has already happened and we drop the item.
     */
    async lostClaims(refs) {
      if (refs.length === 0) return new Set()
      const [rows] = await db.query<RowDataPacket[]>(LOCK_KEYS_SQL, [refs.map((ref) => [ref.scope, ref.key])])
      return lostClaimPositions(
        rows,
        refs.map((ref, i) => ({ ref, i })),
      )
    },
    /** Stores first answers, in the caller's transaction (the same one as the sale). */
    async complete(answers) {
      for (const [sql, rows] of answerStatements(answers)) await db.query(sql, [rows])
    },
    /** Keys are kept at least 24 h. */
    async purge(olderThanHours) {
      const [res] = await db.execute<ResultSetHeader>(
        'DELETE FROM idempotency_keys WHERE created_at < NOW(3) - INTERVAL ? HOUR LIMIT 10000',
        [olderThanHours],
      )
      return res.affectedRows
    },
  }
}
