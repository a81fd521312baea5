// Repositories: small factories over a pool or a transaction's connection (fastify/demo style).
// Each statement says what it guarantees; the store composes them into transactions.
import { randomUUID } from 'node:crypto'
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise'
import type {
  EventRecord,
  IdempotencyClaim,
  IdempotencyRef,
  NewEvent,
  PendingReservation,
  ReservationRecord,
  StoredResponse,
} from '../ports/index.js'

/** A pool or one connection inside a transaction. */
export type Db = Pool | PoolConnection

export interface EventRow extends RowDataPacket {
  id: number
  event_name: string
  total_seats: number
  available_seats: number
  event_date: string
  price: string | null
  venue: string | null
  max_tickets_per_user: number | null
}

const EVENT_COLUMNS =
  'id, event_name, total_seats, available_seats, event_date, price, venue, max_tickets_per_user'

export function toEvent(r: EventRow): EventRecord {
  return {
    eventId: Number(r.id),
    eventName: r.event_name,
    totalSeats: r.total_seats,
    availableSeats: r.available_seats,
    eventDate: r.event_date,
    price: r.price === null ? null : Number(r.price),
    venue: r.venue,
    maxTicketsPerUser: r.max_tickets_per_user,
  }
}

export const SELECT_EVENT_FOR_UPDATE_SQL = `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ? FOR UPDATE`

