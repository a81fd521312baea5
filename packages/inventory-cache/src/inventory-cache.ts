import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { performance } from 'node:perf_hooks'
import type { BreakerState } from './breaker.js'
import { CircuitBreaker } from './breaker.js'
import { decodeHash, deepFreeze, encodeValue, normalise, type StoredValue } from './codec.js'
import {
  CacheClosedError,
  CircuitOpenError,
  InvalidArgumentError,
  InvalidationFailedError,
  InventoryCacheError,
  RedisCommandError,
  RedisTimeoutError,
} from './errors.js'
import type { InventoryCacheEvents } from './events.js'
import { L1Cache } from './l1.js'
import {
  type ApplyDeltaOptions,
  type GetManyOptions,
  type GetOptions,
  type InventoryCacheOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js'
import { type Script, scripts } from './scripts.js'

/** The read-through inventory cache. Create it with {@link createInventoryCache}. */
export interface InventoryCache extends EventEmitter<InventoryCacheEvents> {
  /**
   * Read-through. `loader` returns `undefined` for "not found" (negatively cached). The value
   * returned is a deep-frozen JSON copy of what the loader returned (the same on every path).
   * Single-flight within the process and, through a Redis lease, across processes.
   */
  getOrLoad<T extends object>(
    key: string,
    loader: () => Promise<T | undefined>,
    options?: GetOptions,
  ): Promise<T | undefined>
  /**
   * Batch read-through: one loader call for all keys missing from L1 and L2 (keys already being
   * loaded by another call are joined, not loaded twice). Keys absent from the loader's map are
   * negatively cached and absent from the result.
   */
  getMany<T extends object>(
    keys: string[],
    loader: (missing: string[]) => Promise<Map<string, T>>,
    options?: GetManyOptions,
  ): Promise<Map<string, T>>
  /**
   * Writer side, AFTER the DB commit: bump the version and drop the value (one Lua call, which
   * also publishes the L1 invalidation). Never rejects for Redis failures: they are emitted
   * (E_INVALIDATION_FAILED) and the invalidation is replayed when Redis is back.
   */
  invalidate(key: string): Promise<void>
  /**
   * Apply a committed counter delta in place (HINCRBY + version bump, atomically), e.g.
   * availableSeats −2 after a reservation commits. Returns false, without creating anything,
   * when the key is not cached (or cannot be patched: it is then invalidated instead).
   */
  applyDelta(key: string, field: string, delta: number, options?: ApplyDeltaOptions): Promise<boolean>
  /** Resolves once the pub/sub subscription is active (immediately without a subscriber). */
  whenReady(): Promise<void>
  /** Current circuit-breaker state ('closed' when there is no Redis). */
  readonly breakerState: BreakerState
  /** Unsubscribes and waits for in-flight loads; does NOT quit clients it was handed. */
  close(): Promise<void>
}

interface Loaded {
  value: object | undefined
  version: number
}

/** One in-process load of a key; `superseded` once a writer invalidated it mid-flight. */
interface Flight {
  promise: Promise<Loaded>
  superseded: boolean
}

interface L2Read {
  now: number
  version: number
  stored: StoredValue | undefined
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidArgumentError(`key must be a non-empty string, got ${JSON.stringify(key)}`)
  }
}

function checkMs(name: string, value: unknown, min: number): void {
  if (value !== undefined && (typeof value !== 'number' || Number.isNaN(value) || value < min)) {
    throw new InvalidArgumentError(`${name} must be a number >= ${min}, got ${String(value)}`)
  }
}

