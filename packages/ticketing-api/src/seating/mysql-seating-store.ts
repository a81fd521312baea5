// Seat maps and sold seats in MySQL; confirm is one transaction fenced per seat.
import { assertFencingToken, StaleTokenError } from '@ticketing/seat-lock'
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise'
import { createEventsRepository, createReservationsRepository } from '../production/repositories.js'
import { transaction } from '../production/transaction.js'
import type { Layout } from './layout.js'
import { type SeatCommitOutcome, type SeatingStore, StaleHoldError } from './ports.js'

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
    async commitHold({ eventId, hold, reservationId, limit, at }) {
      try {
        return await transaction(writer, async (conn): Promise<SeatCommitOutcome> => {
          const events = createEventsRepository(conn)
          const reservations = createReservationsRepository(conn)
          // The event row lock serialises seat commits and cancels of the event (and GA batches),
          // always taken first: one lock order, no deadlocks.
          const event = await events.get(eventId, true)
          if (!event) return { ok: false, code: 'EVENT_NOT_FOUND' }
          const [done] = await conn.query<RowDataPacket[]>('SELECT id FROM reservations WHERE hold_id = ?', [
            hold.id,
          ])
          if (done[0]) {
            const r = await reservations.get(String(done[0].id))
            if (r) return { ok: false, code: 'ALREADY_COMMITTED', reservation: r, seats: [...hold.seats] }
          }
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
            const already = (await reservations.heldByUsers(eventId, [hold.owner])).get(hold.owner) ?? 0
            if (already + hold.seats.length > limit) {
              return { ok: false, code: 'TICKET_LIMIT_EXCEEDED', limit, alreadyHeld: already }
            }
          }
          if (!(await events.take(eventId, hold.seats.length))) {
            throw new Error(`event ${eventId}: available_seats below the seats of a valid hold`)
          }
          await reservations.insertMany(eventId, [
            {
              reservationId,
              userId: hold.owner,
              quantity: hold.seats.length,
              holdId: hold.id,
              token: hold.token,
              limit,
              reservationTime: at,
            },
          ])
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
      const found = await createReservationsRepository(writer).get(reservationId)
      if (!found) return { ok: false, code: 'RESERVATION_NOT_FOUND' }
      return transaction(writer, async (conn) => {
        await createEventsRepository(conn).get(found.eventId, true)
        const reservations = createReservationsRepository(conn)
        const at = new Date()
        if (!(await reservations.cancel(reservationId, at))) {
          const now = await reservations.get(reservationId)
          return now
            ? { ok: false, code: 'ALREADY_CANCELLED', reservation: now }
            : { ok: false, code: 'RESERVATION_NOT_FOUND' }
        }
        const seats = await seatsOfReservation(conn, reservationId)
        const [res] = await conn.query<ResultSetHeader>('DELETE FROM seat_sales WHERE reservation_id = ?', [
          reservationId,
        ])
        if (res.affectedRows !== found.quantity) {
          throw new Error(
            `reservation ${reservationId}: ${res.affectedRows} seats for quantity ${found.quantity}`,
          )
        }
        await createEventsRepository(conn).giveBack(found.eventId, found.quantity)
        return {
          ok: true,
          seats,
          reservation: { ...found, status: 'CANCELLED', cancelledAt: at.toISOString() },
        }
      })
    },
  }
}