export function createEventsRepository(db: Db) {
  return {
    async insert(input: NewEvent): Promise<EventRecord> {
      const [res] = await db.execute<ResultSetHeader>(
        `INSERT INTO events (event_name, total_seats, available_seats, event_date, price, venue, max_tickets_per_user)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [
          input.eventName,
          input.totalSeats,
          input.totalSeats,
          input.eventDate,
          input.price ?? null,
          input.venue ?? null,
          input.maxTicketsPerUser ?? null,
        ],
      )
      return {
        eventId: res.insertId,
        eventName: input.eventName,
        totalSeats: input.totalSeats,
        availableSeats: input.totalSeats,
        eventDate: input.eventDate,
        price: input.price ?? null,
        venue: input.venue ?? null,
        maxTicketsPerUser: input.maxTicketsPerUser ?? null,
      }
    },
    async get(id: number, forUpdate = false): Promise<EventRecord | undefined> {
      const [rows] = await db.execute<EventRow[]>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?${forUpdate ? ' FOR UPDATE' : ''}`,
        [id],
      )
      return rows[0] && toEvent(rows[0])
    },
    async list(offset: number, limit: number, availableOnly: boolean) {
      const where = availableOnly ? 'WHERE available_seats > 0' : ''
      const [rows] = await db.query<EventRow[]>(
        `SELECT ${EVENT_COLUMNS} FROM events ${where} ORDER BY id LIMIT ? OFFSET ?`,
        [limit, offset],
      )
      const [[count]] = await db.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM events ${where}`)
      return { items: rows.map(toEvent), total: Number(count?.n ?? 0) }
    },
    async availability(ids?: number[]) {
      const [rows] = ids
        ? await db.query<RowDataPacket[]>('SELECT id, available_seats FROM events WHERE id IN (?)', [ids])
        : await db.query<RowDataPacket[]>('SELECT id, available_seats FROM events')
      return rows.map((r) => ({ eventId: Number(r.id), availableSeats: Number(r.available_seats) }))
    },
    /** The final guard against overselling: never lets available_seats go below zero. */
    async take(id: number, units: number): Promise<boolean> {
      const [res] = await db.execute<ResultSetHeader>(
        'UPDATE events SET available_seats = available_seats - ? WHERE id = ? AND available_seats >= ?',
        [units, id, units],
      )
      return res.affectedRows === 1
    },
    async giveBack(id: number, units: number): Promise<void> {
      await db.execute('UPDATE events SET available_seats = available_seats + ? WHERE id = ?', [units, id])
    },
  }
}

interface ReservationRow extends RowDataPacket {
  id: string
  event_id: number
  event_name: string
  user_id: string
  quantity: number
  status: 'CONFIRMED' | 'CANCELLED'
  reservation_time: Date
  cancelled_at: Date | null
}

function toReservation(r: ReservationRow): ReservationRecord {
  return {
    reservationId: r.id,
    eventId: Number(r.event_id),
    eventName: r.event_name,
    userId: r.user_id,
    quantity: r.quantity,
    status: r.status,
    reservationTime: r.reservation_time.toISOString(),
    cancelledAt: r.cancelled_at ? r.cancelled_at.toISOString() : null,
  }
}

/** One multi-row INSERT per batch; UNIQUE (hold_id) fences each hold to one sale. */
export const INSERT_RESERVATIONS_SQL =
  'INSERT INTO reservations (id, event_id, user_id, quantity, status, hold_id, hold_token, reservation_time) VALUES ?'

export const reservationRow = (eventId: number, r: PendingReservation) => [
  r.reservationId,
  eventId,
  r.userId,
  r.quantity,
  'CONFIRMED',
  r.holdId,
  r.token,
  r.reservationTime,
]

/** Confirmed tickets per user for one event (exact under the event row lock). */
export const HELD_BY_USERS_SQL = `SELECT user_id, SUM(quantity) AS n FROM reservations
  WHERE event_id = ? AND user_id IN (?) AND status = 'CONFIRMED' GROUP BY user_id`

const RESERVATION_SELECT = `SELECT r.id, r.event_id, e.event_name, r.user_id, r.quantity, r.status, r.reservation_time,
  r.cancelled_at FROM reservations r JOIN events e ON e.id = r.event_id`

export function createReservationsRepository(db: Db) {
  return {
    async insertMany(eventId: number, rows: PendingReservation[]): Promise<void> {
      if (rows.length === 0) return
      await db.query(INSERT_RESERVATIONS_SQL, [rows.map((r) => reservationRow(eventId, r))])
    },
    async heldByUsers(eventId: number, userIds: string[]): Promise<Map<string, number>> {
      if (userIds.length === 0) return new Map()
      const [rows] = await db.query<RowDataPacket[]>(HELD_BY_USERS_SQL, [eventId, userIds])
      return new Map(rows.map((r) => [r.user_id as string, Number(r.n)]))
    },
    async get(id: string, forUpdate = false): Promise<ReservationRecord | undefined> {
      const [rows] = await db.execute<ReservationRow[]>(
        `${RESERVATION_SELECT} WHERE r.id = ?${forUpdate ? ' FOR UPDATE' : ''}`,
        [id],
      )
      return rows[0] && toReservation(rows[0])
    },
    async listByUser(userId: string): Promise<ReservationRecord[]> {
      const [rows] = await db.execute<ReservationRow[]>(
        `${RESERVATION_SELECT} WHERE r.user_id = ? ORDER BY r.reservation_time DESC, r.id LIMIT 1000`,
        [userId],
      )
      return rows.map(toReservation)
    },
    /** Exactly one caller flips CONFIRMED → CANCELLED. */
    async cancel(id: string, at: Date): Promise<boolean> {
      const [res] = await db.execute<ResultSetHeader>(
        "UPDATE reservations SET status = 'CANCELLED', cancelled_at = ? WHERE id = ? AND status = 'CONFIRMED'",
        [at, id],
      )
      return res.affectedRows === 1
    },
  }
}

/** Locks a set of Idempotency-Key rows (by primary key) until the transaction ends. */
export const IDEMPOTENCY_LOCK_SQL = `SELECT scope, idem_key, status, claim_id FROM idempotency_keys
  WHERE (scope, idem_key) IN (?) FOR UPDATE`

/** First answers, written in the same transaction as the sale they answer (over the claim's row). */
export const IDEMPOTENCY_ANSWERS_SQL = `INSERT INTO idempotency_keys (scope, idem_key, event_id, request_hash, status, status_code, response)
  VALUES ? ON DUPLICATE KEY UPDATE status = 'done', status_code = VALUES(status_code),
  response = VALUES(response), updated_at = NOW(3)`

/**
 * First answers of keys claimed in Redis: no row may exist yet, so a duplicate is an error
 * that rolls the sale back (two claims of one key racing in two events' batches), never a
 * second sale under one key.
 */
export const IDEMPOTENCY_FIRST_ANSWERS_SQL = `INSERT INTO idempotency_keys (scope, idem_key, event_id, request_hash, status, status_code, response)
  VALUES ?`

export const idempotencyAnswerRow = (ref: IdempotencyRef, statusCode: number, data: unknown) => [
  ref.scope,
  ref.key,
  ref.eventId ?? null,
  ref.hash,
  'done',
  statusCode,
  JSON.stringify(data),
]

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

export function createIdempotencyRepository(db: Db) {
  const get = async (ref: Pick<IdempotencyRef, 'scope' | 'key'>) => {
    const [rows] = await db.execute<RowDataPacket[]>(
      `SELECT request_hash, status, status_code, response, updated_at,
              TIMESTAMPDIFF(MICROSECOND, updated_at, NOW(3)) / 1000 AS age_ms
       FROM idempotency_keys WHERE scope = ? AND idem_key = ?`,
      [ref.scope, ref.key],
    )
    return rows[0]
  }
  const toClaim = (row: RowDataPacket): Exclude<IdempotencyClaim, { state: 'claimed' }> =>
    row.status === 'done'
      ? {
          state: 'done',
          hash: row.request_hash,
          response: { statusCode: row.status_code, data: JSON.parse(row.response) },
        }
      : { state: 'pending', hash: row.request_hash }

  return {
    async claim(ref: IdempotencyRef, leaseMs: number): Promise<IdempotencyClaim> {
      for (let attempt = 0; attempt < 3; attempt++) {
        const claimId = randomUUID()
        const [res] = await db.execute<ResultSetHeader>(
          "INSERT IGNORE INTO idempotency_keys (scope, idem_key, request_hash, status, claim_id) VALUES (?, ?, ?, 'pending', ?)",
          [ref.scope, ref.key, ref.hash, claimId],
        )
        if (res.affectedRows === 1) return { state: 'claimed', claimId }
        const row = await get(ref)
        if (!row) continue // released meanwhile
        if (row.status === 'done' || Number(row.age_ms) < leaseMs) return toClaim(row)
        // A pending claim past its lease: its request died. Take it over (one winner).
        const [took] = await db.execute<ResultSetHeader>(
          `UPDATE idempotency_keys SET request_hash = ?, claim_id = ?, updated_at = NOW(3)
           WHERE scope = ? AND idem_key = ? AND status = 'pending' AND updated_at = ?`,
          [ref.hash, claimId, ref.scope, ref.key, row.updated_at],
        )
        if (took.affectedRows === 1) return { state: 'claimed', claimId }
      }
      const row = await get(ref)
      return row ? toClaim(row) : { state: 'pending', hash: ref.hash }
    },
    async get(
      ref: Pick<IdempotencyRef, 'scope' | 'key'>,
    ): Promise<Exclude<IdempotencyClaim, { state: 'claimed' }> | undefined> {
      const row = await get(ref)
      return row && toClaim(row)
    },
    async release(ref: IdempotencyRef): Promise<void> {
      await db.execute(
        "DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ? AND status = 'pending' AND claim_id = ?",
        [ref.scope, ref.key, ref.claimId ?? null],
      )
    },
    /**
     * Locks the keys' rows until the caller's transaction ends, and returns the positions of
     * the refs whose claim is no longer theirs (taken over by a retry, or already answered).
     * Run first in the sale's transaction: a takeover then waits for our COMMIT and finds the
     * key answered, or has already happened and we drop the item.
     */
    async lostClaims(refs: Array<IdempotencyRef | undefined>): Promise<Set<number>> {
      const claimed = refs.flatMap((ref, i) => (ref ? [{ ref, i }] : []))
      if (claimed.length === 0) return new Set()
      const [rows] = await db.query<RowDataPacket[]>(IDEMPOTENCY_LOCK_SQL, [
        claimed.map(({ ref }) => [ref.scope, ref.key]),
      ])
      return lostClaimPositions(rows, claimed)
    },
    /** Stores first answers, in the caller's transaction (the same one as the sale). */
    async complete(
      entries: Array<{ ref: IdempotencyRef; statusCode: number; data: unknown }>,
    ): Promise<void> {
      if (entries.length === 0) return
      await db.query(IDEMPOTENCY_ANSWERS_SQL, [
        entries.map((e) => idempotencyAnswerRow(e.ref, e.statusCode, e.data)),
      ])
    },
    /** Every stored answer of one event's reservations (to refill Redis claims). */
    async answersOfEvent(eventId: number): Promise<Array<{ ref: IdempotencyRef; response: StoredResponse }>> {
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
    /** Keys are kept at least 24 h. */
    async purge(olderThanHours: number): Promise<number> {
      const [res] = await db.execute<ResultSetHeader>(
        'DELETE FROM idempotency_keys WHERE created_at < NOW(3) - INTERVAL ? HOUR LIMIT 10000',
        [olderThanHours],
      )
      return res.affectedRows
    },
  }
}