class InventoryCacheImpl extends EventEmitter<InventoryCacheEvents> implements InventoryCache {
  readonly #o: ResolvedOptions
  readonly #l1: L1Cache
  readonly #breaker: CircuitBreaker
  /** In-process single flight: at most one load per key. */
  readonly #flights = new Map<string, Flight>()
  /** In-process dedupe of L2 reads, so 300 concurrent misses cost one round trip. */
  readonly #reads = new Map<string, Promise<L2Read>>()
  /** Invalidations that could not reach Redis, replayed when the circuit closes. */
  readonly #pending = new Set<string>()
  /** Identifies this instance's own pub/sub messages (already applied locally). */
  readonly #instance = randomBytes(8).toString('hex')
  readonly #channel: string
  readonly #ready: Promise<void>
  #subscribed = false
  #closed = false
  readonly #onMessage = (channel: string, message: string) => {
    if (channel === this.#channel) this.#remoteInvalidation(message)
  }
  readonly #onSubscriberReady = () => {
    // ioredis resubscribes on reconnect; messages sent while we were away are lost, so L1
    // may hold values that were invalidated meanwhile.
    if (!this.#subscribed) return
    const entries = this.#l1.size
    this.#l1.clear()
    this.#emit('resync', { entries })
  }

  constructor(options: InventoryCacheOptions) {
    super()
    this.#o = resolveOptions(options)
    this.#l1 = new L1Cache(this.#o.l1MaxEntries, this.#o.l1TtlMs)
    this.#channel = `${this.#o.namespace}:invalidate`
    this.#breaker = new CircuitBreaker(this.#o.breakerFailureThreshold, this.#o.breakerOpenMs, (state) => {
      this.#emit('breaker', { state })
      if (state === 'closed' && this.#pending.size > 0) void this.#replay()
    })
    const sub = this.#o.subscriber
    if (sub === undefined) {
      this.#ready = Promise.resolve()
    } else {
      sub.on('message', this.#onMessage)
      sub.on('ready', this.#onSubscriberReady)
      this.#ready = sub.subscribe(this.#channel).then(
        () => {
          this.#subscribed = true
        },
        (error: unknown) => this.#report(new RedisCommandError(error)),
      )
    }
  }

  get breakerState(): BreakerState {
    return this.#breaker.state
  }

  whenReady(): Promise<void> {
    return this.#ready
  }

