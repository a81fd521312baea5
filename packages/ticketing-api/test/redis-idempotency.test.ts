// Production reservations claim their Idempotency-Keys in Redis, not MySQL: a sale writes its
// key's row only in its own transaction, a refusal writes none, replays come from Redis, and
// after Redis lost everything a retried key still gets its first answer (I4), never a refusal
// or a second sale.
import { sharedRedis } from '@ticketing/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lostClaimPositions } from '../src/sales/adapters/mysql/keys.js'
import { createEvent, deleteRedisPrefix, type Harness, post, startHarness } from './helpers.js'

/** The answer is copied to Redis after the buyer is answered: wait for it. */
async function waitForState(redis: ReturnType<typeof sharedRedis>, key: string, state: string) {
  for (let i = 0; i < 100 && (await redis.hget(key, 'state')) !== state; i++) {
    await new Promise((r) => setTimeout(r, 10))
  }
  expect(await redis.hget(key, 'state')).toBe(state)
}

describe('Idempotency-Key claims in Redis (production)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness('production')
    await h.listen()
  })
  afterAll(async () => h?.close())

  const reserve = (eventId: number, userId: string, key: string, quantity = 1) =>
    post(`${h.url}/api/reservations`, { eventId, userId, quantity }, { 'idempotency-key': key })
  const keyRows = (eventId: number) =>
    h.sql<{ idem_key: string; status: string; event_id: number }>(
      'SELECT idem_key, status, event_id FROM idempotency_keys WHERE scope = ? AND event_id = ?',
      ['reservation', eventId],
    )

  it('writes the key row only with the sale, none for a refusal, and replays from Redis', async () => {
    const eventId = await createEvent(h.app, 2)
    const first = await reserve(eventId, 'alice', 'k-sale', 2)
    expect(first.status).toBe(201)
    expect(await keyRows(eventId)).toEqual([{ idem_key: '-:k-sale', status: 'done', event_id: eventId }])

    const refused = await reserve(eventId, 'bob', 'k-refused')
    expect(refused.body.error.code).toBe('SOLD_OUT')
    expect((await keyRows(eventId)).map((r) => r.idem_key)).toEqual(['-:k-sale'])
    // The refusal released its claim: nothing of it is left in Redis either.
    const redis = sharedRedis()
    try {
      expect(await redis.exists(`${h.prefix}:idem:{reservation:-:k-refused}`)).toBe(0)
      await waitForState(redis, `${h.prefix}:idem:{reservation:-:k-sale}`, 'done')
    } finally {
      redis.disconnect()
    }

    // The replay is served without MySQL: even with the row gone, Redis has the answer.
    await h.sql('DELETE FROM idempotency_keys WHERE idem_key = ?', ['-:k-sale'])
    const replay = await reserve(eventId, 'alice', 'k-sale', 2)
    expect(replay.status).toBe(201)
    expect(replay.body.data.reservationId).toBe(first.body.data.reservationId)
    // Same key, another body: 422, from Redis too.
    const reused = await reserve(eventId, 'alice', 'k-sale', 1)
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED')
  })

  it('after Redis lost everything, a retry of a sold key replays it, even once sold out', async () => {
    const eventId = await createEvent(h.app, 3)
    const sold = await reserve(eventId, 'carol', 'k-lost', 3)
    expect(sold.status).toBe(201)
    expect(await deleteRedisPrefix(h.prefix!)).toBeGreaterThan(0)

    // Redis knows neither the counter nor the key: the counter is rebuilt from MySQL (0 left)
    // and the event's answers with it, so the retry is a replay, not SOLD_OUT.
    const retry = await reserve(eventId, 'carol', 'k-lost', 3)
    expect(retry.status, JSON.stringify(retry.body)).toBe(201)
    expect(retry.body.data.reservationId).toBe(sold.body.data.reservationId)
    const other = await reserve(eventId, 'dave', 'k-new')
    expect(other.body.error.code).toBe('SOLD_OUT')
    const [count] = await h.sql<{ n: number }>(
      "SELECT COUNT(*) AS n FROM reservations WHERE event_id = ? AND status = 'CONFIRMED'",
      [eventId],
    )
    expect(Number(count?.n)).toBe(1)
  })

  it('a sold key whose Redis copy alone was lost (a failover) replays at once, and heals the copy', async () => {
    const eventId = await createEvent(h.app, 10)
    const sold = await reserve(eventId, 'frank', 'k-copy', 2)
    expect(sold.status).toBe(201)
    const record = `${h.prefix}:idem:{reservation:-:k-copy}`
    const redis = sharedRedis()
    try {
      await waitForState(redis, record, 'done')
      // The counter survives, the key's record does not: the retry claims afresh, is admitted,
      // and loses in the sale's transaction (the key has a row). It must replay, not wait out
      // its own claim.
      expect(await redis.del(record)).toBe(1)
      const started = Date.now()
      const retry = await reserve(eventId, 'frank', 'k-copy', 2)
      expect(retry.status, JSON.stringify(retry.body)).toBe(201)
      expect(retry.body.data.reservationId).toBe(sold.body.data.reservationId)
      expect(Date.now() - started).toBeLessThan(2000)
      expect(await redis.hget(record, 'state')).toBe('done')
    } finally {
      redis.disconnect()
    }
    const [count] = await h.sql<{ n: number }>('SELECT COUNT(*) AS n FROM reservations WHERE event_id = ?', [
      eventId,
    ])
    expect(Number(count?.n)).toBe(1)
    // The retry's admitted units went back: 8 seats are still for sale.
    const rest = await reserve(eventId, 'gina', 'k-rest', 8)
    expect(rest.status).toBe(201)
  })

  it('concurrent same-key requests sell once and all get the first answer', async () => {
    const eventId = await createEvent(h.app, 100)
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => reserve(eventId, 'erin', 'k-burst', 2)),
    )
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201))
    expect(new Set(answers.map((a) => a.body.data.reservationId)).size).toBe(1)
    const [count] = await h.sql<{ n: number }>('SELECT COUNT(*) AS n FROM reservations WHERE event_id = ?', [
      eventId,
    ])
    expect(Number(count?.n)).toBe(1)
  })
})

describe('the sale transaction fences Redis claims', () => {
  it('a key claimed in Redis loses as soon as any row exists for it', () => {
    const ref = (key: string, claimedIn?: 'redis') => ({
      scope: 'reservation' as const,
      key,
      hash: 'h',
      claimId: 'c1',
      claimedIn,
    })
    const rows = [
      { scope: 'reservation', idem_key: 'done', status: 'done', claim_id: null },
      { scope: 'reservation', idem_key: 'theirs', status: 'pending', claim_id: 'c2' },
      { scope: 'reservation', idem_key: 'mine', status: 'pending', claim_id: 'c1' },
    ] as never
    const claimed = [
      { ref: ref('done', 'redis'), i: 0 },
      { ref: ref('theirs', 'redis'), i: 1 },
      { ref: ref('mine', 'redis'), i: 2 },
      { ref: ref('fresh', 'redis'), i: 3 },
      { ref: ref('mine'), i: 4 },
      { ref: ref('fresh'), i: 5 },
    ]
    // Redis claims: any row loses (0, 1, 2); no row sells (3). Store claims: only their own
    // pending row sells (4); a missing row means the claim was released (5).
    expect([...lostClaimPositions(rows, claimed)].sort()).toEqual([0, 1, 2, 5])
  })
})
