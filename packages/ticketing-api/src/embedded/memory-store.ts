import { randomUUID } from 'node:crypto'
import {
  type CancelOutcome,
  type CommitOutcome,
  type EventRecord,
  type IdempotencyClaim,
  IdempotencyClaimLostError,
  type IdempotencyRef,
  type NewEvent,
  type PendingReservation,
  type ReservationRecord,
  type Store,
  type StoredResponse,
} from '../ports/index.js'
import { allocate } from '../services/allocate.js'
import { eventData, reservationData } from '../services/presenters.js'

interface IdemEntry {
  hash: string
  claimedAt: number
  /** The current claim's fencing token (see IdempotencyRef.claimId). */
  claimId?: string
  response?: StoredResponse
}

/**
 * The embedded system of record: plain maps. Every method runs to completion without awaiting,
 * so each one is atomic on Node's single thread — the same guarantees the MySQL store gets from
 * transactions, for one process only.
 */
export function createMemoryStore(): Store {
  const events = new Map<number, EventRecord>()
  const reservations = new Map<string, ReservationRecord>()
  const byUser = new Map<string, ReservationRecord[]>()
  const idem = new Map<string, IdemEntry>()
  const holds = new Set<string>()
  let nextEventId = 1
  const idemKey = (ref: Pick<IdempotencyRef, 'scope' | 'key'>) => `${ref.scope}\u0000${ref.key}`
  const copy = <T extends object>(o: T): T => ({ ...o })
  /** True when `ref` no longer holds its key: taken over by a retry, or already answered. */
  const claimLost = (ref: IdempotencyRef) => {
    const e = idem.get(idemKey(ref))
    return !e || e.response !== undefined || e.claimId !== ref.claimId
  }
  const toClaim = (e: IdemEntry): Exclude<IdempotencyClaim, { state: 'claimed' }> =>
    e.response ? { state: 'done', hash: e.hash, response: e.response } : { state: 'pending', hash: e.hash }

  return {
    async ping() {},
    async createEvent(input: NewEvent, ref?: IdempotencyRef) {
      if (ref && claimLost(ref)) throw new IdempotencyClaimLostError()
      const event: EventRecord = {
        eventId: nextEventId++,
        eventName: input.eventName,
        totalSeats: input.totalSeats,
        availableSeats: input.totalSeats,
        eventDate: input.eventDate,
        price: input.price ?? null,
        venue: input.venue ?? null,
        maxTicketsPerUser: input.maxTicketsPerUser ?? null,
      }
      events.set(event.eventId, event)
      if (ref)
        idem.set(idemKey(ref), {
          hash: ref.hash,
          claimedAt: Date.now(),
          response: { statusCode: 201, data: eventData(event) },
        })
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
      return (byUser.get(userId) ?? []).map(copy)
    },
    async commitReservations(eventId, all: PendingReservation[], beforeCommit): Promise<CommitOutcome[]> {
      await beforeCommit
      const event = events.get(eventId)
      if (!event) return all.map(() => ({ ok: false, code: 'EVENT_NOT_FOUND' }))
      const lost = new Set(all.flatMap((r, i) => (r.idempotency && claimLost(r.idempotency) ? [i] : [])))
      const batch = all.filter((_, i) => !lost.has(i))
      const held = new Map<string, number>()
      for (const r of batch) {
        if (r.limit === null || held.has(r.userId)) continue
        const sum = (byUser.get(r.userId) ?? [])
          .filter((x) => x.eventId === eventId && x.status === 'CONFIRMED')
          .reduce((a, x) => a + x.quantity, 0)
        held.set(r.userId, sum)
      }
      for (const r of batch)
        if (holds.has(r.holdId)) throw new Error(`hold ${r.holdId} was already committed`)
      const { decisions, taken } = allocate(event.availableSeats, batch, held)
      event.availableSeats -= taken
      const outcomes = decisions.map((d, i): CommitOutcome => {
        if (!d.ok) return d
        const p = batch[i]!
        holds.add(p.holdId)
        const record: ReservationRecord = {
          reservationId: p.reservationId,
          eventId,
          eventName: event.eventName,
          userId: p.userId,
          quantity: p.quantity,
          status: 'CONFIRMED',
          reservationTime: p.reservationTime.toISOString(),
          cancelledAt: null,
        }
        reservations.set(record.reservationId, record)
        const list = byUser.get(p.userId) ?? []
        list.push(record)
        byUser.set(p.userId, list)
        if (p.idempotency) {
          idem.set(idemKey(p.idempotency), {
            hash: p.idempotency.hash,
            claimedAt: Date.now(),
            response: { statusCode: 201, data: reservationData(record) },
          })
        }
        return { ok: true, reservation: copy(record) }
      })
      let next = 0
      return all.map((_, i) =>
        lost.has(i) ? ({ ok: false, code: 'IDEMPOTENCY_CLAIM_LOST' } as const) : outcomes[next++]!,
      )
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
    idempotency: {
      async claim(ref, leaseMs) {
        const k = idemKey(ref)
        const e = idem.get(k)
        if (e && (e.response || Date.now() - e.claimedAt < leaseMs)) return toClaim(e)
        const claimId = randomUUID()
        idem.set(k, { hash: ref.hash, claimedAt: Date.now(), claimId })
        return { state: 'claimed', claimId }
      },
      async release(ref) {
        const k = idemKey(ref)
        const e = idem.get(k)
        if (e && !e.response && e.claimId === ref.claimId) idem.delete(k)
      },
      async get(ref) {
        const e = idem.get(idemKey(ref))
        return e && toClaim(e)
      },
    },
    async close() {},
  }
}
