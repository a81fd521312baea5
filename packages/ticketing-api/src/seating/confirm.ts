// Confirmation: a seat hold becomes a reservation in one MySQL transaction fenced by the hold's
// token; then the lock keeps the seats sold and every page is told.
import { randomUUID } from 'node:crypto'
import { ApiError, eventNotFound, ticketLimitExceeded } from '../errors.js'
import { perUserLimit } from '../sales/limits.js'
import { reservationData } from '../sales/presenters.js'
import type { Changes } from './changes.js'
import type { SeatingDeps } from './deps.js'
import { type SeatCommitOutcome, StaleHoldError, seatedReservation } from './model.js'

/**
 * A confirm needs this much hold time left: the DB commit must end before the seats can go
 * back on sale in Redis. (The fencing token covers the rest: a late commit loses in the DB.)
 */
const CONFIRM_MARGIN_MS = 500

export function createConfirm({ ports, events, options, log }: SeatingDeps, changes: Changes) {
  const { locker, index, store } = ports
  const expired = (holdId: string, why: string) =>
    new ApiError('HOLD_EXPIRED', `Hold ${holdId} ${why}`, { holdId })

  return async function confirm(holdId: string, assertOwner: (owner: string) => void) {
    const hold = await locker.get(holdId)
    if (!hold) throw expired(holdId, 'has expired or was released; its seats may be resold')
    assertOwner(hold.owner)
    if (hold.status === 'held' && hold.expiresAt - Date.now() < CONFIRM_MARGIN_MS) {
      throw expired(holdId, 'is expiring; hold the seats again')
    }
    const event = await events.get(hold.eventId)
    const limit = event ? perUserLimit(event, options.maxTicketsPerUser) : null
    let outcome: SeatCommitOutcome
    try {
      outcome = await store.commitHold({
        eventId: hold.eventId,
        hold,
        reservation: seatedReservation(hold, randomUUID(), limit, new Date()),
      })
    } catch (error) {
      if (error instanceof StaleHoldError) {
        throw new ApiError('STALE_HOLD', 'A newer hold on these seats was already committed', { holdId })
      }
      throw error
    }
    if (outcome.ok || outcome.code === 'ALREADY_COMMITTED') {
      if (outcome.ok) {
        // Committed: the rest cannot undo the sale. The seats stay taken in Redis, leave the
        // hold index, and the count and map caches move.
        await locker
          .confirm(hold.id, hold.owner)
          .catch((err) => log.warn({ err, holdId }, 'confirming a committed seat hold in Redis failed'))
        await index.remove(hold.eventId, hold.id).catch(() => {})
        await events.moved(hold.eventId, -outcome.seats.length)
        await changes.announce(hold.eventId, outcome.seats, 'sold')
      }
      return {
        statusCode: outcome.ok ? 201 : 200,
        data: { ...reservationData(outcome.reservation), holdId, seats: outcome.seats },
      }
    }
    switch (outcome.code) {
      case 'SEATS_TAKEN': {
        // The database has them sold though Redis let us hold them (Redis lost data): the hold is void.
        await locker.release(hold.id, hold.owner).catch(() => {})
        const gone = await index.remove(hold.eventId, hold.id).catch(() => null)
        if (gone) await changes.announce(hold.eventId, gone.seats, 'available')
        await changes.announce(hold.eventId, outcome.seats, 'sold')
        throw new ApiError('SEATS_UNAVAILABLE', `Seats already sold: ${outcome.seats.join(', ')}`, {
          seats: outcome.seats,
        })
      }
      case 'TICKET_LIMIT_EXCEEDED':
        // The hold's own seats are the ones held: the rest are reservations.
        throw ticketLimitExceeded(outcome.limit, { alreadyReserved: outcome.alreadyReserved, alreadyHeld: 0 })
      default:
        throw eventNotFound(hold.eventId)
    }
  }
}
