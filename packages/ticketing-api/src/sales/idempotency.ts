import { createHash } from 'node:crypto'
import { ApiError, unavailable } from '../errors.js'
import { IdempotencyClaimLostError, type IdempotencyRef, type StoredResponse } from './model.js'
import type { KeyClaims, KeyRecords } from './ports.js'

/** Where keys are claimed: the store's own records, or claims kept elsewhere (Redis in production). */
export type ClaimSource = Pick<KeyClaims, 'claim' | 'get'> & {
  /** true: released; false: the key is no longer this claim; undefined: cannot tell. */
  release(ref: IdempotencyRef): Promise<boolean | undefined>
  /** Records an answer found in the store where keys are claimed (heals a lost copy). */
  remember?(ref: IdempotencyRef, response: StoredResponse): Promise<void>
}

/** The store's own key records, as a ClaimSource (its release cannot tell whether the claim was still ours). */
export const storeClaims = (keys: KeyRecords): ClaimSource => ({
  claim: (ref, leaseMs) => keys.claim(ref, leaseMs),
  get: (ref) => keys.get(ref),
  release: async (ref) => {
    await keys.release(ref)
    return undefined
  },
})

/** Claims kept outside the store, as a ClaimSource. */
export const externalClaims = (claims: KeyClaims): ClaimSource => ({
  claim: (ref, leaseMs) => claims.claim(ref, leaseMs),
  get: (ref) => claims.get(ref),
  release: (ref) => claims.release(ref),
  remember: (ref, response) => claims.answered([{ ref, response }]),
})

/** The answer of an idempotent operation, and whether it is a replay of the first one. */
export interface Replayable {
  statusCode: number
  data: unknown
  replayed: boolean
}

/** Canonical hash of a request: same key + same hash = the same request. */
export function requestHash(parts: unknown): string {
  return createHash('sha256').update(canonical(parts)).digest('hex')
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

const reused = () =>
  new ApiError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request')

/**
 * Idempotency-Key handling over the store: the first request claims the key; a duplicate
 * (same key, same body) waits for the first one's stored answer — in this process by sharing
 * its promise, across processes by polling the store — and a different body gets 422. Only
 * successes are stored (in the same transaction as the write); a failed first request releases
 * the key, so a retry runs again. A claim older than its lease may be taken over by a retry;
 * each claim carries its own `claimId`, and the store commits only under the current one, so
 * the stalled first request then loses (IdempotencyClaimLostError) and replays the retry's
 * answer instead of selling a second time.
 */
export function createIdempotency(claims: ClaimSource, options: { leaseMs: number; waitMs: number }) {
  const local = new Map<string, { hash: string; promise: Promise<Replayable> }>()

  const waitForOther = async (ref: IdempotencyRef): Promise<StoredResponse | undefined> => {
    const deadline = Date.now() + options.waitMs
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25))
      const c = await claims.get(ref)
      if (!c) return undefined
      if (c.hash !== ref.hash) throw reused()
      if (c.state === 'done') return c.response
    }
    throw unavailable('the first request with this Idempotency-Key', 1)
  }

  const execute = async (
    ref: IdempotencyRef,
    run: (claimed: IdempotencyRef) => Promise<StoredResponse>,
  ): Promise<Replayable> => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const claim = await claims.claim(ref, options.leaseMs)
      if (claim.state !== 'claimed' && claim.hash !== ref.hash) throw reused()
      if (claim.state === 'done') return { ...claim.response, replayed: true }
      if (claim.state === 'pending') {
        const stored = await waitForOther(ref)
        if (stored) return { ...stored, replayed: true }
        continue // the other request failed and released the key: try to claim it
      }
      const claimed: IdempotencyRef = { ...ref, claimId: claim.claimId, claimedIn: claim.claimedIn }
      try {
        return { ...(await run(claimed)), replayed: false }
      } catch (error) {
        if (error instanceof IdempotencyClaimLostError) {
          // The key was sold under another claim (a retry took it over while we stalled, or
          // Redis lost the answer and we claimed afresh): that sale's answer is the answer. Our
          // claim is void: let go of it first, or it would hide that answer from us and from
          // every retry until its lease ran out.
          await claims.release(claimed).catch(() => undefined)
          const stored = await waitForOther(ref)
          if (stored) {
            await claims.remember?.(ref, stored).catch(() => undefined)
            return { ...stored, replayed: true }
          }
          continue
        }
        const released = await claims.release(claimed).catch(() => undefined)
        if (released !== true) {
          // The key is no longer (or may no longer be) our claim: if it has an answer now — a
          // retry's, or one restored after Redis lost it — that answer is the answer.
          const now = await claims.get(ref).catch(() => undefined)
          if (now?.state === 'done' && now.hash === ref.hash) return { ...now.response, replayed: true }
        }
        throw error
      }
    }
    throw unavailable('the first request with this Idempotency-Key', 1)
  }

  return {
    /** Runs `run` at most once per key (while its answer is kept), else replays its answer. */
    async run(
      ref: IdempotencyRef,
      run: (claimed: IdempotencyRef) => Promise<StoredResponse>,
    ): Promise<Replayable> {
      const id = `${ref.scope}\u0000${ref.key}`
      const inFlight = local.get(id)
      if (inFlight) {
        if (inFlight.hash !== ref.hash) throw reused()
        const first = await inFlight.promise
        return { ...first, replayed: true }
      }
      const promise = execute(ref, run)
      local.set(id, { hash: ref.hash, promise })
      try {
        return await promise
      } finally {
        local.delete(id)
      }
    },
  }
}

export type Idempotency = ReturnType<typeof createIdempotency>
