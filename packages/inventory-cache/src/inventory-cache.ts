import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { performance } from 'node:perf_hooks'
import type { BreakerState } from './breaker.js'
import { encodeValue, normalise, type StoredValue } from './codec.js'
import { CacheClosedError, CircuitOpenError, InvalidArgumentError } from './errors.js'
import type { InventoryCacheEvents } from './events.js'
import { FreshHints } from './fresh-hints.js'
import { type InvalidationHost, Invalidator } from './invalidation.js'
import { L1Cache } from './l1.js'
import {
  type ApplyDeltaOptions,
  type GetManyOptions,
  type GetOptions,
  type InventoryCacheOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js'
import { type L2Read, type LeaseRead, LeaseStatus, RedisTier } from './redis-tier.js'
import type { InventoryCache } from './types.js'

type Loader = () => Promise<object | undefined>

interface Loaded {
  value: object | undefined
  version: number
}

/** One in-process load of a key; `superseded` once a writer invalidated it mid-flight. */
interface Flight {
  promise: Promise<Loaded>
  superseded: boolean
}

/** A getOrLoad read; `flight` is set when this read took the lease and started the load. */
interface Read extends LeaseRead {
  flight: Flight | undefined
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
/** Keys whose L2 freshness this process remembers (fresh-hints.ts): about 1 MB at most. */
const HINTED_KEYS = 10_000

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

function checkLoaded(key: string, loaded: unknown): asserts loaded is object | undefined {
  if (loaded !== undefined && (typeof loaded !== 'object' || loaded === null)) {
    throw new InvalidArgumentError(`loader for '${key}' must resolve to an object or undefined`)
  }
}

class InventoryCacheImpl extends EventEmitter<InventoryCacheEvents> implements InventoryCache {
  readonly #o: ResolvedOptions
  readonly #l1: L1Cache
  readonly #l2: RedisTier | undefined
  /** In-process single flight: at most one load per key. */
  readonly #flights = new Map<string, Flight>()
  /** In-process dedupe of L2 reads, so 300 concurrent misses cost one round trip. */
  readonly #gets = new Map<string, Promise<StoredValue | undefined>>()
  readonly #reads = new Map<string, Promise<Read>>()
  /** Identifies this instance's own pub/sub messages (already applied locally). */
  readonly #instance = randomBytes(8).toString('hex')
  /**
   * Lease tokens: this instance's random id and a counter. Unique across processes as the id is,
   * without a randomBytes call per read (it was ~5% of a miss's CPU).
   */
  #tokens = 0
  readonly #hints = new FreshHints(HINTED_KEYS)
  readonly #channel: string
  readonly #invalidator: Invalidator
  #closed = false

  constructor(options: InventoryCacheOptions) {
    super()
    this.#o = resolveOptions(options)
    this.#l1 = new L1Cache(this.#o.l1MaxEntries, this.#o.l1TtlMs)
    this.#channel = `${this.#o.namespace}:invalidate`
    if (this.#o.redis !== undefined) {
      this.#l2 = new RedisTier(
        this.#o.redis,
        this.#o,
        `${this.#instance}|`,
        this.#channel,
        (error) => this.#report(error),
        (state) => {
          this.#emit('breaker', { state })
          if (state === 'closed' && this.#invalidator.pending > 0) void this.#invalidator.replay()
        },
      )
    }
    const emit = this.#emit.bind(this) as InvalidationHost['emit']
    this.#invalidator = new Invalidator({
      options: this.#o,
      l1: this.#l1,
      l2: this.#l2,
      instance: this.#instance,
      channel: this.#channel,
      forget: (key) => {
        this.#gets.delete(key)
        this.#reads.delete(key)
        this.#hints.forget(key)
      },
      emit,
      report: (error) => this.#report(error),
    })
  }

  get breakerState(): BreakerState {
    return this.#l2?.breaker.state ?? 'closed'
  }

  whenReady(): Promise<void> {
    return this.#invalidator.ready
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
    const l2 = this.#l2
    if (l2 === undefined) return (await this.#loadLocal(key, loader)).value as T | undefined
    const clockNow = l2.clock.now()
    if (clockNow !== undefined && this.#hints.expectsFresh(key, clockNow)) {
      // The hit path: one GET, freshness judged by the learnt server clock. Anything else (absent,
      // expired, clock unknown) goes through LEASE, which decides by the server's own TIME; so
      // does a key not expected fresh (fresh-hints.ts), without the GET.
      let stored: StoredValue | undefined
      try {
        stored = await this.#get(key)
      } catch (error) {
        this.#report(error)
        return (await this.#loadLocal(key, loader)).value as T | undefined
      }
      const serverNow = l2.clock.now() ?? Number.POSITIVE_INFINITY
      if (stored !== undefined && stored.freshUntil > serverNow) {
        this.#hints.saw(key, stored.freshUntil)
        this.#storeL1(key, stored, serverNow)
        if (this.listenerCount('hit') > 0) this.emit('hit', { key, tier: 'l2' })
        if (this.#xfetch(stored, serverNow)) this.#background(key, loader, ttl, 'xfetch')
        return stored.value as T | undefined
      }
    }
    let read: Read
    try {
      read = await this.#read(key, loader, ttl)
    } catch (error) {
      this.#report(error)
      return (await this.#loadLocal(key, loader)).value as T | undefined
    }
    const stored = read.stored
    if (read.status === LeaseStatus.Fresh && stored !== undefined) {
      this.#hints.saw(key, stored.freshUntil)
      this.#storeL1(key, stored, read.now)
      if (this.listenerCount('hit') > 0) this.emit('hit', { key, tier: 'l2' })
      if (this.#xfetch(stored, read.now)) this.#background(key, loader, ttl, 'xfetch')
      return stored.value as T | undefined
    }
    if (stored !== undefined && this.#servableStale(key, stored, read.now, maxStale)) {
      // Revalidation is already under way: this read's own lease, or another holder's.
      return stored.value as T | undefined
    }
    this.#emit('miss', { key })
    const flight = read.flight ?? this.#joinOrWait(key, loader, ttl)
    return (await flight.promise).value as T | undefined
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
    const keep = (key: string, value: object | undefined) => {
      if (value !== undefined) result.set(key, value as T)
    }
    const now = Date.now()
    const toRead: string[] = []
    for (const key of new Set(keys)) {
      const hit = this.#l1.get(key, now)
      if (hit !== undefined && now - hit.storedAt < maxStale) {
        this.#emit('hit', { key, tier: 'l1' })
        keep(key, hit.value)
      } else {
        toRead.push(key)
      }
    }
    if (toRead.length === 0) return result

    // L2: one MGET of values and versions (one per key on Cluster, issued together).
    let reads: Array<L2Read | undefined> = []
    if (this.#l2 !== undefined) {
      try {
        reads = await this.#l2.readMany(toRead)
      } catch (error) {
        this.#report(error) // Redis unreachable: every key goes to the loader, kept in L1 only
      }
    }
    const waits: Array<Promise<void>> = []
    const missing: string[] = []
    const versions = new Map<string, number | undefined>()
    for (const [i, key] of toRead.entries()) {
      const read: L2Read | undefined = reads[i]
      const stored = read?.stored
      if (read !== undefined && stored !== undefined) {
        if (stored.freshUntil > read.now) {
          this.#storeL1(key, stored, read.now)
          this.#emit('hit', { key, tier: 'l2' })
          keep(key, stored.value)
          continue
        }
        if (this.#servableStale(key, stored, read.now, maxStale)) {
          this.#background(key, () => loader([key]).then((m) => m.get(key)), ttl, 'stale')
          keep(key, stored.value)
          continue
        }
      }
      const flight = this.#flights.get(key)
      if (flight !== undefined && !flight.superseded) {
        waits.push(flight.promise.then((loaded) => keep(key, loaded.value)))
        continue
      }
      this.#emit('miss', { key })
      missing.push(key)
      versions.set(key, read?.version)
    }
    if (missing.length > 0) {
      // One loader call for the batch; each key gets its own flight, so concurrent calls for
      // any of these keys join it instead of loading again. Fills are fenced per key (no lease:
      // a batch cannot wait on N leases held by N different processes).
      const batch = this.#runLoader(missing[0]!, missing.length, () => loader(missing))
      for (const key of missing) {
        const flight = this.#startFlight(key, async (f) => {
          const { value, ms } = await batch
          const loaded = value instanceof Map ? (value.get(key) as object | undefined) : undefined
          const version = versions.get(key)
          if (version === undefined) return this.#keepLocal(key, loaded, f)
          return this.#store(key, loaded, ms, ttl, version, '', f)
        })
        waits.push(flight.promise.then((loaded) => keep(key, loaded.value)))
      }
    }
    await Promise.all(waits)
    return result
  }

  async invalidate(key: string): Promise<void> {
    if (this.#closed) throw new CacheClosedError()
    checkKey(key)
    this.#supersede(key)
    return this.#invalidator.invalidate(key)
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
    this.#supersede(key)
    return this.#invalidator.applyDelta(key, field, delta, guard)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#invalidator.close()
    await Promise.allSettled([...this.#flights.values()].map((f) => f.promise))
    this.#l1.clear()
    this.#hints.clear()
  }

  // ---- read path ---------------------------------------------------------------------------

  #token(): string {
    this.#tokens++
    return `${this.#instance}.${this.#tokens}`
  }

  #get(key: string): Promise<StoredValue | undefined> {
    const existing = this.#gets.get(key)
    if (existing !== undefined) return existing
    const promise = this.#l2!.get(key)
    this.#gets.set(key, promise)
    const clear = () => {
      if (this.#gets.get(key) === promise) this.#gets.delete(key)
    }
    promise.then(clear, clear)
    return promise
  }

  /**
   * The LEASE read of getOrLoad, deduped in-process. One round trip returns the value and, when it
   * is not fresh, takes the fill lease; the read that takes it starts the load at once. A miss +
   * fill is GET, LEASE, FILL (LEASE, FILL while the server clock offset is unknown).
   */
  #read(key: string, loader: Loader, ttl: number): Promise<Read> {
    const existing = this.#reads.get(key)
    if (existing !== undefined) return existing
    const l2 = this.#l2!
    const token = this.#token()
    const inFlight = this.#flights.get(key)
    const mode = inFlight !== undefined && !inFlight.superseded ? 'peek' : 'lease'
    const promise = l2.lease(key, token, mode).then((lease): Read => {
      let flight: Flight | undefined
      if (lease.status === LeaseStatus.Acquired) {
        flight = this.#startFlight(key, (f) =>
          this.#loadAndStore(key, loader, ttl, lease.version, token, f, true),
        )
        if (lease.stored === undefined) {
          flight.promise.catch(() => {}) // a miss: every caller awaits the flight and sees the error
        } else {
          // Stale: callers may be served the stale value and never await the refresh.
          this.#emit('refresh', { key, reason: 'stale' })
          flight.promise.catch((error: unknown) => this.#report(error))
        }
      }
      return { ...lease, flight }
    })
    this.#reads.set(key, promise)
    const clear = () => {
      if (this.#reads.get(key) === promise) this.#reads.delete(key)
    }
    promise.then(clear, clear)
    return promise
  }

  /** Whether an expired L2 value may be served to this call (within grace and maxStaleMs). */
  #servableStale(key: string, stored: StoredValue, now: number, maxStale: number): boolean {
    const staleMs = now - stored.freshUntil
    if (now >= stored.graceUntil || staleMs >= maxStale) return false
    this.#emit('stale', { key, staleMs })
    return true
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

  /** Joins this process's load of the key, or starts one that waits on another process's lease. */
  #joinOrWait(key: string, loader: Loader, ttl: number): Flight {
    const flight = this.#flights.get(key)
    if (flight !== undefined && !flight.superseded) return flight
    return this.#startFlight(key, (f) => this.#leaseLoop(key, loader, ttl, f, 'lease'))
  }

  /** A background refresh (XFetch, or a stale value served by getMany); errors become events. */
  #background(key: string, loader: Loader, ttl: number, reason: 'xfetch' | 'stale'): void {
    const flight = this.#flights.get(key)
    if (flight !== undefined && !flight.superseded) return
    this.#emit('refresh', { key, reason })
    const started = this.#startFlight(key, (f) => this.#leaseLoop(key, loader, ttl, f, 'force'))
    started.promise.catch((error: unknown) => this.#report(error))
  }

  /**
   * The cross-process single flight for a caller that did not get the lease: poll until the
   * holder's fill appears (polling also rate-limits lease attempts per key) or the lease frees
   * up and we take it; after lease.waitMs, load anyway (the fill is still version-fenced).
   */
  async #leaseLoop(key: string, loader: Loader, ttl: number, flight: Flight, first: 'lease' | 'force') {
    const l2 = this.#l2!
    const token = this.#token()
    const started = Date.now()
    let mode = first
    let waited = false
    for (;;) {
      let lease: LeaseRead
      try {
        lease = await l2.lease(key, token, mode)
      } catch (error) {
        this.#report(error)
        return this.#keepLocal(key, (await this.#runLoader(key, 1, loader)).value, flight)
      }
      if (lease.status === LeaseStatus.Fresh && lease.stored !== undefined) {
        this.#hints.saw(key, lease.stored.freshUntil)
        if (!flight.superseded) this.#storeL1(key, lease.stored, lease.now)
        if (waited) this.#leaseWaited(key, started, 'filled')
        return { value: lease.stored.value, version: lease.stored.version }
      }
      if (lease.status !== LeaseStatus.Busy) {
        if (waited) this.#leaseWaited(key, started, 'acquired')
        const acquired = lease.status === LeaseStatus.Acquired
        return this.#loadAndStore(key, loader, ttl, lease.version, token, flight, acquired)
      }
      if (Date.now() - started >= this.#o.leaseWaitMs) {
        this.#leaseWaited(key, started, 'timeout')
        return this.#loadAndStore(key, loader, ttl, lease.version, token, flight, false)
      }
      mode = 'lease'
      waited = true
      const poll = this.#o.leasePollMs * (0.5 + Math.random())
      await sleep(Math.max(1, lease.leaseTtl > 0 ? Math.min(poll, lease.leaseTtl) : poll))
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
      const ms = performance.now() - t0
      this.#emit('load', { key, keys, ms, ok: true })
      return { value, ms }
    } catch (error) {
      this.#emit('load', { key, keys, ms: performance.now() - t0, ok: false })
      throw error
    }
  }

  async #loadAndStore(
    key: string,
    loader: Loader,
    ttl: number,
    version: number,
    token: string,
    flight: Flight,
    acquired: boolean,
  ): Promise<Loaded> {
    let loaded: { value: object | undefined; ms: number }
    try {
      loaded = await this.#runLoader(key, 1, loader)
    } catch (error) {
      if (acquired) this.#l2?.release(key, token)
      throw error
    }
    return this.#store(key, loaded.value, loaded.ms, ttl, version, token, flight)
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
    checkLoaded(key, loaded)
    const negative = loaded === undefined
    let json = ''
    let counters = ''
    let value: object | undefined
    if (!negative) {
      ;({ json, counters } = encodeValue(loaded))
      value = normalise(json)
    }
    const freshMs = negative
      ? this.#o.negativeTtlMs
      : Math.max(1, Math.round(ttl * (1 - this.#o.jitter * Math.random())))
    const graceMs = negative ? 0 : this.#o.graceMs
    try {
      const fill = { version, token, json, freshMs, graceMs, loaderMs, negative, counters }
      const { written, current } = await this.#l2!.fill(key, fill)
      if (written) {
        const serverNow = this.#l2!.clock.now()
        if (serverNow !== undefined && !flight.superseded) this.#hints.saw(key, serverNow + freshMs)
        if (!flight.superseded) this.#l1.set(key, value, version, Date.now(), freshMs)
      } else {
        this.#emit('fillDropped', { key, version, current })
      }
    } catch (error) {
      this.#report(error)
      if (!flight.superseded) this.#l1.set(key, value, -1, Date.now())
    }
    return { value, version }
  }

  /** Redis unreachable (or absent): load in-process, single-flighted, kept in L1 only. */
  #loadLocal(key: string, loader: Loader): Promise<Loaded> {
    const flight = this.#flights.get(key)
    if (flight !== undefined && !flight.superseded) return flight.promise
    const started = this.#startFlight(key, async (f) =>
      this.#keepLocal(key, (await this.#runLoader(key, 1, loader)).value, f),
    )
    return started.promise
  }

  #keepLocal(key: string, loaded: object | undefined, flight: Flight): Loaded {
    checkLoaded(key, loaded)
    const value = loaded === undefined ? undefined : normalise(JSON.stringify(loaded))
    const version = this.#l2 === undefined ? 0 : -1
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
  #supersede(key: string): void {
    const flight = this.#flights.get(key)
    if (flight !== undefined) flight.superseded = true
    this.#gets.delete(key)
    this.#reads.delete(key)
    this.#hints.forget(key)
  }

  #emit<K extends keyof InventoryCacheEvents>(name: K, ...payload: InventoryCacheEvents[K]): void {
    if (this.listenerCount(name) > 0) {
      ;(this.emit as (n: K, ...p: InventoryCacheEvents[K]) => boolean)(name, ...payload)
    }
  }

  /** Errors are events, never crashes: emitted only when someone listens. */
  #report(error: unknown): void {
    if (error instanceof CircuitOpenError) return // expected while open; the 'breaker' event says so
    this.#emit('error', error instanceof Error ? error : new Error(String(error)))
  }
}

/** Creates an inventory cache. Options are validated here (E_INVALID_OPTIONS). */
export function createInventoryCache(options: InventoryCacheOptions): InventoryCache {
  return new InventoryCacheImpl(options)
}
