// The SalesStore contract: every adapter (memory, MySQL) passes it. Batch decisions (seats,
// per-user limits, lost Idempotency-Key claims), exactly-once cancels, and I4 under a stalled
// first request: a retry may take over a claim once its lease has run out, and then the stalled
// request must not sell a second time (found by the fault suite's slow-dependency scenario).
import { describe, expect, it } from 'vitest'
import type { IdempotencyRef, PendingReservation } from '../../src/sales/model.js'
import type { SalesStore } from '../../src/sales/ports.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let seq = 0

/** An admitted reservation as the reserve step hands it to the store. */
export function pending(
  over: Partial<PendingReservation> & { ref?: IdempotencyRef } = {},
): PendingReservation {
  seq++
  const { ref, ...rest } = over
  const reservationId = crypto.randomUUID()
  return {
    reservationId,
    userId: `buyer-${seq}`,
    quantity: 1,
    admissionId: `adm-${seq}-${crypto.randomUUID()}`,
    token: seq,
    limit: null,
    reservationTime: new Date(),
    idempotency: ref && { ref, response: { statusCode: 201, data: { reservationId } } },
    ...rest,
  }
}

const input = (totalSeats: number) => ({
  eventName: 'contract',
  totalSeats,
  eventDate: '2024-12-31T19:00:00',
})
const keyRef = (scope: IdempotencyRef['scope'] = 'reservation'): IdempotencyRef => ({
  scope,
  key: crypto.randomUUID(),
  hash: 'h'.repeat(64),
})

