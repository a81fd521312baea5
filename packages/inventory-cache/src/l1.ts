/** One L1 slot: a value (or "not found"), or a tombstone left by an invalidation. */
export interface L1Entry {
  /** Frozen value; `undefined` for "not found" (negative) and for tombstones. */
  value: object | undefined
  /** Version the value reflects (-1 when loaded with Redis unreachable). */
  version: number
  /** Local ms when this entry stops being served. */
  expiresAt: number
  /** Local ms when it was taken from L2 or the loader (for per-call maxStaleMs). */
  storedAt: number
  tombstone: boolean
}

/**
 * Size-bounded LRU over a Map (insertion order = recency; a hit re-inserts). Tombstones record
 * the newest invalidated version of a key for one TTL, so a slower read that started before the
 * invalidation cannot put the older value back (out-of-order delivery is ignored by version).
 */
export class L1Cache {
  readonly #map = new Map<string, L1Entry>()

  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.#map.size
  }

  /** A live, non-tombstone entry, or undefined. */
  get(key: string, now: number): L1Entry | undefined {
    const entry = this.#map.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      this.#map.delete(key)
      return undefined
    }
    if (entry.tombstone) return undefined
    // Refresh recency; cheap enough on a Map and keeps hot keys from eviction.
    this.#map.delete(key)
    this.#map.set(key, entry)
    return entry
  }

  /**
   * Stores a value unless a live entry (value or tombstone) already has a newer version.
   * `ttlMs` may shorten the entry's life (e.g. an L2 value about to expire).
   */
  set(key: string, value: object | undefined, version: number, now: number, ttlMs = this.ttlMs): boolean {
    if (this.maxEntries === 0 || ttlMs <= 0) return false
    const existing = this.#map.get(key)
    if (existing !== undefined && existing.expiresAt > now && existing.version > version) return false
    this.#map.delete(key)
    this.#map.set(key, {
      value,
      version,
      expiresAt: now + Math.min(ttlMs, this.ttlMs),
      storedAt: now,
      tombstone: false,
    })
    this.#evict()
    return true
  }

  /**
   * Drops the key if what L1 holds is older than `version`, and leaves a tombstone at that
   * version. Returns false when L1 already holds that version or a newer one (a late message).
   */
  invalidate(key: string, version: number, now: number): boolean {
    const existing = this.#map.get(key)
    if (existing !== undefined && existing.expiresAt > now && existing.version >= version) return false
    this.#map.delete(key)
    if (this.maxEntries > 0 && this.ttlMs > 0) {
      this.#map.set(key, {
        value: undefined,
        version,
        expiresAt: now + this.ttlMs,
        storedAt: now,
        tombstone: true,
      })
      this.#evict()
    }
    return true
  }

  delete(key: string): void {
    this.#map.delete(key)
  }

  clear(): void {
    this.#map.clear()
  }

  #evict(): void {
    while (this.#map.size > this.maxEntries) {
      const oldest = this.#map.keys().next()
      if (oldest.done) return
      this.#map.delete(oldest.value)
    }
  }
}
