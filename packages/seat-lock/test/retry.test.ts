import { sharedRedis, uniquePrefix } from '@ticketing/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { createSeatLock, SeatsUnavailableError } from '../src/index.js'

describe('fail fast by default, retries with jitter when asked', () => {
  const redis = sharedRedis()
  afterAll(() => redis.disconnect())

  it('a contended hold fails at once by default, and succeeds within the retry window when opted in', async () => {
    const prefix = uniquePrefix('retry')
    const fast = createSeatLock({ redis, prefix })
    const patient = createSeatLock({ redis, prefix, retry: { attempts: 10, delayMs: 50, jitterMs: 20 } })
    await fast.holdSeats({ eventId: 'e1', seats: ['A1'], owner: 'alice', ttlMs: 300 })

    const t0 = Date.now()
    await expect(fast.holdSeats({ eventId: 'e1', seats: ['A1'], owner: 'bob' })).rejects.toBeInstanceOf(
      SeatsUnavailableError,
    )
    expect(Date.now() - t0).toBeLessThan(100)

    const attempts: number[] = []
    patient.on('acquired', (e) => attempts.push(e.attempts))
    const h = await patient.holdSeats({ eventId: 'e1', seats: ['A1'], owner: 'bob', ttlMs: 1_000 })
    expect(attempts[0]).toBeGreaterThan(1)
    // Validity counts from the winning attempt, not from the first one.
    expect(h.validUntil).toBeGreaterThan(t0 + 300 + 1_000 - 12 - 50)
  })
})
