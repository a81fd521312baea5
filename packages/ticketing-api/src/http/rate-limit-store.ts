// The rate limiter's counters, shared by every instance in Redis but counted locally between
// flushes: @fastify/rate-limit's own Redis store makes one Lua call per request, which on a busy
// instance costs more than serving a cached read. Here a request is counted in memory and
// answered at once from (the window's count in Redis as last seen) + (this instance's requests
// since); every `flushMs` the local increments go to Redis in one call per key (pipelined), and
// the answer brings back the count of every instance. A key over its budget is refused as soon
// as this instance's own count says so, and at most one flush later when the excess comes from
// other instances: a lag of `flushMs` on a window of a minute.
import type { FastifyRateLimitStore } from '@fastify/rate-limit'
import type { Cluster, Redis } from 'ioredis'

/**
 * RATE_WINDOW: adds one instance's requests of a key to the window's count.
 * KEYS[1] the key's counter; ARGV[1] requests to add, ARGV[2] window (ms).
 * Returns {count, ms left in the window}. The first increment of a window starts its expiry.
 */
const RATE_WINDOW = `
local current = redis.call('INCRBY', KEYS[1], ARGV[1])
if current == tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {current, tonumber(ARGV[2])}
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {current, ttl}
`

interface Counter {
  /** The window's count in Redis as last seen (every instance's requests, ours included). */
  seen: number
  /** This instance's requests not yet sent to Redis. */
  pending: number
  /** This instance's requests sent to Redis, whose new count has not come back yet. */
  sending: number
  /** When the window ends (local clock, from the TTL Redis reported). */
  windowEnd: number
  windowMs: number
}

interface RateWindowCommand {
  rateWindow(key: string, add: number, windowMs: number): Promise<[number, number]>
}

/**
 * What @fastify/rate-limit asks of a store. It also passes the window (ms) and the budget to
 * `incr`, and the route (`routeInfo`) to `child`, which its type declarations leave out.
 */
interface Store extends FastifyRateLimitStore {
  incr(key: string, callback: Parameters<FastifyRateLimitStore['incr']>[1], timeWindow?: number): void
}

const routeOf = (options: unknown) => (options as { routeInfo: { method: string; url: string } }).routeInfo

/**
 * A store class for @fastify/rate-limit's `store` option (it calls `new Store(params)`), whose
 * counters live in Redis under `prefix`. Per route, as the plugin's Redis store keeps them.
 */
export function batchedRedisStore(
  redis: Redis | Cluster,
  prefix: string,
  options: { flushMs?: number; onError?: (error: unknown) => void } = {},
) {
  const flushMs = options.flushMs ?? 100
  redis.defineCommand('rateWindow', { numberOfKeys: 1, lua: RATE_WINDOW })
  const commands = redis as unknown as RateWindowCommand
  const counters = new Map<string, Counter>()
  let timer: NodeJS.Timeout | undefined

  /** Counters with requests not yet sent: all a flush looks at. */
  const dirty = new Map<string, Counter>()

  const flush = () => {
    timer = undefined
    for (const [key, c] of dirty) {
      const add = c.pending
      c.pending = 0
      c.sending += add
      commands.rateWindow(key, add, c.windowMs).then(
        ([count, ttl]) => {
          c.sending -= add
          // The count includes `add`; answers come back in the order the calls were sent.
          c.seen = count
          c.windowEnd = Date.now() + ttl
        },
        (error: unknown) => {
          c.sending -= add
          options.onError?.(error)
        },
      )
    }
    dirty.clear()
    // Forget windows that ended (Redis forgot them too). The map is in order of window start,
    // near enough: the sweep stops at the first window still open.
    const now = Date.now()
    for (const [key, c] of counters) {
      if (c.windowEnd > now || c.pending > 0 || c.sending > 0) break
      counters.delete(key)
    }
    if (counters.size > 0) schedule()
  }
  const schedule = () => {
    if (timer) return
    timer = setTimeout(flush, flushMs)
    timer.unref()
  }

  const incr = (key: string, windowMs: number): { current: number; ttl: number } => {
    const now = Date.now()
    let c = counters.get(key)
    if (!c || c.windowEnd <= now) {
      c = { seen: 0, pending: 0, sending: 0, windowEnd: now + windowMs, windowMs }
      counters.delete(key)
      counters.set(key, c)
    }
    if (c.pending++ === 0) dirty.set(key, c)
    schedule()
    return { current: c.seen + c.sending + c.pending, ttl: c.windowEnd - now }
  }

  const store = (namespace: string): Store => ({
    incr(key, callback, timeWindow = 60_000) {
      callback(null, incr(namespace + key, timeWindow))
    },
    child(options) {
      const route = routeOf(options)
      return store(`${prefix}${route.method}${route.url}-`)
    },
  })

  return class BatchedRedisStore implements Store {
    readonly #store = store(prefix)
    constructor(params: { continueExceeding?: boolean; exponentialBackoff?: boolean } = {}) {
      if (params.continueExceeding || params.exponentialBackoff)
        throw new Error('batchedRedisStore counts fixed windows only')
    }
    incr(...args: Parameters<Store['incr']>) {
      this.#store.incr(...args)
    }
    child(options: Parameters<Store['child']>[0]) {
      return this.#store.child(options)
    }
  }
}
