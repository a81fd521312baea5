// Seat maps and sold seats in MySQL; confirm is one transaction fenced per seat. A seated
// reservation is a row of sales' `reservations` table (its tables are used, not redefined).
import { assertFencingToken, StaleTokenError } from '@ticketing/seat-lock'
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise'
import { transaction } from '../../../infra/transaction.js'
import { cancelReservation } from '../../../sales/adapters/mysql/cancel.js'
import { createEventsTable } from '../../../sales/adapters/mysql/events.js'
import { createReservationsTable } from '../../../sales/adapters/mysql/reservations.js'
import type { Layout } from '../../layout.js'
import { type SeatCommitOutcome, StaleHoldError } from '../../model.js'
import type { SeatingStore } from '../../ports.js'

/** Seat maps and sold seats in MySQL; every commit is fenced per seat. */
export function createMysqlSeatingStore(writer: Pool): SeatingStore {
  const resource = (eventId: number, seat: string) => `event:${eventId}:seat:${seat}`
  const seatsOfReservation = async (db: Pool | PoolConnection, id: string) => {
    const [rows] = await db.query<RowDataPacket[]>(
      'SELECT seat FROM seat_sales WHERE reservation_id = ? ORDER BY seat',
      [id],
    )
    return rows.map((r) => String(r.seat))
  }
  return {
    async saveLayout(eventId, layout) {
      await writer.query('INSERT IGNORE INTO seat_maps (event_id, layout) VALUES (?, ?)', [
        eventId,
        JSON.stringify(layout),
      ])
    },
    async getLayout(eventId) {
      const [rows] = await writer.query<RowDataPacket[]>('SELECT layout FROM seat_maps WHERE event_id = ?', [
        eventId,
      ])
      return rows[0] ? (JSON.parse(String(rows[0].layout)) as Layout) : null
    },
    async soldSeats(eventId) {
      const [rows] = await writer.query<RowDataPacket[]>('SELECT seat FROM seat_sales WHERE event_id = ?', [
        eventId,
      ])
      return rows.map((r) => String(r.seat))
    },
    async reservationSeats(reservationId) {
      const seats = await seatsOfReservation(writer, reservationId)
      return seats.length > 0 ? seats : null
    },
    async reservedBy(eventId, owner) {
      return (await createReservationsTable(writer).reservedBy(eventId, [owner])).get(owner) ?? 0
    },
    async commitHold({ eventId, hold, reservation }) {
      const { reservationId, limit, reservationTime: at } = reservation
      try {
        return await transaction(writer, async (conn): Promise<SeatCommitOutcome> => {
          const events = createEventsTable(conn)
          const reservations = createReservationsTable(conn)
          // The event row lock serialises seat commits and cancels of the event (and GA batches),
          // always taken first: one lock order, no deadlocks.
          const event = await events.get(eventId, true)
          if (!event) return { ok: false, code: 'EVENT_NOT_FOUND' }
          const done = await reservations.byAdmission(hold.id)
          if (done) return { ok: false, code: 'ALREADY_COMMITTED', reservation: done, seats: [...hold.seats] }
          // seat-lock's fencing pattern, one resource per seat: a hold whose seats were since
          // re-held and written by a newer token loses here, whatever Redis said.
          for (const seat of [...hold.seats].sort()) {
            await assertFencingToken(conn, resource(eventId, seat), hold.token)
          }
          const [taken] = await conn.query<RowDataPacket[]>(
            'SELECT seat FROM seat_sales WHERE event_id = ? AND seat IN (?)',
            [eventId, hold.seats],
          )
          if (taken.length > 0)
            return { ok: false, code: 'SEATS_TAKEN', seats: taken.map((r) => String(r.seat)) }
          if (limit !== null) {
            const already = (await reservations.reservedBy(eventId, [hold.owner])).get(hold.owner) ?? 0
            if (already + hold.seats.length > limit) {
              return { ok: false, code: 'TICKET_LIMIT_EXCEEDED', limit, alreadyReserved: already }
            }
          }
          if (!(await events.take(eventId, hold.seats.length))) {
            throw new Error(`event ${eventId}: available_seats below the seats of a valid hold`)
          }
          await reservations.insertMany(eventId, [reservation])
          await conn.query('INSERT INTO seat_sales (event_id, seat, reservation_id) VALUES ?', [
            hold.seats.map((s) => [eventId, s, reservationId]),
          ])
          return {
            ok: true,
            seats: [...hold.seats],
            reservation: {
              reservationId,
              eventId,
              eventName: event.eventName,
              userId: hold.owner,
              quantity: hold.seats.length,
              status: 'CONFIRMED',
              reservationTime: at.toISOString(),
              cancelledAt: null,
            },
          }
        })
      } catch (error) {
        if (error instanceof StaleTokenError) throw new StaleHoldError(hold.id)
        throw error
      }
    },
    async cancel(reservationId) {
      let seats: string[] = []
      const outcome = await cancelReservation(writer, reservationId, async (conn, found) => {
        seats = await seatsOfReservation(conn, reservationId)
        const [res] = await conn.query<ResultSetHeader>('DELETE FROM seat_sales WHERE reservation_id = ?', [
          reservationId,
        ])
        if (res.affectedRows !== found.quantity) {
          throw new Error(
            `reservation ${reservationId}: ${res.affectedRows} seats for quantity ${found.quantity}`,
          )
        }
      })
      return outcome.ok ? { ...outcome, seats } : outcome
    },
  }
}
