// The one waiting room of a process (@ticketing/waiting-room), over the composition's queue
// store, its inventory bound wired to the sales counters and its events to the metrics.
import { createWaitingRoom, type WaitingRoom } from '@ticketing/waiting-room'
import type { QueueDeps } from './deps.js'

export function createRoom({ ports, metrics, log, events, options }: QueueDeps): WaitingRoom {
  const room = createWaitingRoom({
    store: ports.store,
    secret: options.secret,
    tickIntervalMs: options.tickIntervalMs,
    pollIntervalMs: options.pollIntervalMs,
    // Asked before each tick: admission stops while what remains is spoken for, and a
    // remaining of 0 marks the event sold out for every waiter (within 1.5 s).
    remaining: (eventId) => events.remaining(Number(eventId)),
  })
  room.on('error', (err) => log.warn({ err }, 'waiting room'))
  // Every instance ticks; each tick's admissions are its own (one atomic step), so sums add up.
  room.on('tick', (t) => {
    metrics.observe('QueueLength', t.queueLength)
    metrics.increment('QueueAdmissions', t.admitted)
    if (t.abandoned + t.expired > 0) metrics.increment('QueueAbandonedTurns', t.abandoned + t.expired)
  })
  room.on('admitted', (a) => metrics.observe('QueueWait', a.waitMs))
  return room
}
