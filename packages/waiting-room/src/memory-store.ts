import { createShuffler } from './shuffle.js'
import type {
  Adjustment,
  ClaimResult,
  EventSettings,
  EventState,
  JoinResult,
  QueueStore,
  TickResult,
  TurnState,
} from './store.js'

interface MemoryEvent {
  settings: EventSettings
  startedAt: number | null
  preCount: number
  shuffleKeys: string
  joined: number
  served: number
  visitors: Map<string, number>
  left: Set<number>
  /** ticket -> deadline */
  active: Map<number, number>
  turns: Map<number, 'h' | 'c' | 'x'>
  remaining: number | null
  soldOut: boolean
  health: number
  healthUntil: number
  bucket: number
  bucketAt: number
  admittedTotal: number
  abandonedTotal: number
  expiredTotal: number
  completedTotal: number
}

/**
 * The in-memory adapter of the queue port, for one process (the API's embedded mode, tests).
 * Each method runs synchronously to completion, which makes it as atomic as the Redis scripts;
 * it mirrors them step for step (see scripts.ts for the rules).
 */
export function createMemoryQueueStore(): QueueStore {
  const events = new Map<string, MemoryEvent>()

  const startIfDue = (e: MemoryEvent, now: number, keys: string) => {
    if (e.startedAt !== null || now < e.settings.startsAt) return
    Object.assign(e, { startedAt: now, preCount: e.joined, shuffleKeys: keys, bucketAt: now, bucket: 0 })
  }
  const ticketOf = (e: MemoryEvent, index: number) =>
    e.startedAt === null ? null : createShuffler(e.preCount, e.shuffleKeys).ticket(index)

  return {
    async openEvent(eventId: string, settings: EventSettings) {
      const e = events.get(eventId)
      if (e) {
        e.settings = { ...settings }
        return
      }
      events.set(eventId, {
        settings: { ...settings },
        startedAt: null,
        preCount: 0,
        shuffleKeys: '',
        joined: 0,
        served: 0,
        visitors: new Map(),
        left: new Set(),
        active: new Map(),
        turns: new Map(),
        remaining: null,
        soldOut: false,
        health: 1,
        healthUntil: 0,
        bucket: 0,
        bucketAt: 0,
        admittedTotal: 0,
        abandonedTotal: 0,
        expiredTotal: 0,
        completedTotal: 0,
      })
    },

    async deleteEvent(eventId: string) {
      events.delete(eventId)
    },

    async events() {
      return [...events.keys()]
    },

    async state(eventId: string): Promise<EventState | null> {
      const e = events.get(eventId)
      if (!e) return null
      const now = Date.now()
      return {
        ...e.settings,
        now,
        startedAt: e.startedAt,
        preCount: e.preCount,
        shuffleKeys: e.shuffleKeys,
        joined: e.joined,
        served: e.served,
        leftWaiting: e.left.size,
        active: e.active.size,
        remaining: e.remaining,
        soldOut: e.soldOut,
        healthFactor: e.healthUntil > now ? e.health : 1,
        admittedTotal: e.admittedTotal,
        abandonedTotal: e.abandonedTotal,
        expiredTotal: e.expiredTotal,
        completedTotal: e.completedTotal,
      }
    },

    async join(eventId: string, visitorId: string, shuffleKeys: string): Promise<JoinResult> {
      const e = events.get(eventId)
      if (!e) return { outcome: 'not_found' }
      const now = Date.now()
      if (now < e.settings.opensAt) return { outcome: 'not_open', opensAt: e.settings.opensAt }
      const existing = e.visitors.get(visitorId)
      if (existing !== undefined) return { outcome: 'rejoined', index: existing, now }
      if (e.soldOut) return { outcome: 'sold_out' }
      startIfDue(e, now, shuffleKeys)
      const index = e.joined++
      e.visitors.set(visitorId, index)
      return { outcome: 'joined', index, now }
    },

    async leave(eventId: string, visitorId: string) {
      const e = events.get(eventId)
      const index = e?.visitors.get(visitorId)
      if (!e || index === undefined) return false
      const ticket = ticketOf(e, index)
      if (ticket !== null && ticket < e.served && e.turns.get(ticket) === 'c') return false
      e.visitors.delete(visitorId)
      if (ticket !== null && ticket < e.served) {
        if (e.active.delete(ticket)) e.turns.set(ticket, 'x')
      } else {
        e.left.add(index)
      }
      return true
    },

    async claim(eventId: string, visitorId: string, index: number): Promise<ClaimResult> {
      const e = events.get(eventId)
      if (!e || e.visitors.get(visitorId) !== index) return { outcome: 'not_in_queue' }
      const now = Date.now()
      const ticket = ticketOf(e, index)
      if (ticket === null || ticket >= e.served) return { outcome: 'waiting' }
      const turn = e.turns.get(ticket)
      if (turn === 'c') return { outcome: 'completed', ticket }
      if (turn === 'x') return { outcome: 'expired', ticket }
      const deadline = e.active.get(ticket)
      if (deadline === undefined || deadline <= now) return { outcome: 'expired', ticket }
      if (turn === 'h') return { outcome: 'held', ticket, expiresAt: deadline, first: false }
      const expiresAt = now + e.settings.turnMs
      e.active.set(ticket, expiresAt)
      e.turns.set(ticket, 'h')
      return { outcome: 'held', ticket, expiresAt, first: true }
    },

    async complete(eventId: string, ticket: number) {
      const e = events.get(eventId)
      const turn = e?.turns.get(ticket)
      if (turn === 'c') return 'already'
      if (!e || turn !== 'h') return 'not_held'
      e.active.delete(ticket)
      e.turns.set(ticket, 'c')
      e.completedTotal++
      return 'completed'
    },

    async turn(eventId: string, ticket: number): Promise<TurnState> {
      const e = events.get(eventId)
      const turn = e?.turns.get(ticket)
      if (turn === 'c') return { state: 'completed' }
      const deadline = e?.active.get(ticket)
      if (turn === 'h' && deadline !== undefined && deadline > Date.now())
        return { state: 'held', expiresAt: deadline }
      return { state: 'released' }
    },

    async tick(
      eventId: string,
      input: { remaining?: number; shuffleKeys: string },
    ): Promise<TickResult | null> {
      const e = events.get(eventId)
      if (!e) return null
      const now = Date.now()
      startIfDue(e, now, input.shuffleKeys)
      if (input.remaining !== undefined) e.remaining = input.remaining
      let abandoned = 0
      let expired = 0
      for (const [ticket, deadline] of e.active) {
        if (deadline > now) continue
        e.active.delete(ticket)
        if (e.turns.get(ticket) === 'h') expired++
        else abandoned++
        e.turns.set(ticket, 'x')
      }
      const active = e.active.size
      if (!e.soldOut && e.remaining !== null && e.remaining <= 0) e.soldOut = true
      let admitted = 0
      if (e.startedAt !== null && !e.soldOut) {
        const { admitPerMinute: rate, maxActiveBuyers, claimMs, unitsPerBuyer } = e.settings
        const health = e.healthUntil > now ? e.health : 1
        const bucket = Math.min(
          Math.max(1, rate / 6),
          e.bucket + (Math.max(0, now - e.bucketAt) * rate * health) / 60000,
        )
        let budget = Math.min(maxActiveBuyers - active, Math.floor(bucket))
        if (e.remaining !== null) budget = Math.min(budget, Math.floor(e.remaining / unitsPerBuyer) - active)
        const shuffler = createShuffler(e.preCount, e.shuffleKeys)
        let skipped = 0
        while (admitted < budget && e.served < e.joined && skipped < 10_000) {
          const ticket = e.served++
          if (e.left.delete(shuffler.index(ticket))) skipped++
          else {
            e.active.set(ticket, now + claimMs)
            admitted++
          }
        }
        Object.assign(e, { bucket: bucket - admitted, bucketAt: now })
      }
      e.admittedTotal += admitted
      e.abandonedTotal += abandoned
      e.expiredTotal += expired
      return {
        admitted,
        abandoned,
        expired,
        served: e.served,
        active: active + admitted,
        waiting: e.joined - e.served - e.left.size,
        soldOut: e.soldOut,
        started: e.startedAt !== null,
        now,
      }
    },

    async adjust(eventId: string, change: Adjustment) {
      const e = events.get(eventId)
      if (!e) return false
      if ('remaining' in change) {
        e.remaining = change.remaining
        if (change.remaining !== null) e.soldOut = change.remaining <= 0
      } else if ('soldOut' in change) {
        e.soldOut = true
      } else {
        e.health = change.healthFactor
        e.healthUntil = Date.now() + change.ttlMs
      }
      return true
    },
  }
}
