import { randomBytes } from 'node:crypto'
import { type Admission, type AdmissionGate, CapacityUnknownError, NotAdmittedError } from '../../ports.js'

interface Counter {
  free: number
  /** Live admissions: id → units and expiry. Expired ones give their units back when next seen. */
  admitted: Map<string, { quantity: number; expiresAt: number }>
  token: number
}

/**
 * Embedded admission: the counting semaphore of seat-lock (free units, admissions with a TTL,
 * fencing tokens) in one process's memory, so that embedded mode answers sold-out the way
 * production does. The same contract suite runs against it and the Redis gate.
 */
export function createMemoryGate(): AdmissionGate {
  const counters = new Map<number, Counter>()
  const expire = (c: Counter, now = Date.now()) => {
    for (const [id, a] of c.admitted) {
      if (a.expiresAt > now) continue
      c.admitted.delete(id)
      c.free += a.quantity
    }
  }
  const counter = (eventId: number) => {
    const c = counters.get(eventId)
    if (!c) throw new CapacityUnknownError(String(eventId))
    expire(c)
    return c
  }
  const live = (c: Counter) => [...c.admitted.values()].reduce((n, a) => n + a.quantity, 0)
  return {
    kind: 'memory',
    async admit({ eventId, quantity, ttlMs }): Promise<Admission> {
      const c = counter(eventId)
      if (quantity > c.free) throw new NotAdmittedError(quantity, c.free)
      c.free -= quantity
      c.token++
      const id = `${eventId}.${randomBytes(12).toString('base64url')}`
      const expiresAt = Date.now() + ttlMs
      c.admitted.set(id, { quantity, expiresAt })
      return { id, token: c.token, quantity, validUntil: expiresAt }
    },
    async confirm(admission) {
      const c = counter(Number(admission.id.split('.')[0]))
      if (!c.admitted.delete(admission.id)) throw new Error(`admission ${admission.id} has expired`)
    },
    async release(admission) {
      const c = counters.get(Number(admission.id.split('.')[0]))
      const a = c?.admitted.get(admission.id)
      if (!c || !a) return
      c.admitted.delete(admission.id)
      c.free += a.quantity
    },
    async setCapacity(eventId, total) {
      counters.set(eventId, { free: total, admitted: new Map(), token: 0 })
    },
    async add(eventId, units) {
      const c = counters.get(eventId)
      if (c) c.free += units
    },
    async state(eventId) {
      const c = counters.get(eventId)
      if (!c) return null
      expire(c)
      return { available: c.free, admitted: live(c) }
    },
    async rebuild(eventId, available) {
      const c = counters.get(eventId) ?? { free: 0, admitted: new Map(), token: 0 }
      expire(c)
      c.free = Math.max(0, available - live(c))
      counters.set(eventId, c)
    },
  }
}
