import { randomUUID } from 'node:crypto'
import { decideBatch, limitedBuyers } from '../../allocate.js'
import {
  type CancelOutcome,
  type ClaimRecord,
  type EventRecord,
  eventRecord,
  IdempotencyClaimLostError,
  type IdempotencyRef,
  type KeyAnswer,
  type ReservationRecord,
  type StoredResponse,
} from '../../model.js'
import type { SalesStore } from '../../ports.js'

interface KeyEntry {
  hash: string
  claimedAt: number
  /** The current claim's fencing token (see IdempotencyRef.claimId). */
  claimId?: string
  eventId?: number
  response?: StoredResponse
}

/**
 * The embedded system of record: plain maps. Every method runs to completion without awaiting
 * (but for the caller's before-commit work, awaited first), so each one is atomic on Node's
 * single thread — the guarantees the MySQL store gets from transactions, for one process only.
 */
export function createMemorySalesStore(): SalesStore {
  const events = new Map<number, EventRecord>()
  const reservations = new Map<string, ReservationRecord>()
  const byUser = new Map<string, ReservationRecord[]>()
  const keys = new Map<string, KeyEntry>()
  const admissions = new Set<string>()
  let nextEventId = 1
  const keyOf = (ref: Pick<IdempotencyRef, 'scope' | 'key'>) => `${ref.scope}\u0000${ref.key}`
  const copy = <T extends object>(o: T): T => ({ ...o })
  /**
   * True when `ref` no longer holds its key: taken over by a retry, or already answered. A key
   * claimed elsewhere (Redis) has no entry here until its sale: any entry means it lost.
   */
  const claimLost = (ref: IdempotencyRef) => {
    const e = keys.get(keyOf(ref))
    if (ref.claimedIn === 'redis') return e !== undefined
    return !e || e.response !== undefined || e.claimId !== ref.claimId
  }
  const toRecord = (e: KeyEntry): ClaimRecord =>
    e.response ? { state: 'done', hash: e.hash, response: e.response } : { state: 'pending', hash: e.hash }
  const answer = ({ ref, response }: KeyAnswer) =>
    keys.set(keyOf(ref), { hash: ref.hash, claimedAt: Date.now(), eventId: ref.eventId, response })
  const reservedBy = (eventId: number, userId: string) =>
    (byUser.get(userId) ?? [])
      .filter((x) => x.eventId === eventId && x.status === 'CONFIRMED')
      .reduce((a, x) => a + x.quantity, 0)

  return {
    async ping() {},
    async createEvent(input, idempotency) {
      if (idempotency && claimLost(idempotency.ref)) throw new IdempotencyClaimLostError()
      const event = eventRecord(nextEventId++, input)
      events.set(event.eventId, event)
      if (idempotency) answer({ ref: idempotency.ref, response: idempotency.answer(copy(event)) })
      return copy(event)
    },
    async getEvent(eventId) {
      const e = events.get(eventId)
      return e && copy(e)
    },
    async listEvents({ offset, limit, availableOnly }) {
      const all = [...events.values()].filter((e) => !availableOnly || e.availableSeats > 0)
      return { items: all.slice(offset, offset + limit).map(copy), total: all.length }
    },
    async availability(eventIds) {
      const ids = eventIds ?? [...events.keys()]
      return ids.flatMap((id) => {
        const e = events.get(id)
        return e ? [{ eventId: id, availableSeats: e.availableSeats }] : []
      })
    },
    async getReservation(id) {
      const r = reservations.get(id)
      return r && copy(r)
    },
    async listUserReservations(userId) {
      return (byUser.get(userId) ?? []).map(copy).reverse()
    },
    async commitReservations(eventId, batch, beforeCommit) {
      await beforeCommit
      const event = events.get(eventId)
      for (const p of batch)
        if (admissions.has(p.admissionId)) throw new Error(`admission ${p.admissionId} was already committed`)
      const lost = new Set(
        batch.flatMap((p, i) => (p.idempotency && claimLost(p.idempotency.ref) ? [i] : [])),
      )
      const reserved = new Map(limitedBuyers(batch).map((u) => [u, reservedBy(eventId, u)]))
      const decision = decideBatch({ eventId, event, batch, lost, reserved })
      if (event) event.availableSeats -= decision.taken
      for (const { pending, reservation } of decision.accepted) {
        admissions.add(pending.admissionId)
        reservations.set(reservation.reservationId, reservation)
        const list = byUser.get(pending.userId) ?? []
        list.push(reservation)
        byUser.set(pending.userId, list)
        if (pending.idempotency) answer(pending.idempotency)
      }
      return decision.outcomes.map((o) => (o.ok ? { ok: true, reservation: copy(o.reservation) } : o))
    },
    async cancelReservation(id): Promise<CancelOutcome> {
      const r = reservations.get(id)
      if (!r) return { ok: false, code: 'RESERVATION_NOT_FOUND' }
      if (r.status === 'CANCELLED') return { ok: false, code: 'ALREADY_CANCELLED', reservation: copy(r) }
      r.status = 'CANCELLED'
      r.cancelledAt = new Date().toISOString()
      const event = events.get(r.eventId)
      if (event) event.availableSeats += r.quantity
      return { ok: true, reservation: copy(r) }
    },
    keys: {
      async claim(ref, leaseMs) {
        const k = keyOf(ref)
        const e = keys.get(k)
        if (e && (e.response || Date.now() - e.claimedAt < leaseMs)) return toRecord(e)
        const claimId = randomUUID()
        keys.set(k, { hash: ref.hash, claimedAt: Date.now(), claimId, eventId: ref.eventId })
        return { state: 'claimed', claimId }
      },
      async release(ref) {
        const k = keyOf(ref)
        const e = keys.get(k)
        if (e && !e.response && e.claimId === ref.claimId) keys.delete(k)
      },
      async get(ref) {
        const e = keys.get(keyOf(ref))
        return e && toRecord(e)
      },
      async answersOfEvent(eventId) {
        const out: KeyAnswer[] = []
        for (const [k, e] of keys) {
          if (e.eventId !== eventId || !e.response) continue
          const [scope, key] = k.split('\u0000') as [IdempotencyRef['scope'], string]
          out.push({ ref: { scope, key, hash: e.hash, eventId }, response: e.response })
        }
        return out
      },
    },
  }
}