  async getOrLoad<T extends object>(
    key: string,
    loader: () => Promise<T | undefined>,
    options?: GetOptions,
  ): Promise<T | undefined> {
    if (this.#closed) throw new CacheClosedError()
    checkKey(key)
    const maxStale = options?.maxStaleMs ?? Number.POSITIVE_INFINITY
    const now = Date.now()
    const hit = this.#l1.get(key, now)
    if (hit !== undefined && now - hit.storedAt < maxStale) {
      if (this.listenerCount('hit') > 0) this.emit('hit', { key, tier: 'l1' })
      return hit.value as T | undefined
    }
    if (typeof loader !== 'function') throw new InvalidArgumentError('loader must be a function')
    checkMs('maxStaleMs', options?.maxStaleMs, 0)
    checkMs('ttlMs', options?.ttlMs, 1)
    const ttl = options?.ttlMs ?? this.#o.ttlMs
    if (this.#o.redis === undefined) return (await this.#loadLocal(key, loader)).value as T | undefined
    let read: L2Read
    try {
      read = await this.#read(key)
    } catch (error) {
      this.#report(error)
      return (await this.#loadLocal(key, loader)).value as T | undefined
    }
    const stored = read.stored
    if (stored !== undefined) {
      if (stored.freshUntil > read.now) {
        this.#storeL1(key, stored, read.now)
        if (this.listenerCount('hit') > 0) this.emit('hit', { key, tier: 'l2' })
        if (this.#xfetch(stored, read.now)) this.#background(key, loader, ttl, 'xfetch')
        return stored.value as T | undefined
      }
      const staleMs = read.now - stored.freshUntil
      if (read.now < stored.graceUntil && staleMs < maxStale) {
        this.#emit('stale', { key, staleMs })
        this.#background(key, loader, ttl, 'stale')
        return stored.value as T | undefined
      }
    }
    this.#emit('miss', { key })
    return (await this.#fill(key, loader, ttl)).value as T | undefined
  }

  async getMany<T extends object>(
    keys: string[],
    loader: (missing: string[]) => Promise<Map<string, T>>,
    options?: GetManyOptions,
  ): Promise<Map<string, T>> {
    if (this.#closed) throw new CacheClosedError()
    if (!Array.isArray(keys)) throw new InvalidArgumentError('keys must be an array of strings')
    for (const key of keys) checkKey(key)
    if (typeof loader !== 'function') throw new InvalidArgumentError('loader must be a function')
    checkMs('maxStaleMs', options?.maxStaleMs, 0)
    checkMs('ttlMs', options?.ttlMs, 1)
    const maxStale = options?.maxStaleMs ?? Number.POSITIVE_INFINITY
    const ttl = options?.ttlMs ?? this.#o.ttlMs
    const result = new Map<string, T>()
    const now = Date.now()
    const toRead: string[] = []
    for (const key of new Set(keys)) {
      const hit = this.#l1.get(key, now)
      if (hit !== undefined && now - hit.storedAt < maxStale) {
        this.#emit('hit', { key, tier: 'l1' })
        if (hit.value !== undefined) result.set(key, hit.value as T)
      } else {
        toRead.push(key)
      }
    }
    if (toRead.length === 0) return result

    // L2: one READ per key, issued together (values are hashes, so MGET cannot read them; on
    // a single node this is one pipelined batch, on Cluster one batch per node).
    let reads: Array<L2Read | undefined> = []
    if (this.#o.redis !== undefined) {
      const settled = await Promise.allSettled(toRead.map((key) => this.#read(key)))
      reads = settled.map((s) => {
        if (s.status === 'fulfilled') return s.value
        this.#report(s.reason)
        return undefined
      })
    }
    const waits: Array<Promise<void>> = []
    const missing: string[] = []
    const versions = new Map<string, number | undefined>()
    toRead.forEach((key, i) => {
      const read = reads[i]
      const stored = read?.stored
      if (read !== undefined && stored !== undefined) {
        if (stored.freshUntil > read.now) {
          this.#storeL1(key, stored, read.now)
          this.#emit('hit', { key, tier: 'l2' })
          if (stored.value !== undefined) result.set(key, stored.value as T)
          return
        }
        const staleMs = read.now - stored.freshUntil
        if (read.now < stored.graceUntil && staleMs < maxStale) {
          this.#emit('stale', { key, staleMs })
          this.#background(key, () => loader([key]).then((m) => m.get(key)), ttl, 'stale')
          if (stored.value !== undefined) result.set(key, stored.value as T)
          return
        }
      }
      const flight = this.#flights.get(key)
      if (flight !== undefined && !flight.superseded) {
        waits.push(
          flight.promise.then((loaded) => {
            if (loaded.value !== undefined) result.set(key, loaded.value as T)
          }),
        )
        return
      }
      this.#emit('miss', { key })
      missing.push(key)
      versions.set(key, read?.version)
    })

    if (missing.length > 0) {
      const batch = this.#runLoader(missing[0]!, missing.length, () => loader(missing))
      for (const key of missing) {
        const flight = this.#startFlight(key, async (f) => {
          const { value, ms } = await batch
          const version = versions.get(key)
          const loaded = value instanceof Map ? (value.get(key) as object | undefined) : undefined
          if (version === undefined) return this.#keepLocal(key, loaded, f)
          return this.#store(key, loaded, ms, ttl, version, '', f)
        })
        waits.push(
          flight.promise.then((loaded) => {
            if (loaded.value !== undefined) result.set(key, loaded.value as T)
          }),
        )
      }
    }
    await Promise.all(waits)
    return result
  }

  async invalidate(key: string): Promise<void> {
    if (this.#closed) throw new CacheClosedError()
    checkKey(key)
    this.#supersede(key)
    if (this.#o.redis === undefined) {
      this.#emit('invalidate', { key, version: -1, source: 'local' })
      return
    }
    const version = await this.#bump(key, () =>
      this.#call(scripts.invalidate, this.#keys(key).slice(0, 2), [
        this.#o.versionTtlMs,
        this.#channel,
        `${this.#instance}|`,
        key,
      ]).then(Number),
    )
    if (version !== undefined) this.#emit('invalidate', { key, version, source: 'local' })
  }

  async applyDelta(key: string, field: string, delta: number, options?: ApplyDeltaOptions): Promise<boolean> {
    if (this.#closed) throw new CacheClosedError()
    checkKey(key)
    if (typeof field !== 'string' || field.length === 0) {
      throw new InvalidArgumentError('field must be a non-empty string')
    }
    if (!Number.isSafeInteger(delta))
      throw new InvalidArgumentError(`delta must be a safe integer, got ${delta}`)
    const guard = options?.rowVersion
    if (guard !== undefined && (typeof guard.field !== 'string' || !Number.isSafeInteger(guard.value))) {
      throw new InvalidArgumentError('rowVersion must be { field: string, value: safe integer }')
    }
    if (this.#o.redis === undefined) {
      this.#supersede(key, false) // the L1 entry is patched (or dropped) below
      return this.#applyDeltaLocal(key, field, delta, guard)
    }
    this.#supersede(key)
    let applied = false
    const version = await this.#bump(key, async () => {
      const reply = (await this.#call(scripts.delta, this.#keys(key).slice(0, 2), [
        this.#o.versionTtlMs,
        this.#channel,
        `${this.#instance}|`,
        key,
        field,
        delta,
        guard?.field ?? '',
        guard?.value ?? 0,
      ])) as [number, number]
      applied = Number(reply[0]) === 1
      return Number(reply[1])
    })
    if (version !== undefined) this.#emit('invalidate', { key, version, source: 'local' })
    return applied
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const sub = this.#o.subscriber
    if (sub !== undefined) {
      sub.removeListener('message', this.#onMessage)
      sub.removeListener('ready', this.#onSubscriberReady)
      await this.#withTimeout(sub.unsubscribe(this.#channel)).catch(() => {})
    }
    await Promise.allSettled([...this.#flights.values()].map((f) => f.promise))
    this.#l1.clear()
  }

  // ---- read path ---------------------------------------------------------------------------

  #keys(key: string): [string, string, string] {
    const tag = `{${this.#o.namespace}:${key}}`
    return [`${tag}:v`, `${tag}:ver`, `${tag}:lease`]
  }

  #read(key: string): Promise<L2Read> {
    const existing = this.#reads.get(key)
    if (existing !== undefined) return existing
    const [v, ver] = this.#keys(key)
    const promise = this.#call(scripts.read, [v, ver], []).then((reply) => {
      const [now, version, flat] = reply as [number, string, unknown[]]
      let stored: StoredValue | undefined
      try {
        stored = decodeHash(key, flat)
      } catch (error) {
        this.#report(error) // a foreign or corrupt value: treat as a miss, the fill overwrites it
      }
      return { now: Number(now), version: Number(version), stored }
    })
    this.#reads.set(key, promise)
    const clear = () => {
      if (this.#reads.get(key) === promise) this.#reads.delete(key)
    }
    promise.then(clear, clear)
    return promise
  }

  #storeL1(key: string, stored: StoredValue, serverNow: number): void {
    this.#l1.set(key, stored.value, stored.version, Date.now(), stored.freshUntil - serverNow)
  }

  /** XFetch: refresh early with a probability that rises as expiry nears, scaled by load time. */
  #xfetch(stored: StoredValue, now: number): boolean {
    const beta = this.#o.xfetchBeta
    if (beta === 0 || stored.negative) return false
    return now - Math.max(stored.loaderMs, 1) * beta * Math.log(Math.random()) >= stored.freshUntil
  }

