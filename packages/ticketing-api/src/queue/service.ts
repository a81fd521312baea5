// The waiting room as one object for the routes: the library's room over the composition's
// queue store, and the steps (one file each). The composition roots decide the adapters.

import { createAdmission } from './admission.js'
import { createBoard } from './board.js'
import type { QueueDeps } from './deps.js'
import { createHealth } from './health.js'
import { createJoin } from './join.js'
import { createLeave } from './leave.js'
import type { QueueSettings } from './model.js'
import { createOpen } from './open.js'
import { createRoom } from './room.js'
import { createStatus } from './status.js'
import { createWatch } from './watch.js'

export type { QueueOptions } from './deps.js'

/**
 * Virtual waiting room of queued events (README "Waiting room"): join, status, leave and a
 * live stream for the waiters; the admission-token check and completion for the sale's routes.
 * Every instance ticks the admission controller (coordinated by the store; no leader).
 */
export function createQueue(deps: QueueDeps) {
  const room = createRoom(deps)
  const open = createOpen(room)
  const watch = createWatch(room)
  const admission = createAdmission(room, deps.log)
  const health = createHealth(room, deps.log)
  return {
    room,
    /** The event, if it exists (its `queue` says whether it is queued). */
    event: (eventId: number) => deps.events.get(eventId),
    /** A new queued event's queue (its settings are already in the event's record). */
    open: (eventId: number, settings: QueueSettings) => open.open(eventId, settings),
    join: createJoin(room, open),
    status: createStatus(room, open),
    board: createBoard(room, open),
    leave: createLeave(room, open),
    watch: watch.watch,
    check: admission.check,
    complete: admission.complete,
    /** An answered sale (reservation, hold confirmation): the health signal's input. */
    observeSale: health.observe,
    reportHealth: health.report,
    start() {
      room.start()
      health.start()
    },
    async close() {
      health.close()
      watch.close()
      await room.close()
    },
  }
}

export type QueueService = ReturnType<typeof createQueue>
