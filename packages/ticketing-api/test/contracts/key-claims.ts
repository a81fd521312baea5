// The Idempotency-Key claims contract, over the one shape the idempotency step uses
// (sales/idempotency.ts ClaimSource): the store's own records (memory, MySQL) and claims kept
// in Redis all pass it. `answer` writes a key's answer the way that adapter receives one.
import { describe, expect, it } from 'vitest'
import type { ClaimSource } from '../../src/sales/idempotency.js'
import type { IdempotencyRef, StoredResponse } from '../../src/sales/model.js'

export interface ClaimsUnderTest {
  claims: ClaimSource
  answer(ref: IdempotencyRef, response: StoredResponse): Promise<void>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export function registerKeyClaimsContract(
  name: string,
  make: () => ClaimsUnderTest | Promise<ClaimsUnderTest>,
) {
  describe(`Idempotency-Key claims contract: ${name}`, () => {
    const ref = (): IdempotencyRef => ({ scope: 'event', key: crypto.randomUUID(), hash: 'a'.repeat(64) })

    it('one claim per key; a second caller sees it pending, with the first hash', async () => {
      const { claims } = await make()
      const r = ref()
      const first = await claims.claim(r, 60_000)
      expect(first.state).toBe('claimed')
      expect(await claims.claim({ ...r, hash: 'b'.repeat(64) }, 60_000)).toEqual({
        state: 'pending',
        hash: r.hash,
      })
      expect(await claims.get(r)).toEqual({ state: 'pending', hash: r.hash })
    })

    it('a released claim can be claimed again; releasing another claim changes nothing', async () => {
      const { claims } = await make()
      const r = ref()
      const first = await claims.claim(r, 60_000)
      if (first.state !== 'claimed') throw new Error('expected a claim')
      await claims.release({ ...r, claimId: 'not-mine', claimedIn: first.claimedIn })
      expect((await claims.claim(r, 60_000)).state).toBe('pending')
      await claims.release({ ...r, claimId: first.claimId, claimedIn: first.claimedIn })
      expect(await claims.get(r)).toBeUndefined()
      expect((await claims.claim(r, 60_000)).state).toBe('claimed')
    })

    it('a claim past its lease is taken over by the next caller', async () => {
      const { claims } = await make()
      const r = ref()
      const first = await claims.claim(r, 50)
      await sleep(120)
      const second = await claims.claim(r, 50)
      expect(second.state).toBe('claimed')
      if (first.state === 'claimed' && second.state === 'claimed')
        expect(second.claimId).not.toBe(first.claimId)
    })

    it('an answered key replays its answer to every later claim', async () => {
      const { claims, answer } = await make()
      const r = ref()
      const first = await claims.claim(r, 60_000)
      if (first.state !== 'claimed') throw new Error('expected a claim')
      const response = { statusCode: 201, data: { eventId: 7 } }
      await answer({ ...r, claimId: first.claimId, claimedIn: first.claimedIn }, response)
      expect(await claims.claim(r, 60_000)).toEqual({ state: 'done', hash: r.hash, response })
      expect(await claims.get(r)).toEqual({ state: 'done', hash: r.hash, response })
    })
  })
}