  #startFlight(key: string, run: (flight: Flight) => Promise<Loaded>): Flight {
    const flight: Flight = { promise: Promise.resolve({ value: undefined, version: -1 }), superseded: false }
    flight.promise = run(flight)
    this.#flights.set(key, flight)
    const done = () => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key)
    }
    flight.promise.then(done, done)
    return flight
  }

  #fill(key: string, loader: () => Promise<object | undefined>, ttl: number): Promise<Loaded> {
    const flight = this.#flights.get(key)
    if (flight !== undefined && !flight.superseded) return flight.promise
    return this.#startFlight(key, (f) => this.#leaseLoop(key, loader, ttl, f, 'wait')).promise
  }

  #background(
    key: string,
    loader: () => Promise<object | undefined>,
    ttl: number,
    reason: 'xfetch' | 'stale',
  ): void {
    const flight = this.#flights.get(key)
    if (flight !== undefined && !flight.superseded) return
    this.#emit('refresh', { key, reason })
    const mode = reason === 'xfetch' ? 'force' : 'wait'
    const started = this.#startFlight(key, (f) => this.#leaseLoop(key, loader, ttl, f, mode))
    started.promise.catch((error: unknown) => this.#report(error))
  }

  /**
   * The cross-process single flight: take the lease and load, or wait for the holder's fill
   * (polling, which also rate-limits lease attempts per key), or after lease.waitMs load anyway
   * (the fill is still version-fenced). 'force' skips the fresh check once (XFetch refresh).
   */
  async #leaseLoop(
    key: string,
    loader: () => Promise<object | undefined>,
    ttl: number,
    flight: Flight,
    firstMode: 'wait' | 'force',
  ): Promise<Loaded> {
    const keys = this.#keys(key)
    const token = randomBytes(12).toString('base64')
    const started = Date.now()
    let mode = firstMode
    let waited = false
    for (;;) {
      let reply: unknown[]
      try {
        reply = (await this.#call(scripts.lease, keys, [token, this.#o.leaseTtlMs, mode])) as unknown[]
      } catch (error) {
        this.#report(error)
        return this.#keepLocal(key, await this.#runLoaderValue(key, loader), flight)
      }
      const status = Number(reply[0])
      const now = Number(reply[1])
      const version = Number(reply[2])
      if (status === 1) {
        let stored: StoredValue | undefined
        try {
          stored = decodeHash(key, reply[3])
        } catch (error) {
          this.#report(error)
        }
        if (stored !== undefined) {
          if (!flight.superseded) this.#storeL1(key, stored, now)
          if (waited) this.#leaseWaited(key, started, 'filled')
          return { value: stored.value, version: stored.version }
        }
      }
      if (status === 2 || status === 1) {
        if (waited) this.#leaseWaited(key, started, 'acquired')
        let loaded: { value: object | undefined; ms: number }
        try {
          loaded = await this.#runLoader(key, 1, loader)
        } catch (error) {
          // Hand the lease back so waiters elsewhere retry now rather than after lease.ttlMs.
          if (status === 2) this.#call(scripts.release, [keys[2]], [token]).catch((e) => this.#report(e))
          throw error
        }
        return this.#store(key, loaded.value, loaded.ms, ttl, version, token, flight)
      }
      if (Date.now() - started >= this.#o.leaseWaitMs) {
        this.#leaseWaited(key, started, 'timeout')
        const { value, ms } = await this.#runLoader(key, 1, loader)
        return this.#store(key, value, ms, ttl, version, token, flight)
      }
      mode = 'wait'
      waited = true
      const pttl = Number(reply[3])
      const poll = this.#o.leasePollMs * (0.5 + Math.random())
      await sleep(Math.max(1, pttl > 0 ? Math.min(poll, pttl) : poll))
    }
  }

  #leaseWaited(key: string, started: number, outcome: 'filled' | 'acquired' | 'timeout') {
    this.#emit('leaseWait', { key, ms: Date.now() - started, outcome })
  }

  async #runLoader<V>(
    key: string,
    keys: number,
    loader: () => Promise<V>,
  ): Promise<{ value: V; ms: number }> {
    const t0 = performance.now()
    try {
      const value = await loader()
      this.#emit('load', { key, keys, ms: performance.now() - t0, ok: true })
      return { value, ms: performance.now() - t0 }
    } catch (error) {
      this.#emit('load', { key, keys, ms: performance.now() - t0, ok: false })
      throw error
    }
  }

  async #runLoaderValue(key: string, loader: () => Promise<object | undefined>): Promise<object | undefined> {
    return (await this.#runLoader(key, 1, loader)).value
  }

  /**
   * The versioned, fenced fill. `version` was read before the loader started; the script writes
   * only if it is still current. A dropped fill still answers its callers (their reads began
   * before the writer's invalidation) but is kept out of L1 and L2.
   */
  async #store(
    key: string,
    loaded: object | undefined,
    loaderMs: number,
    ttl: number,
    version: number,
    token: string,
    flight: Flight,
  ): Promise<Loaded> {
    if (loaded !== undefined && (typeof loaded !== 'object' || loaded === null)) {
      throw new InvalidArgumentError(`loader for '${key}' must resolve to an object or undefined`)
    }
    const negative = loaded === undefined
    let json = ''
    let counters: string[] = []
    let value: object | undefined
    if (!negative) {
      ;({ json, counters } = encodeValue(loaded))
      value = normalise(json)
    }
    const fresh = negative
      ? this.#o.negativeTtlMs
      : Math.max(1, Math.round(ttl * (1 - this.#o.jitter * Math.random())))
    const grace = negative ? 0 : this.#o.graceMs
    try {
      const [written, current] = (await this.#call(scripts.fill, this.#keys(key), [
        version,
        token,
        json,
        fresh,
        grace,
        Math.round(loaderMs),
        negative ? 1 : 0,
        this.#o.versionTtlMs,
        ...counters,
      ])) as [number, string]
      if (Number(written) === 1) {
        if (!flight.superseded) this.#l1.set(key, value, version, Date.now(), fresh)
      } else {
        this.#emit('fillDropped', { key, version, current: Number(current) })
      }
    } catch (error) {
      this.#report(error)
      if (!flight.superseded) this.#l1.set(key, value, -1, Date.now())
    }
    return { value, version }
  }

  /** Redis unreachable (or absent): load in-process, single-flighted, kept in L1 only. */
  #loadLocal(key: string, loader: () => Promise<object | undefined>): Promise<Loaded> {
    const flight = this.#flights.get(key)
    if (flight !== undefined && !flight.superseded) return flight.promise
    return this.#startFlight(key, async (f) =>
      this.#keepLocal(key, await this.#runLoaderValue(key, loader), f),
    ).promise
  }

  #keepLocal(key: string, loaded: object | undefined, flight: Flight): Loaded {
    if (loaded !== undefined && (typeof loaded !== 'object' || loaded === null)) {
      throw new InvalidArgumentError(`loader for '${key}' must resolve to an object or undefined`)
    }
    const value = loaded === undefined ? undefined : normalise(JSON.stringify(loaded))
    const version = this.#o.redis === undefined ? 0 : -1
    if (!flight.superseded) {
      this.#l1.set(
        key,
        value,
        version,
        Date.now(),
        value === undefined ? this.#o.negativeTtlMs : this.#o.l1TtlMs,
      )
    }
    return { value, version }
  }

  // ---- write path --------------------------------------------------------------------------

  /** Loads in flight for `key` read the DB before this write: keep their result out of L1. */
  #supersede(key: string, dropL1 = true): void {
    const flight = this.#flights.get(key)
    if (flight !== undefined) flight.superseded = true
    this.#reads.delete(key)
    if (dropL1) this.#l1.delete(key)
  }

  /** Runs a version bump; tombstones L1 at the new version, or queues a replay on failure. */
  async #bump(key: string, run: () => Promise<number>): Promise<number | undefined> {
    try {
      const version = await run()
      this.#l1.invalidate(key, version, Date.now())
      this.#pending.delete(key)
      return version
    } catch (error) {
      if (this.#pending.size < this.#o.maxPendingInvalidations) this.#pending.add(key)
      this.#report(new InvalidationFailedError(key, error))
      return undefined
    }
  }

  async #replay(): Promise<void> {
    for (const key of [...this.#pending]) {
      if (this.#closed) return
      try {
        const version = Number(
          await this.#call(scripts.invalidate, this.#keys(key).slice(0, 2), [
            this.#o.versionTtlMs,
            this.#channel,
            `${this.#instance}|`,
            key,
          ]),
        )
        this.#pending.delete(key)
        this.#l1.invalidate(key, version, Date.now())
      } catch (error) {
        this.#report(new InvalidationFailedError(key, error))
        return
      }
    }
  }

  #applyDeltaLocal(
    key: string,
    field: string,
    delta: number,
    guard: ApplyDeltaOptions['rowVersion'],
  ): boolean {
    const now = Date.now()
    const entry = this.#l1.get(key, now)
    const current = entry?.value as Record<string, unknown> | undefined
    const guardOk = guard === undefined || (current !== undefined && current[guard.field] === guard.value - 1)
    if (entry === undefined || current === undefined || !Number.isSafeInteger(current[field]) || !guardOk) {
      this.#l1.delete(key)
      return false
    }
    const next = structuredClone(current)
    next[field] = (current[field] as number) + delta
    if (guard !== undefined) next[guard.field] = guard.value
    this.#l1.set(key, deepFreeze(next), entry.version + 1, now, entry.expiresAt - now)
    return true
  }

  #remoteInvalidation(message: string): void {
    const a = message.indexOf('|')
    const b = message.indexOf('|', a + 1)
    if (a < 0 || b < 0 || message.slice(0, a) === this.#instance) return
    const version = Number(message.slice(a + 1, b))
    const key = message.slice(b + 1)
    this.#reads.delete(key)
    if (this.#l1.invalidate(key, version, Date.now())) {
      this.#emit('invalidate', { key, version, source: 'remote' })
    }
  }

  // ---- Redis plumbing ----------------------------------------------------------------------

  #withTimeout<T>(promise: Promise<T>): Promise<T> {
    promise.catch(() => {}) // the loser of the race must not become an unhandled rejection
    const ms = this.#o.commandTimeoutMs
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisTimeoutError(ms)), ms)
    })
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
  }

  /** Every Redis call: through the breaker, with the per-command timeout. */
  async #call(script: Script, keys: string[], args: Array<string | number>): Promise<unknown> {
    const redis = this.#o.redis
    if (redis === undefined || !this.#breaker.allow()) throw new CircuitOpenError()
    try {
      const result = await this.#withTimeout(script.run(redis, keys, args))
      this.#breaker.success()
      return result
    } catch (error) {
      // A ReplyError is Redis answering (e.g. WRONGTYPE): it is alive, so it doesn't trip the breaker.
      if ((error as Error)?.name === 'ReplyError') this.#breaker.success()
      else this.#breaker.failure()
      throw error instanceof InventoryCacheError ? error : new RedisCommandError(error)
    }
  }

  #emit<K extends keyof InventoryCacheEvents>(name: K, ...payload: InventoryCacheEvents[K]): void {
    if (this.listenerCount(name) > 0)
      (this.emit as (n: K, ...p: InventoryCacheEvents[K]) => boolean)(name, ...payload)
  }

  /** Errors are events, never crashes: emitted only when someone listens. */
  #report(error: unknown): void {
    if (error instanceof CircuitOpenError) return // expected while open; the 'breaker' event says so
    const err = error instanceof Error ? error : new RedisCommandError(error)
    this.#emit('error', err)
  }
}

/** Creates an inventory cache. Options are validated here (E_INVALID_OPTIONS). */
export function createInventoryCache(options: InventoryCacheOptions): InventoryCache {
  return new InventoryCacheImpl(options)
}
