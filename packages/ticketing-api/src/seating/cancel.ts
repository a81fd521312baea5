// Cancelling a seated reservation: exactly its seats return, after the DB commit.
import { cancelRefused } from '../errors.js'
import type { Changes } from './changes.js'
import type { SeatingDeps } from './deps.js'

export function createSeatedCancel({ ports, events, log }: SeatingDeps, changes: Changes) {
  const { locker, store } = ports
  return async function cancel(reservationId: string) {
    const outcome = await store.cancel(reservationId)
    if (!outcome.ok) throw cancelRefused(reservationId, outcome.code)
    const { reservation, seats } = outcome
    await locker
      .free(reservation.eventId, seats)
      .catch((err) => log.warn({ err, reservationId }, 'freeing cancelled seats in Redis failed'))
    await events.moved(reservation.eventId, seats.length)
    await changes.announce(reservation.eventId, seats, 'available')
    return { reservation, seats }
  }
}
