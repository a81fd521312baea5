import type { Cluster, Redis } from 'ioredis'
import { InvalidOptionsError } from './errors.js'

/** Options of {@link createInventoryCache}. Every field is optional except when noted. */
export interface InventoryCacheOptions {
  /**
   * L2: a Redis or Cluster client. Omit for an L1-only cache (single process, e.g. the API's
   * embedded mode). The cache never quits it.
   * @default undefined (L1 only)
   */
  redis?: Redis | Cluster
  /**
   * A dedicated connection for pub/sub L1 invalidation (it enters subscriber mode, so it must
   * not be the `redis` client). Without it, other instances' L1 entries are only bounded by
   * `l1.ttlMs`. The cache never quits it.
   * @default undefined (no pub/sub)
   */
  subscriber?: Redis | Cluster
  /**
   * Key namespace: keys are `{<namespace>:<key>}:v|:ver|:lease` and the invalidation channel is
   * `<namespace>:invalidate`.
   * @default 'inv'
   */
  namespace?: string
  /**
   * How long an L2 value counts as fresh. Writers invalidate after commit, so this is the
   * safety net for missed invalidations, not the normal staleness.
   * @default 5_000
   */
  ttlMs?: number
  /** In-process tier. @default { maxEntries: 10_000, ttlMs: 500 } */
  l1?: {
    /** Most entries kept; least recently used are evicted. `0` disables L1. @default 10_000 */
    maxEntries?: number
    /** Longest an entry is served from L1 without asking Redis again. @default 500 */
    ttlMs?: number
  }
  /**
   * Stale-while-revalidate window: after `ttlMs`, a value may still be served for this long
   * (when the call's `maxStaleMs` allows) while one background refresh runs.
   * @default 1_000
   */
  graceMs?: number
  /**
   * TTL jitter as a fraction: each fill's freshness is `ttlMs × (1 − jitter × random)`, so keys
   * filled together do not expire together.
   * @default 0.1
   */
  jitter?: number
  /**
   * XFetch β: probability of an early background refresh grows as expiry nears, scaled by how
   * long the loader took. `0` disables early refresh; > 1 refreshes earlier.
   * @default 1
   */
  xfetchBeta?: number
  /** TTL of "not found" results (loader returned `undefined`). @default 1_000 */
  negativeTtlMs?: number
  /** Cross-process single flight. @default { ttlMs: 2_000, waitMs: 3_000, pollMs: 20 } */
  lease?: {
    /** Lease key TTL: how long other processes wait on a crashed loader. @default 2_000 */
    ttlMs?: number
    /** Longest a waiter waits for another process's fill before loading itself. @default 3_000 */
    waitMs?: number
    /** Poll interval of a waiter (jittered ±50%); also the per-key lease attempt rate. @default 20 */
    pollMs?: number
  }
  /**
   * TTL of the per-key version counter, refreshed on every write. It must outlive any
   * in-flight fill; it only exists so that versions do not leak forever.
   * @default 86_400_000 (one day)
   */
  versionTtlMs?: number
  /** Per-command timeout: a hung Redis cannot stall reads longer than this. @default 500 */
  commandTimeoutMs?: number
  /** Circuit breaker around Redis. @default { failureThreshold: 3, openMs: 1_000 } */
  breaker?: {
    /** Consecutive Redis failures that open the circuit. @default 3 */
    failureThreshold?: number
    /** How long the circuit stays open before one half-open probe. @default 1_000 */
    openMs?: number
  }
  /** Most invalidations kept for replay while Redis is unreachable. @default 10_000 */
  maxPendingInvalidations?: number
}

/** Per-call options of `getOrLoad`. */
export interface GetOptions {
  /**
   * The most staleness this call accepts, in ms: an L1 entry older than this is skipped, and an
   * expired L2 value is served only if it expired less than this long ago (and within
   * `graceMs`). `0` = a checkout path: fresh L2 value or the loader.
   * @default Infinity (bounded by l1.ttlMs and graceMs)
   */
  maxStaleMs?: number
  /** L2 freshness for this fill. @default the cache's ttlMs */
  ttlMs?: number
}

/** Per-call options of `getMany`. */
export interface GetManyOptions {
  /** As in {@link GetOptions.maxStaleMs}. @default Infinity */
  maxStaleMs?: number
  /** As in {@link GetOptions.ttlMs}. @default the cache's ttlMs */
  ttlMs?: number
}

