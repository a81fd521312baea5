// I4 under a stalled first request: a retry may take over an Idempotency-Key claim once its
// lease has run out, and then the stalled request must not sell a second time. Each claim is a
// fencing token (claimId) that the store checks inside the sale's transaction. Found by the
// fault suite's slow-dependency scenario (same key, two confirmed reservations); this test pins
// the store-level contract deterministically, on both stores.
import { createTestDatabase, type TestDatabase } from '@ticketing/testkit'
import type mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryStore } from '../src/embedded/memory-store.js'
import { createPool } from '../src/plugins/mysql.js'
import type { IdempotencyRef, PendingReservation, Store } from '../src/ports/index.js'
import { runMigrations } from '../src/production/migrations.js'
import { createMysqlStore } from '../src/production/mysql-store.js'

let db: TestDatabase
let pool: mysql.Pool

const stores: Array<{ name: string; make: () => Store }> = [
  { name: 'memory store', make: () => createMemoryStore() },
  { name: 'MySQL store', make: () => createMysqlStore({ writer: pool, reader: pool }) },
]

beforeAll(async () => {
  db = await createTestDatabase(undefined, 'idem')
  await runMigrations(db.url)
  // The writer pool exactly as the service builds it (multi-statement group commits).
  pool = createPool(db.url, 4, true)
})
afterAll(async () => {
  await pool?.end()
  await db?.drop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let seq = 0
function pending(ref: IdempotencyRef): PendingReservation {
  seq++
  return {
    reservationId: crypto.randomUUID(),
    userId: `buyer-${seq}`,
    quantity: 1,
    holdId: `hold-${seq}-${crypto.randomUUID()}`,
    token: seq,
    limit: null,
    reservationTime: new Date(),
    idempotency: ref,
  }
}

describe.each(stores)('Idempotency-Key claims on the $name', ({ make }) => {
  async function setup() {
    const store = make()
    const event = await store.createEvent({
      eventName: 'claims',
      totalSeats: 10,
      eventDate: '2024-12-31T19:00:00',
    })
    const ref: IdempotencyRef = { scope: 'reservation', key: crypto.randomUUID(), hash: 'h'.repeat(64) }
    return { store, event, ref }
  }

  it('a stalled first request whose claim was taken over cannot sell a second time', async () => {
    const { store, event, ref } = await setup()
    const first = await store.idempotency.claim(ref, 50)
    expect(first.state).toBe('claimed')
    await sleep(80) // the first request stalls past its lease
    const retry = await store.idempotency.claim(ref, 50)
    expect(retry.state).toBe('claimed')
    if (first.state !== 'claimed' || retry.state !== 'claimed') return
    expect(retry.claimId).not.toBe(first.claimId)

    const [sold] = await store.commitReservations(event.eventId, [
      pending({ ...ref, claimId: retry.claimId }),
    ])
    expect(sold?.ok).toBe(true)
    // The stalled request wakes up and commits under its old claim: refused, nothing sold.
    const [stale] = await store.commitReservations(event.eventId, [
      pending({ ...ref, claimId: first.claimId }),
    ])
    expect(stale).toEqual({ ok: false, code: 'IDEMPOTENCY_CLAIM_LOST' })

    const [after] = await store.availability([event.eventId])
    expect(after?.availableSeats).toBe(9)
    expect((await store.idempotency.get(ref))?.state).toBe('done')
  })

  it('refuses the stale claim even when it commits before the retry, and the batch still sells the rest', async () => {
    const { store, event, ref } = await setup()
    const first = await store.idempotency.claim(ref, 50)
    await sleep(80)
    const retry = await store.idempotency.claim(ref, 50)
    if (first.state !== 'claimed' || retry.state !== 'claimed') throw new Error('expected two claims')
    const other: IdempotencyRef = { scope: 'reservation', key: crypto.randomUUID(), hash: 'h'.repeat(64) }
    const otherClaim = await store.idempotency.claim(other, 60_000)
    if (otherClaim.state !== 'claimed') throw new Error('expected a claim')

    const outcomes = await store.commitReservations(event.eventId, [
      pending({ ...ref, claimId: first.claimId }),
      pending({ ...other, claimId: otherClaim.claimId }),
    ])
    expect(outcomes[0]).toEqual({ ok: false, code: 'IDEMPOTENCY_CLAIM_LOST' })
    expect(outcomes[1]?.ok).toBe(true)
    const [retried] = await store.commitReservations(event.eventId, [
      pending({ ...ref, claimId: retry.claimId }),
    ])
    expect(retried?.ok).toBe(true)
    const [after] = await store.availability([event.eventId])
    expect(after?.availableSeats).toBe(8) // one sale per key
  })

  it('releasing a stale claim never drops the retry that took the key over', async () => {
    const { store, ref } = await setup()
    const first = await store.idempotency.claim(ref, 50)
    await sleep(80)
    const retry = await store.idempotency.claim(ref, 50)
    if (first.state !== 'claimed' || retry.state !== 'claimed') throw new Error('expected two claims')
    await store.idempotency.release({ ...ref, claimId: first.claimId })
    expect((await store.idempotency.claim(ref, 60_000)).state).toBe('pending') // still the retry's
    await store.idempotency.release({ ...ref, claimId: retry.claimId })
    expect((await store.idempotency.claim(ref, 60_000)).state).toBe('claimed')
  })

  it('an event created under a stale claim is refused', async () => {
    const store = make()
    const ref: IdempotencyRef = { scope: 'event', key: crypto.randomUUID(), hash: 'e'.repeat(64) }
    const first = await store.idempotency.claim(ref, 50)
    await sleep(80)
    const retry = await store.idempotency.claim(ref, 50)
    if (first.state !== 'claimed' || retry.state !== 'claimed') throw new Error('expected two claims')
    const input = { eventName: 'once', totalSeats: 5, eventDate: '2024-12-31T19:00:00' }
    await store.createEvent(input, { ...ref, claimId: retry.claimId })
    await expect(store.createEvent(input, { ...ref, claimId: first.claimId })).rejects.toThrow(
      /lost its Idempotency-Key claim/,
    )
  })
})
