// Seat holds: all-or-nothing, for a TTL, capped per buyer; read and released by their owner.
import { ApiError, ticketLimitExceeded, validationError } from '../errors.js'
import { perUserLimit } from '../sales/limits.js'
import type { Changes } from './changes.js'
import type { SeatingDeps } from './deps.js'
import { type ListedHold, type SeatHold, SeatsTakenError } from './model.js'
import type { SeatMap } from './seat-map.js'

/** The answer of a hold (also what a repeat of the same hold gets back). */
const holdData = (h: Pick<SeatHold, 'id' | 'eventId' | 'owner' | 'seats' | 'expiresAt'>, ttlMs: number) => ({
  holdId: h.id,
  eventId: h.eventId,
  userId: h.owner,
  seats: h.seats,
  expiresAt: new Date(h.expiresAt).toISOString(),
  ttlMs,
})

const sameSeats = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',')

export function createHoldSteps(deps: SeatingDeps, map: SeatMap, changes: Changes) {
  const { ports, options, log } = deps
  const { locker, index, store } = ports

  /** The live hold, if the caller may see it (`assertOwner` throws otherwise). */
  async function ownedHold(holdId: string, assertOwner: (owner: string) => void) {
    const hold = await locker.get(holdId)
    if (!hold) {
      throw new ApiError(
        'HOLD_NOT_FOUND',
        `Hold ${holdId} not found: it expired, was released or never existed`,
        {
          holdId,
        },
      )
    }
    assertOwner(hold.owner)
    return hold
  }

  /**
   * One buyer cannot hold the house: with a per-user limit, their tickets + live held seats +
   * these must fit it; without one, their live held seats must fit one hold's worth. A buyer
   * repeating exactly their live hold (an answer lost on the way) gets that hold back.
   */
  async function checkBuyer(eventId: number, userId: string, seats: string[], limit: number | null) {
    const held = await index.heldBy(eventId, userId)
    if (held > 0) {
      const now = Date.now()
      const same = (await index.list(eventId)).find(
        (h) => h.owner === userId && h.expiresAt > now && sameSeats(h.seats, seats),
      )
      if (same) return same
    }
    const reserved = limit === null ? 0 : await store.reservedBy(eventId, userId)
    const cap = limit ?? options.maxSeatsPerHold
    if (reserved + held + seats.length > cap) {
      throw ticketLimitExceeded(cap, { alreadyReserved: reserved, alreadyHeld: held })
    }
    return undefined
  }

  return {
    /** All-or-nothing hold of named seats for `userId`. */
    async hold(eventId: number, userId: string, seats: string[]) {
      const { event, ids } = await map.seatedEvent(eventId)
      if (new Set(seats).size !== seats.length) throw validationError('seats', 'a seat is listed twice')
      if (seats.length > options.maxSeatsPerHold) {
        throw validationError('seats', `at most ${options.maxSeatsPerHold} seats per hold`)
      }
      const unknown = seats.filter((s) => !ids.has(s))
      if (unknown.length > 0) throw validationError('seats', `not seats of this event: ${unknown.join(', ')}`)
      const repeat = await checkBuyer(eventId, userId, seats, perUserLimit(event, options.maxTicketsPerUser))
      if (repeat) return { ...holdData(repeat, options.ttlMs), replayed: true }
      let hold: SeatHold
      try {
        hold = await locker.hold({ eventId, seats, owner: userId, ttlMs: options.ttlMs })
      } catch (error) {
        if (error instanceof SeatsTakenError) {
          throw new ApiError('SEATS_UNAVAILABLE', `Seats already held or sold: ${error.seats.join(', ')}`, {
            seats: [...error.seats],
          })
        }
        throw error
      }
      const listed: ListedHold = {
        id: hold.id,
        eventId,
        owner: userId,
        seats: hold.seats,
        expiresAt: hold.expiresAt,
      }
      await index
        .add(listed)
        .catch((err) => log.warn({ err, holdId: hold.id }, 'hold not indexed: the map shows its seats late'))
      await changes.announce(eventId, hold.seats, 'held')
      return { ...holdData(listed, options.ttlMs), replayed: false }
    },

    /** The hold as the lock has it (owner or admin). */
    async getHold(holdId: string, assertOwner: (owner: string) => void) {
      const h = await ownedHold(holdId, assertOwner)
      const { ttlMs: _, ...data } = holdData(h, 0)
      return { ...data, status: h.status }
    },

    /** Releases a live hold; its seats are back on sale at once. */
    async release(holdId: string, assertOwner: (owner: string) => void) {
      const hold = await ownedHold(holdId, assertOwner)
      if (hold.status === 'confirmed') {
        throw new ApiError('HOLD_CONFIRMED', 'This hold was confirmed: cancel the reservation instead', {
          holdId,
        })
      }
      if (!(await locker.release(hold.id, hold.owner))) {
        throw new ApiError('HOLD_NOT_FOUND', `Hold ${holdId} not found: it expired or was released`, {
          holdId,
        })
      }
      await index.remove(hold.eventId, hold.id).catch(() => {})
      await changes.announce(hold.eventId, hold.seats, 'available')
      return { holdId, eventId: hold.eventId, seats: hold.seats, released: true }
    },
  }
}
