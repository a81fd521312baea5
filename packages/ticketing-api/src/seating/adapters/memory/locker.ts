// Embedded seat holds, in one process's memory. They follow seat-lock's semantics
// (all-or-nothing, TTL, per-event fencing tokens), and pass the same contract suite.
import { randomBytes } from 'node:crypto'
import { type SeatHold, SeatsTakenError } from '../../model.js'
import type { SeatLocker } from '../../ports.js'

/** Confirmed holds are remembered this long, so a repeated confirm finds its reservation. */
const CONFIRMED_RETENTION_MS = 24 * 60 * 60 * 1000

export function createMemoryLocker(): SeatLocker {
  const holds = new Map<string, SeatHold>()
  /** eventId → seat → hold id (held or confirmed). */
  const seats = new Map<number, Map<string, string>>()
  const tokens = new Map<number, number>()
  const seatsOf = (eventId: number) => {
    let m = seats.get(eventId)
    if (!m) {
      m = new Map()
      seats.set(eventId, m)
    }
    return m
  }
  const live = (h: SeatHold | undefined, now = Date.now()) =>
    h && (h.status === 'confirmed' ? h.expiresAt + CONFIRMED_RETENTION_MS > now : h.expiresAt > now)
      ? h
      : undefined
  const drop = (h: SeatHold) => {
    const m = seatsOf(h.eventId)
    for (const s of h.seats) if (m.get(s) === h.id) m.delete(s)
    holds.delete(h.id)
  }
  return {
    async hold({ eventId, seats: wanted, owner, ttlMs }) {
      const m = seatsOf(eventId)
      const now = Date.now()
      const taken = wanted.filter((s) => {
        const id = m.get(s)
        if (!id) return false
        const h = holds.get(id)
        if (h?.status === 'confirmed') return true
        if (live(h, now)) return true
        if (h) drop(h)
        else m.delete(s)
        return false
      })
      if (taken.length > 0) throw new SeatsTakenError(taken)
      const token = (tokens.get(eventId) ?? 0) + 1
      tokens.set(eventId, token)
      const hold: SeatHold = {
        id: `${eventId}.${randomBytes(12).toString('base64url')}`,
        eventId,
        owner,
        seats: [...wanted],
        token,
        expiresAt: now + ttlMs,
        status: 'held',
      }
      holds.set(hold.id, hold)
      for (const s of wanted) m.set(s, hold.id)
      return { ...hold, seats: [...hold.seats] }
    },
    async get(holdId) {
      const h = live(holds.get(holdId))
      return h ? { ...h, seats: [...h.seats] } : null
    },
    async confirm(holdId, owner) {
      const h = live(holds.get(holdId))
      if (!h || h.owner !== owner) throw new Error(`hold ${holdId} has expired or was released`)
      h.status = 'confirmed'
    },
    async release(holdId, owner) {
      const h = live(holds.get(holdId))
      if (!h || h.status === 'confirmed' || h.owner !== owner) return false
      drop(h)
      return true
    },
    async free(eventId, list) {
      const m = seatsOf(eventId)
      for (const s of list) {
        const id = m.get(s)
        const h = id ? holds.get(id) : undefined
        if (h?.status === 'confirmed') m.delete(s)
      }
    },
  }
}
