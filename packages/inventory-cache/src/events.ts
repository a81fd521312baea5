import type { BreakerState } from './breaker.js'

/**
 * Metrics hooks, emitted only when someone listens (so they cost nothing otherwise). Payloads
 * are plain objects; keys are the caller's keys without the namespace.
 */
export interface InventoryCacheEvents {
  /** Served from L1 (in-process) or L2 (Redis, fresh). */
  hit: [{ key: string; tier: 'l1' | 'l2' }]
  /** Not in L1 and not usable in L2: this call waits for a fill (its own or another's). */
  miss: [{ key: string }]
  /** An expired L2 value served within graceMs and the call's maxStaleMs; a refresh runs. */
  stale: [{ key: string; staleMs: number }]
  /** A background refresh started: XFetch early refresh, or stale-while-revalidate. */
  refresh: [{ key: string; reason: 'xfetch' | 'stale' }]
  /** This process waited on another process's lease. */
  leaseWait: [{ key: string; ms: number; outcome: 'filled' | 'acquired' | 'timeout' }]
  /** The loader ran (`keys` > 1 for a getMany batch). `ok: false` when it threw. */
  load: [{ key: string; keys: number; ms: number; ok: boolean }]
  /** A fill was dropped because a writer bumped the version while the loader ran. */
  fillDropped: [{ key: string; version: number; current: number }]
  /** An L1 entry was invalidated: by this process's writer call, or a pub/sub message. */
  invalidate: [{ key: string; version: number; source: 'local' | 'remote' }]
  /** The subscriber reconnected: L1 was flushed because messages may have been missed. */
  resync: [{ entries: number }]
  /** Circuit breaker state change. */
  breaker: [{ state: BreakerState }]
  /** A Redis / decode / invalidation failure. Never thrown from reads; emitted only if listened to. */
  error: [Error]
}
