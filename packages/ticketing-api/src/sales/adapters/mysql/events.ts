// The `events` table: its record mapping and statements, over a pool or a transaction's connection.
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise'
import type { QueueSettings } from '../../../queue/model.js'
import { type EventRecord, eventRecord, type NewEvent } from '../../model.js'

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
  /** JSON text (MariaDB's JSON is LONGTEXT) or a parsed object (MySQL's JSON type). */
  queue_config: string | QueueSettings | null
}

const EVENT_COLUMNS =
  'id, event_name, total_seats, available_seats, event_date, price, venue, max_tickets_per_user, queue_config'

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
    ...(r.queue_config
      ? { queue: typeof r.queue_config === 'string' ? JSON.parse(r.queue_config) : r.queue_config }
      : {}),
  }
}

/** Locks the event row: every writer of an event takes it first (one lock order, no deadlocks). */
export const SELECT_EVENT_FOR_UPDATE_SQL = `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ? FOR UPDATE`

/**
 * Takes seats without a condition, on purpose: available_seats is UNSIGNED, so going below zero
 * is an error (1690) that stops a multi-statement query before its COMMIT.
 */
export const TAKE_SEATS_SQL = 'UPDATE events SET available_seats = available_seats - ? WHERE id = ?'

export function createEventsTable(db: Db) {
  return {
    async insert(input: NewEvent): Promise<EventRecord> {
      const record = eventRecord(0, input)
      const [res] = await db.execute<ResultSetHeader>(
        `INSERT INTO events (event_name, total_seats, available_seats, event_date, price, venue, max_tickets_per_user, queue_config)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          record.eventName,
          record.totalSeats,
          record.availableSeats,
          record.eventDate,
          record.price,
          record.venue,
          record.maxTicketsPerUser,
          record.queue ? JSON.stringify(record.queue) : null,
        ],
      )
      return { ...record, eventId: res.insertId }
    },
    async get(id: number, forUpdate = false): Promise<EventRecord | undefined> {
      const [rows] = await db.execute<EventRow[]>(
        forUpdate ? SELECT_EVENT_FOR_UPDATE_SQL : `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`,
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
