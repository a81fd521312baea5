// Reserved seating as one object for the routes: it wires the steps (one file each) over the
// ports it is handed. The composition roots (compose/) decide which adapters those are.
import { createSeatedCancel } from './cancel.js'
import { createChanges } from './changes.js'
import { createConfirm } from './confirm.js'
import type { SeatingDeps } from './deps.js'
import { createHoldSteps } from './holds.js'
import { createSeatMap } from './seat-map.js'

export type { SeatingOptions } from './deps.js'

/**
 * Reserved seating: seat holds (the guarantee), their confirmation into fenced reservations,
 * the seat map (a cached view), and the change feed that keeps pages live.
 */
export function createSeating(deps: SeatingDeps) {
  const changes = createChanges(deps)
  const map = createSeatMap(deps)
  const holds = createHoldSteps(deps, map, changes)
  return {
    maxStaleMs: deps.ports.maxStaleMs,
    saveLayout: map.saveLayout,
    isSeated: map.isSeated,
    mark: map.mark,
    seatMap: map.seatMap,
    ...holds,
    confirm: createConfirm(deps, changes),
    /** The seats of a seated reservation, or null for a GA one. */
    reservationSeats: (reservationId: string) => deps.ports.store.reservationSeats(reservationId),
    cancel: createSeatedCancel(deps, changes),
    onChange: changes.onChange,
    sweep: changes.sweep,
    start: changes.start,
    close: changes.close,
  }
}

export type SeatingService = ReturnType<typeof createSeating>
