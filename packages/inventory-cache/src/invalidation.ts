import { deepFreeze } from './codec.js'
import { InvalidationFailedError } from './errors.js'
import type { InventoryCacheEvents } from './events.js'
import type { L1Cache } from './l1.js'
import type { ApplyDeltaOptions, ResolvedOptions } from './options.js'
import type { RedisTier } from './redis-tier.js'

/** What the write path needs from the cache it belongs to. */
export interface InvalidationHost {
  readonly options: ResolvedOptions
  readonly l1: L1Cache
  readonly l2: RedisTier | undefined
  /** This instance's id: its own pub/sub messages are already applied locally. */
  readonly instance: string
  readonly channel: string
  /** Drops in-process reads of `key` in flight: they may predate the write. */
  forget(key: string): void
  emit<K extends keyof InventoryCacheEvents>(name: K, ...payload: InventoryCacheEvents[K]): void
  report(error: unknown): void
}

/**
 * The writer side and the L1 invalidation bus: version bumps in Redis (INVALIDATE / DELTA
 * scripts, which also PUBLISH), tombstones in the local L1, pub/sub messages from other
 * instances, and the replay of invalidations that could not reach Redis.
 */
export class Invalidator {
  /** Resolves once the subscription is active (immediately without a subscriber). */
  readonly ready: Promise<void>
  /** Invalidations that could not reach Redis, replayed when the circuit closes. */
  readonly #pending = new Set<string>()
  #subscribed = false
  #closed = false
  readonly #onMessage = (channel: string, message: string) => {
    if (channel === this.host.channel) this.#remote(message)
  }
  readonly #onSubscriberReady = () => {
    // ioredis resubscribes on reconnect; messages sent while we were away are lost, so L1
    // may hold values that were invalidated meanwhile.
    if (!this.#subscribed) return
    const entries = this.host.l1.size
    this.host.l1.clear()
    this.host.emit('resync', { entries })
  }

  constructor(readonly host: InvalidationHost) {
    const sub = host.options.subscriber
    if (sub === undefined) {
      this.ready = Promise.resolve()
    } else {
      sub.on('message', this.#onMessage)
      sub.on('ready', this.#onSubscriberReady)
      this.ready = sub.subscribe(host.channel).then(
        () => {
          this.#subscribed = true
        },
        (error: unknown) => host.report(error),
      )
    }
  }

  get pending(): number {
    return this.#pending.size
  }

  async invalidate(key: string): Promise<void> {
    const l2 = this.host.l2
    if (l2 === undefined) {
      this.host.l1.delete(key)
      this.host.emit('invalidate', { key, version: -1, source: 'local' })
      return
    }
    this.host.l1.delete(key) // at once; the tombstone at the new version follows the bump
    const version = await this.#bump(key, () => l2.invalidate(key))
    if (version !== undefined) this.host.emit('invalidate', { key, version, source: 'local' })
  }

  async applyDelta(
    key: string,
    field: string,
    delta: number,
    guard: ApplyDeltaOptions['rowVersion'],
  ): Promise<boolean> {
    const l2 = this.host.l2
    if (l2 === undefined) return this.#applyDeltaLocal(key, field, delta, guard)
    this.host.l1.delete(key)
    let applied = false
    const version = await this.#bump(key, async () => {
      const reply = await l2.delta(key, field, delta, guard)
      applied = reply.applied
      return reply.version
    })
    if (version !== undefined) this.host.emit('invalidate', { key, version, source: 'local' })
    return applied
  }

  /** Replays queued invalidations (called when the circuit closes again). */
  async replay(): Promise<void> {
    const l2 = this.host.l2
    if (l2 === undefined) return
    for (const key of [...this.#pending]) {
      if (this.#closed) return
      try {
        const version = await l2.invalidate(key)
        this.#pending.delete(key)
        this.host.l1.invalidate(key, version, Date.now())
      } catch (error) {
        this.host.report(new InvalidationFailedError(key, error))
        return
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    const sub = this.host.options.subscriber
    if (sub === undefined) return
    sub.removeListener('message', this.#onMessage)
    sub.removeListener('ready', this.#onSubscriberReady)
    const unsubscribe = sub.unsubscribe(this.host.channel)
    await (this.host.l2 ? this.host.l2.withTimeout(unsubscribe) : unsubscribe).catch(() => {})
  }

  /** Runs a version bump; tombstones L1 at the new version, or queues a replay on failure. */
  async #bump(key: string, run: () => Promise<number>): Promise<number | undefined> {
    try {
      const version = await run()
      this.host.l1.invalidate(key, version, Date.now())
      this.#pending.delete(key)
      return version
    } catch (error) {
      if (this.#pending.size < this.host.options.maxPendingInvalidations) this.#pending.add(key)
      this.host.report(new InvalidationFailedError(key, error))
      return undefined
    }
  }

  /** L1-only mode: patch the in-process copy (a fresh frozen object) or drop it. */
  #applyDeltaLocal(
    key: string,
    field: string,
    delta: number,
    guard: ApplyDeltaOptions['rowVersion'],
  ): boolean {
    const l1 = this.host.l1
    const now = Date.now()
    const entry = l1.get(key, now)
    const current = entry?.value as Record<string, unknown> | undefined
    const guardOk = guard === undefined || (current !== undefined && current[guard.field] === guard.value - 1)
    if (entry === undefined || current === undefined || !Number.isSafeInteger(current[field]) || !guardOk) {
      l1.delete(key)
      return false
    }
    const next = structuredClone(current)
    next[field] = (current[field] as number) + delta
    if (guard !== undefined) next[guard.field] = guard.value
    l1.set(key, deepFreeze(next), entry.version + 1, now, entry.expiresAt - now)
    return true
  }

  /** "<instance>|<version>|<key>" from another instance; older versions than L1 holds are ignored. */
  #remote(message: string): void {
    const a = message.indexOf('|')
    const b = message.indexOf('|', a + 1)
    if (a < 0 || b < 0 || message.slice(0, a) === this.host.instance) return
    const version = Number(message.slice(a + 1, b))
    const key = message.slice(b + 1)
    this.host.forget(key)
    if (this.host.l1.invalidate(key, version, Date.now())) {
      this.host.emit('invalidate', { key, version, source: 'remote' })
    }
  }
}
