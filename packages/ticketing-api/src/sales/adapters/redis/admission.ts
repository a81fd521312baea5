import type { SeatLock } from '@ticketing/seat-lock'
import { type AdmissionGate, CapacityUnknownError, NotAdmittedError } from '../../ports.js'

const codeOf = (e: unknown) => (e as { code?: string } | null)?.code

/**
 * The admission gate over @ticketing/seat-lock's counting semaphore: one Lua call admits or
 * refuses (sold-out is answered here, at Redis speed), and the admission's fencing token goes
 * to the DB row.
 */
export function createSeatLockGate(lock: SeatLock): AdmissionGate {
  const id = (eventId: number) => String(eventId)
  return {
    kind: 'seat-lock',
    async admit({ eventId, quantity, owner, ttlMs }) {
      try {
        const h = await lock.holdQuantity({ eventId: id(eventId), quantity, owner, ttlMs })
        return { id: h.id, token: h.token, quantity: h.quantity, validUntil: h.validUntil }
      } catch (error) {
        if (codeOf(error) === 'E_INSUFFICIENT_CAPACITY') {
          const e = error as { requested: number; available: number }
          throw new NotAdmittedError(e.requested ?? quantity, e.available ?? 0)
        }
        if (codeOf(error) === 'E_CAPACITY_NOT_SET') throw new CapacityUnknownError(String(eventId))
        throw error
      }
    },
    async confirm(admission) {
      await lock.confirm(admission.id)
    },
    async release(admission) {
      await lock.release(admission.id)
    },
    async setCapacity(eventId, total) {
      await lock.capacity.set(id(eventId), total)
    },
    async add(eventId, units) {
      try {
        await lock.capacity.add(id(eventId), units)
      } catch (error) {
        // No counter (Redis lost it): the next admission rebuilds it from MySQL, which already
        // counts these units.
        if (codeOf(error) !== 'E_CAPACITY_NOT_SET') throw error
      }
    },
    async state(eventId) {
      const s = await lock.capacity.get(id(eventId))
      return s ? { available: s.available, admitted: s.held } : null
    },
    async rebuild(eventId, available) {
      await lock.capacity.rebuild(id(eventId), available)
    },
  }
}
