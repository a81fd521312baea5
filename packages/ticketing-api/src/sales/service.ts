// The sales feature as one object for the routes: it wires the steps (one file each) over the
// ports it is handed. The composition roots (compose/) decide which adapters those are.
import { createCancel } from './cancel.js'
import { createCounters } from './counters.js'
import type { SalesDeps } from './deps.js'
import { createEventSteps } from './events.js'
import { createGroupCommit } from './group-commit.js'
import { createIdempotency, externalClaims, storeClaims } from './idempotency.js'
import { createReserve } from './reserve.js'

export type { SalesOptions } from './deps.js'

/**
 * The on-sale path. Admission (a Redis counting semaphore in production) answers sold-out
 * without touching MySQL; admitted requests of one event are committed together by a group
 * commit (one transaction, many reservations) and each is acknowledged only after its batch
 * committed.
 */
export function createSales(deps: SalesDeps) {
  const { store, claims } = deps.ports
  const leases = { leaseMs: deps.options.admissionTtlMs * 2, waitMs: deps.options.admissionTtlMs }
  // Reservations claim their keys where the composition keeps claims (Redis); events in the store.
  const eventKeys = createIdempotency(storeClaims(store.keys), leases)
  const reservationKeys = claims ? createIdempotency(externalClaims(claims), leases) : eventKeys
  const counters = createCounters(deps)
  const commits = createGroupCommit(deps, counters)
  const events = createEventSteps(deps, eventKeys)
  return {
    ...events,
    reserve: createReserve(deps, {
      counters,
      commits,
      keys: reservationKeys,
      eventStatics: events.eventStatics,
    }),
    cancel: createCancel(deps, counters),
    getReservation: (reservationId: string) => store.getReservation(reservationId),
    listUserReservations: (userId: string) => store.listUserReservations(userId),
    rebuild: counters.rebuild,
    reconcile: counters.reconcile,
    drain: commits.drain,
  }
}

export type SalesService = ReturnType<typeof createSales>
