/**
 * Every failure of the cache has its own class and a stable `code`, so callers (and the
 * service's error mapper) switch on `code`, never on message text.
 */
export class InventoryCacheError extends Error {
  /** Stable machine-readable code, e.g. `E_INVALID_OPTIONS`. */
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** An option given to `createInventoryCache` is out of range or of the wrong type. */
export class InvalidOptionsError extends InventoryCacheError {
  constructor(message: string) {
    super('E_INVALID_OPTIONS', message)
  }
}

/** A call argument (key, field, delta, per-call option) is invalid. */
export class InvalidArgumentError extends InventoryCacheError {
  constructor(message: string) {
    super('E_INVALID_ARGUMENT', message)
  }
}

/** The cache was closed; it no longer serves calls. */
export class CacheClosedError extends InventoryCacheError {
  constructor() {
    super('E_CLOSED', 'the inventory cache is closed')
  }
}

/**
 * A Redis command did not answer within `commandTimeoutMs`. Emitted as an `'error'` event;
 * the read falls back to the loader.
 */
export class RedisTimeoutError extends InventoryCacheError {
  readonly timeoutMs: number
  constructor(timeoutMs: number) {
    super('E_REDIS_TIMEOUT', `redis did not answer within ${timeoutMs} ms`)
    this.timeoutMs = timeoutMs
  }
}

/**
 * A Redis command failed (connection lost, script error, ...). Emitted as an `'error'` event;
 * `cause` is the ioredis error.
 */
export class RedisCommandError extends InventoryCacheError {
  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super('E_REDIS', `redis command failed: ${reason}`, { cause })
  }
}

/**
 * The circuit breaker is open: Redis is skipped until the half-open probe succeeds. Only seen
 * on the `'error'` event of writers (`invalidate`/`applyDelta`), whose work is queued for replay.
 */
export class CircuitOpenError extends InventoryCacheError {
  constructor() {
    super('E_CIRCUIT_OPEN', 'redis circuit is open; skipping redis until the probe succeeds')
  }
}

/**
 * `invalidate` or `applyDelta` could not reach Redis. The local L1 entry was dropped and the
 * invalidation is replayed when Redis is back; meanwhile other instances may serve the old
 * value for at most `ttlMs + graceMs`. Emitted as an `'error'` event (the writer's DB commit
 * already happened, so the call itself resolves).
 */
export class InvalidationFailedError extends InventoryCacheError {
  readonly key: string
  constructor(key: string, cause: unknown) {
    super('E_INVALIDATION_FAILED', `could not invalidate '${key}' in redis; queued for replay`, { cause })
    this.key = key
  }
}

/** A value in Redis could not be decoded (not written by this library, or corrupted). */
export class DecodeError extends InventoryCacheError {
  readonly key: string
  constructor(key: string, cause: unknown) {
    super('E_DECODE', `could not decode the cached value of '${key}'`, { cause })
    this.key = key
  }
}
