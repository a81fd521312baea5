import type { Cluster, Redis } from 'ioredis'
import { InvalidArgumentError } from './errors.js'

/** Opt-in retries of an acquire that met contention (or a quorum failure). */
export interface RetryOptions {
  /** Extra attempts after the first. @default 0 (fail fast) */
  attempts?: number
  /** Base delay between attempts. @default 100 */
  delayMs?: number
  /** Uniform random jitter added to each delay, so competing buyers do not retry in lockstep. @default 100 */
  jitterMs?: number
}

export interface SeatLockOptions {
  /**
   * One client (single node / primary, or a Cluster), or an array of >= 3 independent clients
   * for a Redlock quorum. Clients are never quit by the lock.
   */
  redis: Redis | Cluster | Redis[]
  /** Key prefix (letters, digits, `_:-`). @default 'seat-lock' */
  prefix?: string
  /** Hold TTL when a call does not give one. @default 30_000 */
  defaultTtlMs?: number
  /** Largest TTL a call may ask for. @default 3_600_000 */
  maxTtlMs?: number
  /** Largest seat list of one hold. @default 20 */
  maxSeatsPerHold?: number
  /** Largest quantity of one GA hold. @default 20 */
  maxQuantityPerHold?: number
  /** Clock drift allowance for `validUntil`: drift = ttl × driftFactor + 2 ms. @default 0.01 */
  driftFactor?: number
  /** Retries on contention. @default { attempts: 0 } (fail fast) */
  retry?: RetryOptions
  /**
   * Primary + replicas: after every write, `WAIT replicas timeoutMs`; an acquire that is not
   * acknowledged in time is rolled back and fails with E_REPLICATION_TIMEOUT. Single client only
   * (not Cluster, not quorum). @default undefined (no WAIT)
   */
  waitForReplicas?: { replicas: number; timeoutMs: number }
  /** How long a confirmed hold's record is kept, so repeated `confirm`/`get` keep working. @default 604_800_000 (7 days) */
  confirmedRetentionMs?: number
  /**
   * Quorum mode, quantity holds: how long to keep re-proposing GA units when another buyer's
   * proposal collided with ours while units remain (a collision is not "sold out"). @default 10_000
   */
  quorumContentionBudgetMs?: number
}

export interface ResolvedOptions {
  redis: Redis | Cluster | Redis[]
  prefix: string
  defaultTtlMs: number
  maxTtlMs: number
  maxSeatsPerHold: number
  maxQuantityPerHold: number
  driftFactor: number
  retry: Required<RetryOptions>
  waitForReplicas: { replicas: number; timeoutMs: number } | undefined
  confirmedRetentionMs: number
  quorumContentionBudgetMs: number
}

function int(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}] (got ${String(value)})`)
  }
  return value
}

export function checkInt(name: string, value: unknown, min: number, max?: number): number {
  return int(name, value, min, max)
}

function isRedisLike(c: unknown): boolean {
  return typeof c === 'object' && c !== null && typeof (c as Redis).evalsha === 'function'
}

/** Defaults resolved once; anything invalid is rejected here with a clear message. */
export function resolveOptions(options: SeatLockOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options are required')
  const { redis } = options
  if (Array.isArray(redis)) {
    if (redis.length < 3) {
      throw new InvalidArgumentError(
        'a quorum needs at least 3 independent clients (pass one client otherwise)',
      )
    }
    if (!redis.every(isRedisLike)) throw new InvalidArgumentError('redis[] must hold ioredis clients')
    if (new Set(redis).size !== redis.length)
      throw new InvalidArgumentError('redis[] holds the same client twice')
  } else if (!isRedisLike(redis)) {
    throw new InvalidArgumentError('redis must be an ioredis Redis or Cluster client, or an array of clients')
  }
  const prefix = options.prefix ?? 'seat-lock'
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_:-]{1,64}$/.test(prefix)) {
    throw new InvalidArgumentError(
      `prefix must match /^[A-Za-z0-9_:-]{1,64}$/ (got ${JSON.stringify(prefix)})`,
    )
  }
  const maxTtlMs = int('maxTtlMs', options.maxTtlMs ?? 3_600_000, 1)
  const driftFactor = options.driftFactor ?? 0.01
  if (typeof driftFactor !== 'number' || !(driftFactor >= 0 && driftFactor < 0.5)) {
    throw new InvalidArgumentError(`driftFactor must be a number in [0, 0.5) (got ${String(driftFactor)})`)
  }
  const retry = options.retry ?? {}
  const wait = options.waitForReplicas
  if (wait !== undefined) {
    if (Array.isArray(redis) || (redis as Cluster).isCluster) {
      throw new InvalidArgumentError('waitForReplicas applies to a single primary client only')
    }
    int('waitForReplicas.replicas', wait.replicas, 1)
    int('waitForReplicas.timeoutMs', wait.timeoutMs, 1)
  }
  return {
    redis,
    prefix,
    defaultTtlMs: int('defaultTtlMs', options.defaultTtlMs ?? 30_000, 1, maxTtlMs),
    maxTtlMs,
    maxSeatsPerHold: int('maxSeatsPerHold', options.maxSeatsPerHold ?? 20, 1, 1000),
    maxQuantityPerHold: int('maxQuantityPerHold', options.maxQuantityPerHold ?? 20, 1, 1000),
    driftFactor,
    retry: {
      attempts: int('retry.attempts', retry.attempts ?? 0, 0, 1000),
      delayMs: int('retry.delayMs', retry.delayMs ?? 100, 0),
      jitterMs: int('retry.jitterMs', retry.jitterMs ?? 100, 0),
    },
    waitForReplicas: wait ? { replicas: wait.replicas, timeoutMs: wait.timeoutMs } : undefined,
    confirmedRetentionMs: int('confirmedRetentionMs', options.confirmedRetentionMs ?? 604_800_000, 1),
    quorumContentionBudgetMs: int('quorumContentionBudgetMs', options.quorumContentionBudgetMs ?? 10_000, 0),
  }
}
