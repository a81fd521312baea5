import { randomUUID } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'
import type { ClaimRecord, IdempotencyRef, KeyAnswer } from '../../model.js'
import type { KeyClaims, KeyRecords } from '../../ports.js'

/**
 * CLAIM: takes an Idempotency-Key for one request, or says who has it.
 * KEYS[1] the key's record, a hash { state = pending | done, hash, claim, status, answer }
 * ARGV[1] request hash, ARGV[2] claim id, ARGV[3] lease (ms)
 * Returns {'claimed'} or {state, hash, status, answer}. A pending record expires with its lease,
 * so a retry after a crash claims the key again; the sale's transaction decides which of two
 * such claims sells (the first to commit), and the other replays its answer.
 */
const CLAIM = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  redis.call('HSET', KEYS[1], 'state', 'pending', 'hash', ARGV[1], 'claim', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'claimed'}
end
local r = redis.call('HMGET', KEYS[1], 'hash', 'status', 'answer')
return {state, r[1], r[2], r[3]}
`

/**
 * RELEASE: forgets a pending claim whose request ended without an answer (refused, failed), so
 * that a retry runs again; only the claim the caller holds, never a newer one.
 * KEYS[1] the key's record; ARGV[1] claim id. Returns 1 if released.
 */
const RELEASE = `
if redis.call('HGET', KEYS[1], 'state') == 'pending' and redis.call('HGET', KEYS[1], 'claim') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`

/**
 * ANSWER: records the committed answer of a key (MySQL already holds it: this copy only spares
 * replays a database read). Unconditional: the commit is the truth, whoever claimed the key.
 * KEYS[1] the key's record; ARGV[1] request hash, ARGV[2] status code, ARGV[3] answer (JSON),
 * ARGV[4] retention (ms).
 */
const ANSWER = `
redis.call('HSET', KEYS[1], 'state', 'done', 'hash', ARGV[1], 'status', ARGV[2], 'answer', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`

type ClaimReply = [string, string | null, string | null, string | null]

interface ClaimCommands {
  idemClaim(key: string, hash: string, claimId: string, leaseMs: number): Promise<ClaimReply>
  idemRelease(key: string, claimId: string): Promise<number>
  idemAnswer(key: string, hash: string, status: number, answer: string, retentionMs: number): Promise<number>
}

export interface RedisKeyClaimsOptions {
  redis: Redis | Cluster
  /** Key prefix; each key's record is `<prefix>:{<scope>:<key>}` (its own Cluster slot). */
  prefix: string
  /** The store's own key records: claims while Redis is unreachable, and answers Redis lacks. */
  fallback: KeyRecords
  /** How long a done answer stays in Redis; the store keeps it as long. */
  retentionMs: number
  log: { warn(obj: unknown, msg?: string): void }
}

/**
 * Reservation Idempotency-Key claims in Redis: one Lua call per claim, none in MySQL. The
 * answer itself is still committed in the sale's transaction (the durable record, and the
 * fence: a key with a row is never sold again), then copied here. When Redis cannot be
 * reached, claims fall back to the store's own (a row per claim), which the same transaction
 * fences too.
 */
export function createRedisKeyClaims(options: RedisKeyClaimsOptions): KeyClaims {
  const { redis, fallback, log } = options
  redis.defineCommand('idemClaim', { numberOfKeys: 1, lua: CLAIM })
  redis.defineCommand('idemRelease', { numberOfKeys: 1, lua: RELEASE })
  redis.defineCommand('idemAnswer', { numberOfKeys: 1, lua: ANSWER })
  const commands = redis as unknown as ClaimCommands
  const recordKey = (ref: Pick<IdempotencyRef, 'scope' | 'key'>) =>
    `${options.prefix}:{${ref.scope}:${ref.key}}`

  const fromReply = (reply: ClaimReply): ClaimRecord => {
    const [state, hash, status, answer] = reply
    return state === 'done'
      ? {
          state: 'done',
          hash: hash ?? '',
          response: { statusCode: Number(status), data: JSON.parse(answer ?? 'null') },
        }
      : { state: 'pending', hash: hash ?? '' }
  }

  return {
    async claim(ref, leaseMs) {
      const claimId = randomUUID()
      let reply: ClaimReply
      try {
        reply = await commands.idemClaim(recordKey(ref), ref.hash, claimId, leaseMs)
      } catch (error) {
        log.warn({ err: error }, 'Idempotency-Key claim in Redis failed; claiming in the database')
        return fallback.claim(ref, leaseMs)
      }
      return reply[0] === 'claimed' ? { state: 'claimed', claimId, claimedIn: 'redis' } : fromReply(reply)
    },

    async release(ref) {
      if (ref.claimedIn !== 'redis') {
        await fallback.release(ref)
        return false // not known: the caller looks the key up
      }
      return (await commands.idemRelease(recordKey(ref), ref.claimId ?? '')) === 1
    },

    async get(ref) {
      // Redis first; a key Redis does not know may still be answered in the store.
      const fields = await redis.hmget(recordKey(ref), 'state', 'hash', 'status', 'answer').catch(() => [])
      return fields[0] ? fromReply(fields as ClaimReply) : fallback.get(ref)
    },

    async answered(entries: KeyAnswer[]) {
      await Promise.all(
        entries.map(({ ref, response }) =>
          commands.idemAnswer(
            recordKey(ref),
            ref.hash,
            response.statusCode,
            JSON.stringify(response.data),
            options.retentionMs,
          ),
        ),
      )
    },
  }
}