/** Per-call options of `applyDelta`. */
export interface ApplyDeltaOptions {
  /**
   * Row-version guard for exactly-once deltas. A fill may already have read the committed row
   * before `applyDelta` runs; applying the delta again would count it twice. When the row has
   * a version column that the commit bumped to `value`, pass it here: the delta is applied
   * only if the cached `field` equals `value − 1` (and the cached field is set to `value`);
   * otherwise the key is invalidated.
   * @default undefined (no guard)
   */
  rowVersion?: { field: string; value: number }
}

export interface ResolvedOptions {
  redis: Redis | Cluster | undefined
  subscriber: Redis | Cluster | undefined
  namespace: string
  ttlMs: number
  l1MaxEntries: number
  l1TtlMs: number
  graceMs: number
  jitter: number
  xfetchBeta: number
  negativeTtlMs: number
  leaseTtlMs: number
  leaseWaitMs: number
  leasePollMs: number
  versionTtlMs: number
  commandTimeoutMs: number
  breakerFailureThreshold: number
  breakerOpenMs: number
  maxPendingInvalidations: number
}

function num(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    throw new InvalidOptionsError(`${name} must be a number in [${min}, ${max}], got ${String(value)}`)
  }
  return value
}

function int(name: string, value: unknown, fallback: number, min: number) {
  const n = num(name, value, fallback, min)
  if (!Number.isInteger(n)) throw new InvalidOptionsError(`${name} must be an integer, got ${n}`)
  return n
}

function isClient(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as Redis).evalsha === 'function'
}

/** Validates once and fills defaults, so the hot path never re-checks options. */
export function resolveOptions(options: InventoryCacheOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionsError('options must be an object')
  }
  if (options.redis !== undefined && !isClient(options.redis)) {
    throw new InvalidOptionsError('redis must be an ioredis Redis or Cluster client')
  }
  if (options.subscriber !== undefined) {
    if (!isClient(options.subscriber)) {
      throw new InvalidOptionsError('subscriber must be an ioredis Redis or Cluster client')
    }
    if (options.subscriber === options.redis) {
      throw new InvalidOptionsError('subscriber must be a dedicated connection, not the redis client')
    }
    if (options.redis === undefined) {
      throw new InvalidOptionsError('subscriber needs redis: invalidations are published through it')
    }
  }
  const namespace = options.namespace ?? 'inv'
  if (typeof namespace !== 'string' || namespace.length === 0 || /[{}]/.test(namespace)) {
    throw new InvalidOptionsError('namespace must be a non-empty string without { or }')
  }
  const l1 = options.l1 ?? {}
  const lease = options.lease ?? {}
  const breaker = options.breaker ?? {}
  const resolved: ResolvedOptions = {
    redis: options.redis,
    subscriber: options.subscriber,
    namespace,
    ttlMs: int('ttlMs', options.ttlMs, 5_000, 1),
    l1MaxEntries: int('l1.maxEntries', l1.maxEntries, 10_000, 0),
    l1TtlMs: int('l1.ttlMs', l1.ttlMs, 500, 0),
    graceMs: int('graceMs', options.graceMs, 1_000, 0),
    jitter: num('jitter', options.jitter, 0.1, 0, 0.9),
    xfetchBeta: num('xfetchBeta', options.xfetchBeta, 1, 0, 100),
    negativeTtlMs: int('negativeTtlMs', options.negativeTtlMs, 1_000, 0),
    leaseTtlMs: int('lease.ttlMs', lease.ttlMs, 2_000, 1),
    leaseWaitMs: int('lease.waitMs', lease.waitMs, 3_000, 0),
    leasePollMs: int('lease.pollMs', lease.pollMs, 20, 1),
    versionTtlMs: int('versionTtlMs', options.versionTtlMs, 86_400_000, 1),
    commandTimeoutMs: int('commandTimeoutMs', options.commandTimeoutMs, 500, 1),
    breakerFailureThreshold: int('breaker.failureThreshold', breaker.failureThreshold, 3, 1),
    breakerOpenMs: int('breaker.openMs', breaker.openMs, 1_000, 1),
    maxPendingInvalidations: int('maxPendingInvalidations', options.maxPendingInvalidations, 10_000, 0),
  }
  if (resolved.versionTtlMs < resolved.ttlMs + resolved.graceMs + resolved.leaseTtlMs) {
    throw new InvalidOptionsError(
      'versionTtlMs must outlive a value and a fill (>= ttlMs + graceMs + lease.ttlMs)',
    )
  }
  return resolved
}
