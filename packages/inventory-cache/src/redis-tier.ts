import type { Cluster, Redis } from 'ioredis'
import { type BreakerState, CircuitBreaker } from './breaker.js'
import { decodeValue, type StoredValue } from './codec.js'
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
 * The Redis server clock as seen from this process: the offset is learnt from the TIME that
 * LEASE and FILL return (NTP-style, keeping the sample with the shortest round trip). It lets a
 * plain GET judge freshness by server time, within ±rtt/2. Samples older than a minute are not
 * trusted: the next read then goes through LEASE, which re-learns it.
 */
export class ServerClock {
  #offset = 0
  #rtt = Number.POSITIVE_INFINITY
  #at = Number.NEGATIVE_INFINITY

  observe(serverNow: number, sentAt: number, receivedAt: number): void {
    const rtt = receivedAt - sentAt
    if (!Number.isFinite(serverNow) || rtt < 0) return
    if (rtt <= this.#rtt || receivedAt - this.#at > 10_000) {
      this.#offset = serverNow - (sentAt + receivedAt) / 2
      this.#rtt = rtt
      this.#at = receivedAt
    }
  }

  /** Estimated server ms now, or undefined when the offset is unknown or too old. */
  now(local = Date.now()): number | undefined {
    if (local - this.#at > 60_000) return undefined
    return local + this.#offset
  }
}

/**
 * L2: the Redis side of the cache. Every call goes through the circuit breaker and the
 * per-command timeout, and every step is one of the named scripts in scripts.ts.
 */
export class RedisTier {
  readonly breaker: CircuitBreaker
  readonly clock = new ServerClock()

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

  #decode(key: string, raw: unknown): StoredValue | undefined {
    try {
      return decodeValue(key, raw)
    } catch (error) {
      this.report(error) // a foreign or corrupt value: treat as absent; the next fill overwrites it
      return undefined
    }
  }

  /** The L2 hit path: one plain GET (freshness is judged by the caller with `clock`). */
  get(key: string): Promise<StoredValue | undefined> {
    const valueKey = `{${this.o.namespace}:${key}}:v`
    return this.#guard(() => (this.redis as Redis).get(valueKey)).then((raw) => this.#decode(key, raw))
  }

  /**
   * getMany's read: values and versions of all keys. One MGET on a single node; on Cluster one
   * MGET per key (value and version share a slot), issued together.
   */
  async readMany(keys: string[]): Promise<L2Read[]> {
    if (this.clock.now() === undefined) {
      const sentAt = Date.now()
      const [sec, usec] = await this.#guard(() => (this.redis as Redis).time())
      this.clock.observe(Number(sec) * 1000 + Math.floor(Number(usec) / 1000), sentAt, Date.now())
    }
    const pairs = keys.map((k) => this.keys(k).slice(0, 2) as [string, string])
    let replies: Array<string | null>
    if ((this.redis as Cluster).isCluster) {
      const each = await Promise.all(pairs.map((p) => this.#guard(() => (this.redis as Cluster).mget(...p))))
      replies = each.flat()
    } else {
      replies = await this.#guard(() => (this.redis as Redis).mget(...pairs.flat()))
    }
    const now = this.clock.now() ?? Date.now()
    return keys.map((key, i) => ({
      now,
      stored: this.#decode(key, replies[2 * i]),
      version: Number(replies[2 * i + 1] ?? 0),
    }))
  }

  async lease(key: string, token: string, mode: 'lease' | 'force' | 'peek'): Promise<LeaseRead> {
    const sentAt = Date.now()
    const reply = (await this.#call(scripts.lease, this.keys(key), [
      token,
      this.o.leaseTtlMs,
      mode,
    ])) as unknown[]
    const now = Number(reply[1])
    this.clock.observe(now, sentAt, Date.now())
    return {
      status: Number(reply[0]) as LeaseStatus,
      now,
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
      counters: string
    },
  ): Promise<{ written: boolean; current: number }> {
    const sentAt = Date.now()
    const [written, current, now] = (await this.#call(scripts.fill, this.keys(key), [
      args.version,
      args.token,
      args.json,
      args.freshMs,
      args.graceMs,
      Math.round(args.loaderMs),
      args.negative ? 1 : 0,
      this.o.versionTtlMs,
      args.counters,
    ])) as [number, string, number]
    this.clock.observe(Number(now), sentAt, Date.now())
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

  /** Every Redis script call: through the breaker, with the per-command timeout. */
  #call(script: Script, keys: string[], args: Array<string | number>): Promise<unknown> {
    return this.#guard(() => script.run(this.redis, keys, args))
  }

  /**
   * Breaker + per-command timeout around one command. Written without async/await or
   * Promise.race: this wraps every L2 hit, so it allocates one promise and one timer only.
   */
  #guard<T>(command: () => Promise<T>): Promise<T> {
    if (!this.breaker.allow()) return Promise.reject(new CircuitOpenError())
    const ms = this.o.commandTimeoutMs
    return new Promise<T>((resolve, reject) => {
      let settled = false
      const timer = setTimeout(() => {
        settled = true
        this.breaker.failure()
        reject(new RedisTimeoutError(ms))
      }, ms)
      command().then(
        (result) => {
          clearTimeout(timer)
          if (settled) return
          settled = true
          this.breaker.success()
          resolve(result)
        },
        (error: unknown) => {
          clearTimeout(timer)
          if (settled) return
          settled = true
          // A ReplyError is Redis answering (e.g. WRONGTYPE): it is alive, so no breaker failure.
          if ((error as Error)?.name === 'ReplyError') this.breaker.success()
          else this.breaker.failure()
          reject(error instanceof InventoryCacheError ? error : new RedisCommandError(error))
        },
      )
    })
  }
}
