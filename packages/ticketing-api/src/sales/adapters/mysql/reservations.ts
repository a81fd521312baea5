// The `reservations` table: its record mapping and statements (general admission and seated
// reservations alike: a seated one also has seat_sales rows, see seating/adapters/mysql).
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise'
import type { PendingReservation, ReservationRecord } from '../../model.js'
import type { Db } from './events.js'

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

/** One multi-row INSERT per batch; UNIQUE (hold_id) fences each admission or hold to one sale. */
export const INSERT_RESERVATIONS_SQL =
  'INSERT INTO reservations (id, event_id, user_id, quantity, status, hold_id, hold_token, reservation_time) VALUES ?'

export const reservationRow = (eventId: number, r: PendingReservation) => [
  r.reservationId,
  eventId,
  r.userId,
  r.quantity,
  'CONFIRMED',
  r.admissionId,
  r.token,
  r.reservationTime,
]

/** Tickets each user has for one event: CONFIRMED reservations (exact under the event row lock). */
export const RESERVED_BY_USERS_SQL = `SELECT user_id, SUM(quantity) AS n FROM reservations
  WHERE event_id = ? AND user_id IN (?) AND status = 'CONFIRMED' GROUP BY user_id`

export const toReservedMap = (rows: RowDataPacket[]) =>
  new Map(rows.map((r) => [r.user_id as string, Number(r.n)]))

const RESERVATION_SELECT = `SELECT r.id, r.event_id, e.event_name, r.user_id, r.quantity, r.status, r.reservation_time,
  r.cancelled_at FROM reservations r JOIN events e ON e.id = r.event_id`

export function createReservationsTable(db: Db) {
  return {
    async insertMany(eventId: number, rows: PendingReservation[]): Promise<void> {
      if (rows.length === 0) return
      await db.query(INSERT_RESERVATIONS_SQL, [rows.map((r) => reservationRow(eventId, r))])
    },
    async reservedBy(eventId: number, userIds: string[]): Promise<Map<string, number>> {
      if (userIds.length === 0) return new Map()
      const [rows] = await db.query<RowDataPacket[]>(RESERVED_BY_USERS_SQL, [eventId, userIds])
      return toReservedMap(rows)
    },
    async get(id: string): Promise<ReservationRecord | undefined> {
      const [rows] = await db.execute<ReservationRow[]>(`${RESERVATION_SELECT} WHERE r.id = ?`, [id])
      return rows[0] && toReservation(rows[0])
    },
    /** The reservation an admission or a seat hold was committed as, if any. */
    async byAdmission(admissionId: string): Promise<ReservationRecord | undefined> {
      const [rows] = await db.execute<ReservationRow[]>(`${RESERVATION_SELECT} WHERE r.hold_id = ?`, [
        admissionId,
      ])
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
