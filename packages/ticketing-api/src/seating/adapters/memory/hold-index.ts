// The embedded hold index: live holds per event in a Map.
import type { ListedHold } from '../../model.js'
import type { HoldIndex } from '../../ports.js'

export function createMemoryIndex(): HoldIndex {
  const byEvent = new Map<number, Map<string, ListedHold>>()
  return {
    async add(hold) {
      let m = byEvent.get(hold.eventId)
      if (!m) {
        m = new Map()
        byEvent.set(hold.eventId, m)
      }
      m.set(hold.id, { ...hold, seats: [...hold.seats] })
    },
    async remove(eventId, holdId) {
      const m = byEvent.get(eventId)
      const h = m?.get(holdId)
      if (!h) return null
      m!.delete(holdId)
      return h
    },
    async list(eventId) {
      return [...(byEvent.get(eventId)?.values() ?? [])]
    },
    async heldBy(eventId, owner) {
      let n = 0
      for (const h of byEvent.get(eventId)?.values() ?? []) if (h.owner === owner) n += h.seats.length
      return n
    },
    async sweep() {
      const now = Date.now()
      const out: ListedHold[] = []
      for (const m of byEvent.values()) {
        for (const [id, h] of m) {
          if (h.expiresAt <= now) {
            m.delete(id)
            out.push(h)
          }
        }
      }
      return out
    },
  }
}