export function registerSalesStoreContract(name: string, make: () => SalesStore) {
  describe(`SalesStore contract: ${name}`, () => {
    async function setup(totalSeats = 10) {
      const store = make()
      const event = await store.createEvent(input(totalSeats))
      return { store, event }
    }

    it('creates, reads and lists events', async () => {
      const { store, event } = await setup(5)
      expect(event).toMatchObject({ totalSeats: 5, availableSeats: 5, eventName: 'contract', price: null })
      expect(await store.getEvent(event.eventId)).toEqual(event)
      expect(await store.getEvent(987_654_321)).toBeUndefined()
      const { items } = await store.listEvents({ offset: 0, limit: 1000, availableOnly: true })
      expect(items.map((e) => e.eventId)).toContain(event.eventId)
      expect(await store.availability([event.eventId])).toEqual([
        { eventId: event.eventId, availableSeats: 5 },
      ])
    })

    it('decides a batch in order: what fits sells, then INSUFFICIENT_SEATS with what is left', async () => {
      const { store, event } = await setup(3)
      const outcomes = await store.commitReservations(event.eventId, [
        pending({ quantity: 2 }),
        pending({ quantity: 2 }),
        pending({ quantity: 1 }),
      ])
      expect(outcomes.map((o) => o.ok)).toEqual([true, false, true])
      expect(outcomes[1]).toEqual({ ok: false, code: 'INSUFFICIENT_SEATS', available: 1 })
      expect((await store.availability([event.eventId]))[0]?.availableSeats).toBe(0)
      const first = outcomes[0]
      const sold = first?.ok ? first.reservation : undefined
      expect(await store.getReservation(sold!.reservationId)).toMatchObject({
        status: 'CONFIRMED',
        quantity: 2,
      })
    })

    it('counts a buyer against their per-user limit across batches', async () => {
      const { store, event } = await setup(10)
      const ann = { userId: `ann-${crypto.randomUUID()}`, limit: 3 }
      const [first] = await store.commitReservations(event.eventId, [pending({ ...ann, quantity: 2 })])
      expect(first?.ok).toBe(true)
      const outcomes = await store.commitReservations(event.eventId, [
        pending({ ...ann, quantity: 2 }),
        pending({ ...ann, quantity: 1 }),
      ])
      expect(outcomes[0]).toEqual({ ok: false, code: 'TICKET_LIMIT_EXCEEDED', limit: 3, alreadyReserved: 2 })
      expect(outcomes[1]?.ok).toBe(true)
      expect((await store.listUserReservations(ann.userId)).length).toBe(2)
    })

    it('refuses every item of an unknown event', async () => {
      const { store } = await setup()
      expect(await store.commitReservations(987_654_321, [pending()])).toEqual([
        { ok: false, code: 'EVENT_NOT_FOUND' },
      ])
    })

    it('cancels exactly once, and the seats return', async () => {
      const { store, event } = await setup(2)
      const [sold] = await store.commitReservations(event.eventId, [pending({ quantity: 2 })])
      if (!sold?.ok) throw new Error('expected a sale')
      const id = sold.reservation.reservationId
      const [a, b] = await Promise.all([store.cancelReservation(id), store.cancelReservation(id)])
      expect([a?.ok, b?.ok].filter(Boolean)).toHaveLength(1)
      expect((await store.availability([event.eventId]))[0]?.availableSeats).toBe(2)
      expect(await store.cancelReservation(crypto.randomUUID())).toEqual({
        ok: false,
        code: 'RESERVATION_NOT_FOUND',
      })
    })

    it('stores the answer of a keyed sale with the sale, and lists it for its event', async () => {
      const { store, event } = await setup()
      const ref = { ...keyRef(), eventId: event.eventId }
      const claim = await store.keys.claim(ref, 60_000)
      if (claim.state !== 'claimed') throw new Error('expected a claim')
      const p = pending({ ref: { ...ref, claimId: claim.claimId } })
      await store.commitReservations(event.eventId, [p])
      expect(await store.keys.get(ref)).toEqual({
        state: 'done',
        hash: ref.hash,
        response: p.idempotency!.response,
      })
      const answers = await store.keys.answersOfEvent(event.eventId)
      expect(answers.map((a) => a.ref.key)).toEqual([ref.key])
      expect(answers[0]?.response).toEqual(p.idempotency!.response)
    })

    it('a stalled first request whose claim was taken over cannot sell a second time', async () => {
      const { store, event } = await setup()
      const ref = keyRef()
      const first = await store.keys.claim(ref, 50)
      expect(first.state).toBe('claimed')
      await sleep(80) // the first request stalls past its lease
      const retry = await store.keys.claim(ref, 50)
      if (first.state !== 'claimed' || retry.state !== 'claimed') throw new Error('expected two claims')
      expect(retry.claimId).not.toBe(first.claimId)
      const [sold] = await store.commitReservations(event.eventId, [
        pending({ ref: { ...ref, claimId: retry.claimId } }),
      ])
      expect(sold?.ok).toBe(true)
      // The stalled request wakes up and commits under its old claim: refused, nothing sold.
      const [stale] = await store.commitReservations(event.eventId, [
        pending({ ref: { ...ref, claimId: first.claimId } }),
      ])
      expect(stale).toEqual({ ok: false, code: 'IDEMPOTENCY_CLAIM_LOST' })
      expect((await store.availability([event.eventId]))[0]?.availableSeats).toBe(9)
      expect((await store.keys.get(ref))?.state).toBe('done')
    })

    it('refuses the stale claim even when it commits before the retry, and the batch still sells the rest', async () => {
      const { store, event } = await setup()
      const ref = keyRef()
      const first = await store.keys.claim(ref, 50)
      await sleep(80)
      const retry = await store.keys.claim(ref, 50)
      if (first.state !== 'claimed' || retry.state !== 'claimed') throw new Error('expected two claims')
      const other = keyRef()
      const otherClaim = await store.keys.claim(other, 60_000)
      if (otherClaim.state !== 'claimed') throw new Error('expected a claim')
      const outcomes = await store.commitReservations(event.eventId, [
        pending({ ref: { ...ref, claimId: first.claimId } }),
        pending({ ref: { ...other, claimId: otherClaim.claimId } }),
      ])
      expect(outcomes[0]).toEqual({ ok: false, code: 'IDEMPOTENCY_CLAIM_LOST' })
      expect(outcomes[1]?.ok).toBe(true)
      const [retried] = await store.commitReservations(event.eventId, [
        pending({ ref: { ...ref, claimId: retry.claimId } }),
      ])
      expect(retried?.ok).toBe(true)
      expect((await store.availability([event.eventId]))[0]?.availableSeats).toBe(8) // one sale per key
    })

    it('a key claimed elsewhere (Redis) loses to any answer the store already has', async () => {
      const { store, event } = await setup()
      const ref: IdempotencyRef = { ...keyRef(), claimedIn: 'redis', claimId: 'r1' }
      const [sold] = await store.commitReservations(event.eventId, [pending({ ref })])
      expect(sold?.ok).toBe(true)
      const [again] = await store.commitReservations(event.eventId, [
        pending({ ref: { ...ref, claimId: 'r2' } }),
      ])
      expect(again).toEqual({ ok: false, code: 'IDEMPOTENCY_CLAIM_LOST' })
      expect((await store.availability([event.eventId]))[0]?.availableSeats).toBe(9)
    })

    it('releasing a stale claim never drops the retry that took the key over', async () => {
      const { store } = await setup()
      const ref = keyRef()
      const first = await store.keys.claim(ref, 50)
      await sleep(80)
      const retry = await store.keys.claim(ref, 50)
      if (first.state !== 'claimed' || retry.state !== 'claimed') throw new Error('expected two claims')
      await store.keys.release({ ...ref, claimId: first.claimId })
      expect((await store.keys.claim(ref, 60_000)).state).toBe('pending') // still the retry's
      await store.keys.release({ ...ref, claimId: retry.claimId })
      expect((await store.keys.claim(ref, 60_000)).state).toBe('claimed')
    })

    it('an event created under a stale claim is refused; the current claim stores its answer', async () => {
      const store = make()
      const ref = keyRef('event')
      const first = await store.keys.claim(ref, 50)
      await sleep(80)
      const retry = await store.keys.claim(ref, 50)
      if (first.state !== 'claimed' || retry.state !== 'claimed') throw new Error('expected two claims')
      const answer = (e: { eventId: number }) => ({ statusCode: 201, data: { eventId: e.eventId } })
      const event = await store.createEvent(input(5), { ref: { ...ref, claimId: retry.claimId }, answer })
      expect(await store.keys.get(ref)).toMatchObject({ state: 'done', response: answer(event) })
      await expect(
        store.createEvent(input(5), { ref: { ...ref, claimId: first.claimId }, answer }),
      ).rejects.toThrow(/lost its Idempotency-Key claim/)
    })
  })
}
