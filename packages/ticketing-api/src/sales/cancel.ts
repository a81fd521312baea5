// Cancelling a general-admission reservation: the store flips its status exactly once, and only
// that caller returns the units to admission and the cached count.
import { cancelRefused } from '../errors.js'
import type { Counters } from './counters.js'
import type { SalesDeps } from './deps.js'
import type { ReservationRecord } from './model.js'

export function createCancel({ ports, log }: SalesDeps, counters: Counters) {
  const { store, gate, cache } = ports
  return async function cancel(reservationId: string): Promise<ReservationRecord> {
    const outcome = await store.cancelReservation(reservationId)
    if (!outcome.ok) throw cancelRefused(reservationId, outcome.code)
    const r = outcome.reservation
    await Promise.all([
      gate.add(r.eventId, r.quantity).catch(async (e) => {
        log.warn({ err: e, eventId: r.eventId }, 'returning units to admission failed; rebuilding')
        await counters.rebuild(r.eventId).catch(() => {})
      }),
      cache.applyDelta(r.eventId, r.quantity).catch(() => cache.invalidate(r.eventId).catch(() => {})),
    ])
    return r
  }
}
