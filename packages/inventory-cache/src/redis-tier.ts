import type { Cluster, Redis } from 'ioredis'
import { type BreakerState, CircuitBreaker } from './breaker.js'
import { decodeHash, type StoredValue } from './codec.js'
import { CircuitOpenError, InventoryCacheError, RedisCommandError, RedisTimeoutError } from './errors.js'
import type { ResolvedOptions } from './options.js'
import { type Script, scripts } from './scripts.js'

/** Outcome of the LEASE script. */
export const LeaseStatus = { Fresh: 1, Acquired: 2, Busy: 3 } as const
export type LeaseStatus = (typeof LeaseStatus)[keyof typeof LeaseStatus]

export interface L2Read {
  /** Redis server clock, ms. */
  now: number
  /** The key's current version (read before any loader runs). */
  version: number
  /** The value, fresh or not; undefined when absent (or undecodable: reported, then ignored). */
  stored: StoredValue | undefined
}

export interface LeaseRead extends L2Read {
  status: LeaseStatus
  /** Lease PTTL when busy. */
  leaseTtl: number
}

/**
 * L2: the Redis side of the cache. Every call goes through the circuit breaker and the
 * per-command timeout, and every step is one of the named scripts in scripts.ts.
 */
export class RedisTier {
  readonly breaker: CircuitBreaker

  constructor(
    readonly redis: Redis | Cluster,
    readonly o: ResolvedOptions,
    /** Prefix of this instance's pub/sub messages: "<instance>|". */
    readonly messagePrefix: string,
    readonly channel: string,
    readonly report: (error: unknown) => void,
    onBreaker: (state: BreakerState) => void,
  ) {
    this.breaker = new CircuitBreaker(o.breakerFailureThreshold, o.breakerOpenMs, onBreaker)
  }

  keys(key: string): [string, string, string] {
    const tag = `{${this.o.namespace}:${key}}`
    return [`${tag}:v`, `${tag}:ver`, `${tag}:lease`]
  }

  #decode(key: string, flat: unknown): StoredValue | undefined {
    try {
      return decodeHash(key, flat)
    } catch (error) {
      this.report(error) // a foreign or corrupt value: treat as absent; the next fill overwrites it
      return undefined
    }
  }

  async read(key: string): Promise<L2Read> {
    const [v, ver] = this.keys(key)
    const [now, version, flat] = (await this.#call(scripts.read, [v, ver], [])) as [number, string, unknown]
    return { now: Number(now), version: Number(version), stored: this.#decode(key, flat) }
  }

  async lease(key: string, token: string, mode: 'lease' | 'force' | 'peek'): Promise<LeaseRead> {
    const reply = (await this.#call(scripts.lease, this.keys(key), [
      token,
      this.o.leaseTtlMs,
      mode,
    ])) as unknown[]
    return {
      status: Number(reply[0]) as LeaseStatus,
      now: Number(reply[1]),
      version: Number(reply[2]),
      stored: this.#decode(key, reply[3]),
      leaseTtl: Number(reply[4] ?? 0),
    }
  }

  /** The fenced fill; resolves `{ written, current }`. */
  async fill(
    key: string,
    args: {
      version: number
      token: string
      json: string
      freshMs: number
      graceMs: number
      loaderMs: number
      negative: boolean
      counters: string[]
    },
  ): Promise<{ written: boolean; current: number }> {
    const [written, current] = (await this.#call(scripts.fill, this.keys(key), [
      args.version,
      args.token,
      args.json,
      args.freshMs,
      args.graceMs,
      Math.round(args.loaderMs),
      args.negative ? 1 : 0,
      this.o.versionTtlMs,
      ...args.counters,
    ])) as [number, string]
    return { written: Number(written) === 1, current: Number(current) }
  }

  /** Returns the new version. */
  async invalidate(key: string): Promise<number> {
    const [v, ver] = this.keys(key)
    const reply = await this.#call(
      scripts.invalidate,
      [v, ver],
      [this.o.versionTtlMs, this.channel, this.messagePrefix, key],
    )
    return Number(reply)
  }

  async delta(
    key: string,
    field: string,
    delta: number,
    guard: { field: string; value: number } | undefined,
  ): Promise<{ applied: boolean; version: number }> {
    const [v, ver] = this.keys(key)
    const [applied, version] = (await this.#call(
      scripts.delta,
      [v, ver],
      [
        this.o.versionTtlMs,
        this.channel,
        this.messagePrefix,
        key,
        field,
        delta,
        guard?.field ?? '',
        guard?.value ?? 0,
      ],
    )) as [number, number]
    return { applied: Number(applied) === 1, version: Number(version) }
  }

  /** Hands a lease back (best effort) so waiters elsewhere retry now, not after lease.ttlMs. */
  release(key: string, token: string): void {
    this.#call(scripts.release, [this.keys(key)[2]], [token]).catch((error) => this.report(error))
  }

  withTimeout<T>(promise: Promise<T>): Promise<T> {
    promise.catch(() => {}) // the loser of the race must not become an unhandled rejection
    const ms = this.o.commandTimeoutMs
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisTimeoutError(ms)), ms)
    })
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
  }

  /** Every Redis call: through the breaker, with the per-command timeout. */
  async #call(script: Script, keys: string[], args: Array<string | number>): Promise<unknown> {
    if (!this.breaker.allow()) throw new CircuitOpenError()
    try {
      const result = await this.withTimeout(script.run(this.redis, keys, args))
      this.breaker.success()
      return result
    } catch (error) {
      // A ReplyError is Redis answering (e.g. WRONGTYPE): it is alive, so it doesn't trip the breaker.
      if ((error as Error)?.name === 'ReplyError') this.breaker.success()
      else this.breaker.failure()
      throw error instanceof InventoryCacheError ? error : new RedisCommandError(error)
    }
  }
}
