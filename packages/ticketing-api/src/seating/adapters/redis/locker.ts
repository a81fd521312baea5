// Seat holds on @ticketing/seat-lock (holdSeats): the guarantee that no seat is held twice.
import {
  HoldExpiredError,
  InvalidArgumentError,
  NotOwnerError,
  type SeatLock,
  SeatsUnavailableError,
} from '@ticketing/seat-lock'
import { SeatsTakenError } from '../../model.js'
import type { SeatLocker } from '../../ports.js'

/** Seat holds over the composition's one SeatLock (shared with general-admission admission). */
export function createSeatLockLocker(lock: SeatLock): SeatLocker {
  return {
    async hold({ eventId, seats, owner, ttlMs }) {
      try {
        const h = await lock.holdSeats({ eventId: String(eventId), seats, owner, ttlMs })
        return { ...h, eventId, seats: [...h.seats], status: 'held' }
      } catch (error) {
        if (error instanceof SeatsUnavailableError) throw new SeatsTakenError(error.seats)
        throw error
      }
    },
    async get(holdId) {
      try {
        const h = await lock.get(holdId)
        return h && { ...h, eventId: Number(h.eventId), seats: [...h.seats] }
      } catch (error) {
        if (error instanceof InvalidArgumentError) return null
        throw error
      }
    },
    async confirm(holdId, owner) {
      await lock.confirm(holdId, owner)
    },
    async release(holdId, owner) {
      try {
        return await lock.release(holdId, owner)
      } catch (error) {
        // Gone, or not the caller's: nothing was released (the contract's false).
        if (error instanceof HoldExpiredError || error instanceof NotOwnerError) return false
        throw error
      }
    },
    async free(eventId, seats) {
      await lock.freeSeats(String(eventId), seats)
    },
  }
}
