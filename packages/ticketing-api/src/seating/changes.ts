// The change feed that keeps pages live: every seat change drops the cached map and is
// published to every instance; the sweeper announces holds that expired.
import type { SeatingDeps } from './deps.js'
import type { SeatChange, SeatState } from './model.js'

export function createChanges({ ports, options, log }: SeatingDeps) {
  const { bus, snapshots, index } = ports
  const listeners = new Map<number, Set<(change: SeatChange) => void>>()
  bus.subscribe((change) => {
    for (const l of listeners.get(change.eventId) ?? []) l(change)
  })

  /** Every seat change: drop the cached map first, so a page reacting to the message reads fresh. */
  async function announce(eventId: number, seats: readonly string[], state: SeatState) {
    if (seats.length === 0) return
    await snapshots
      .invalidate(eventId)
      .catch((err) => log.warn({ err, eventId }, 'seat map invalidation failed'))
    const changes: Record<string, SeatState> = {}
    for (const s of seats) changes[s] = state
    await bus
      .publish({ eventId, changes })
      .catch((err) => log.warn({ err, eventId }, 'seat change not published'))
  }

  /** Listens to one event's seat changes (from every instance). Returns the unsubscribe. */
  function onChange(eventId: number, listener: (change: SeatChange) => void) {
    let set = listeners.get(eventId)
    if (!set) {
      set = new Set()
      listeners.set(eventId, set)
    }
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) listeners.delete(eventId)
    }
  }

  let timer: NodeJS.Timeout | undefined
  let sweeping = false
  /** Announces the holds that expired (each one by exactly one instance's sweep). */
  async function sweep(): Promise<number> {
    if (sweeping) return 0
    sweeping = true
    try {
      const expired = await index.sweep()
      await Promise.all(expired.map((h) => announce(h.eventId, h.seats, 'available')))
      return expired.length
    } finally {
      sweeping = false
    }
  }

  return {
    announce,
    onChange,
    sweep,
    start() {
      timer = setInterval(() => {
        sweep().catch((err) => log.warn({ err }, 'hold sweep failed'))
      }, options.sweepIntervalMs ?? 250)
      timer.unref()
    },
    async close() {
      if (timer) clearInterval(timer)
      listeners.clear()
      await bus.close()
    },
  }
}

export type Changes = ReturnType<typeof createChanges>
