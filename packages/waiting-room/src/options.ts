import { InvalidOptionsError } from './errors.js'
import type { EventSettings, QueueStore } from './store.js'

/** Per-event admission bounds; `createWaitingRoom` takes them as defaults, `openEvent` per event. */
export interface AdmissionOptions {
  /**
   * Most turns held at once: admitted visitors who have not bought, left or lapsed yet (the
   * MaxSize strategy: a slot frees when a turn completes). Cloudflare's total_active_users.
   * @default 1000
   */
  maxActiveBuyers?: number
  /**
   * Most admissions per minute (the Periodic strategy; Cloudflare's new_users_per_minute),
   * smoothed by a token bucket holding at most 10 s worth. Scaled down by the health signal.
   * @default 600
   */
  admitPerMinute?: number
  /**
   * How long an admitted visitor has to buy once they collected the turn (their next poll after
   * admission). The admission token expires then and the slot goes to the next visitor.
   * @default 600 (10 minutes, as Ticketmaster holds a reached turn)
   */
  turnSeconds?: number
  /**
   * How long an admitted visitor has to collect the turn. Visitors who closed the tab never
   * poll again: their slot frees after this, not after a whole turn. Keep it well above the
   * poll interval.
   * @default 60
   */
  claimSeconds?: number
  /**
   * Units one buyer is expected to take. Admission stops while remaining inventory is all
   * spoken for: remaining ≤ active turns × unitsPerBuyer.
   * @default 1
   */
  unitsPerBuyer?: number
}

/** Thresholds that turn the sale path's latency and error rate into an admission speed factor. */
export interface HealthOptions {
  /** Above this p99 latency (ms), admission slows down (linearly to 0 at pauseLatencyMs). @default 500 */
  slowLatencyMs?: number
  /** At or above this p99 latency (ms), admission pauses. @default 2_000 */
  pauseLatencyMs?: number
  /** Above this error rate (0..1), admission slows down. @default 0.02 */
  slowErrorRate?: number
  /** At or above this error rate, admission pauses. @default 0.1 */
  pauseErrorRate?: number
  /**
   * How long a report holds. Without a fresher one the factor reverts to 1, so a reporter that
   * dies cannot leave the sale paused forever.
   * @default 30
   */
  ttlSeconds?: number
}

/** Options of {@link createWaitingRoom}. `store` and `secret` are required. */
export interface WaitingRoomOptions extends AdmissionOptions {
  /** Where queues live: `createRedisQueueStore({ redis })` or `createMemoryQueueStore()`. */
  store: QueueStore
  /**
   * HMAC-SHA256 key for queue tickets and admission tokens, at least 32 bytes. Every instance
   * must have the same one. The room never reads it from the environment: pass it in.
   */
  secret: string | Buffer
  /**
   * Older secrets still accepted by `verify` and `poll` (rotation: sign with the new `secret`,
   * keep the old one here for one `turnSeconds` / `queueTicketTtlSeconds`).
   * @default []
   */
  previousSecrets?: Array<string | Buffer>
  /**
   * Remaining inventory of an event, asked before each tick (e.g. a read of the inventory
   * cache). Return `undefined` to keep the counter set with `setRemaining`. When omitted, only
   * that counter bounds admission (no counter: no inventory bound).
   * @default undefined
   */
  remaining?: (eventId: string) => number | undefined | Promise<number | undefined>
  /**
   * How long an instance reuses an event's state (served counter, sold out, health) to answer
   * polls without Redis. Sold out reaches every waiter within stateCacheMs + tickIntervalMs.
   * @default 1_000
   */
  stateCacheMs?: number
  /** How often `start()` ticks every event's admission controller. @default 500 */
  tickIntervalMs?: number
  /**
   * The base poll interval suggested to waiters (`pollAfterMs` in every status): what a paused
   * queue's waiters and every other status get; a waiter near its turn is told a second (or
   * this, if shorter). @default 5_000
   */
  pollIntervalMs?: number
  /**
   * The longest interval suggested: a waiter is told to poll after a quarter of its estimated
   * wait, up to this; a pre-queue waiter, at the start plus a jitter of up to
   * `startSpreadMs`, up to this. Never more than half an event's `claimSeconds`.
   * @default 30_000
   */
  maxPollIntervalMs?: number
  /**
   * The pre-queue comes back over this long after the start (each waiter at a random moment
   * in it), so that its first reads of the new order are not one wave. The front of the queue
   * may collect its turns up to this late: keep it well under `claimSeconds`. At most half the
   * longest interval suggested (`maxPollIntervalMs`, or half an event's `claimSeconds`): a
   * longer spread is cut to that for the event.
   * @default 3 × pollIntervalMs (15_000)
   */
  startSpreadMs?: number
  /** Lifetime of a queue ticket (the waiter's proof of place). @default 86_400 (one day) */
  queueTicketTtlSeconds?: number
  /** Health-signal thresholds (`reportHealth`). */
  health?: HealthOptions
}

/** Options of `openEvent`: the pre-queue window and per-event overrides of the room's bounds. */
export interface EventOptions extends AdmissionOptions {
  /** Joining opens (Date or epoch ms). @default now */
  opensAt?: Date | number
  /**
   * The sale starts (Date or epoch ms): joiners in [opensAt, startsAt) are shuffled at this
   * time; later joiners queue in arrival order.
   * @default opensAt (no pre-queue)
   */
  startsAt?: Date | number
}

export interface ResolvedOptions {
  store: QueueStore
  secrets: Array<string | Buffer>
  admission: Required<AdmissionOptions>
  remaining: WaitingRoomOptions['remaining']
  stateCacheMs: number
  tickIntervalMs: number
  pollIntervalMs: number
  maxPollIntervalMs: number
  startSpreadMs: number
  queueTicketTtlMs: number
  health: Required<HealthOptions>
}

function check(name: string, value: unknown, min: number, integer = false): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    (integer && !Number.isInteger(value))
  ) {
    throw new InvalidOptionsError(
      `${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${String(value)}`,
    )
  }
  return value
}

/** Fills in the defaults of admission bounds over `base`, and validates them. */
export function resolveAdmission(
  given: AdmissionOptions,
  base: Required<AdmissionOptions>,
): Required<AdmissionOptions> {
  const a = { ...base, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) }
  return {
    maxActiveBuyers: check('maxActiveBuyers', a.maxActiveBuyers, 1, true),
    admitPerMinute: check('admitPerMinute', a.admitPerMinute, 0.001),
    turnSeconds: check('turnSeconds', a.turnSeconds, 0.01),
    claimSeconds: check('claimSeconds', a.claimSeconds, 0.01),
    unitsPerBuyer: check('unitsPerBuyer', a.unitsPerBuyer, 1, true),
  }
}

const ADMISSION_DEFAULTS: Required<AdmissionOptions> = {
  maxActiveBuyers: 1000,
  admitPerMinute: 600,
  turnSeconds: 600,
  claimSeconds: 60,
  unitsPerBuyer: 1,
}

export function resolveOptions(options: WaitingRoomOptions): ResolvedOptions {
  if (!options || typeof options !== 'object') throw new InvalidOptionsError('options are required')
  const { store } = options
  if (!store || typeof store.tick !== 'function') {
    throw new InvalidOptionsError(
      'store must be a QueueStore (createRedisQueueStore or createMemoryQueueStore)',
    )
  }
  const secrets = [options.secret, ...(options.previousSecrets ?? [])]
  for (const s of secrets) {
    if (!(typeof s === 'string' || Buffer.isBuffer(s)) || Buffer.byteLength(s) < 32) {
      throw new InvalidOptionsError(
        'secret (and each previous secret) must be a string or Buffer of >= 32 bytes',
      )
    }
  }
  if (options.remaining !== undefined && typeof options.remaining !== 'function') {
    throw new InvalidOptionsError('remaining must be a function (eventId) => number | undefined')
  }
  const h = {
    slowLatencyMs: 500,
    pauseLatencyMs: 2_000,
    slowErrorRate: 0.02,
    pauseErrorRate: 0.1,
    ttlSeconds: 30,
  }
  Object.assign(
    h,
    Object.fromEntries(Object.entries(options.health ?? {}).filter(([, v]) => v !== undefined)),
  )
  for (const [k, v] of Object.entries(h)) check(`health.${k}`, v, 0)
  if (h.pauseLatencyMs <= h.slowLatencyMs || h.pauseErrorRate <= h.slowErrorRate) {
    throw new InvalidOptionsError('health pause thresholds must be above the slow thresholds')
  }
  const pollIntervalMs = check('pollIntervalMs', options.pollIntervalMs ?? 5_000, 100)
  return {
    store,
    secrets,
    admission: resolveAdmission(options, ADMISSION_DEFAULTS),
    remaining: options.remaining,
    stateCacheMs: check('stateCacheMs', options.stateCacheMs ?? 1_000, 0),
    tickIntervalMs: check('tickIntervalMs', options.tickIntervalMs ?? 500, 10),
    pollIntervalMs,
    maxPollIntervalMs: check(
      'maxPollIntervalMs',
      options.maxPollIntervalMs ?? Math.max(30_000, pollIntervalMs),
      pollIntervalMs,
    ),
    startSpreadMs: check('startSpreadMs', options.startSpreadMs ?? 3 * pollIntervalMs, 0),
    queueTicketTtlMs: check('queueTicketTtlSeconds', options.queueTicketTtlSeconds ?? 86_400, 1) * 1000,
    health: h,
  }
}

/** An event's stored settings from `openEvent`'s options over the room's bounds. */
export function eventSettings(options: EventOptions, base: Required<AdmissionOptions>): EventSettings {
  const time = (name: string, v: Date | number) => check(name, v instanceof Date ? v.getTime() : v, 0)
  const opensAt = time('opensAt', options.opensAt ?? Date.now())
  const startsAt = time('startsAt', options.startsAt ?? opensAt)
  if (startsAt < opensAt) throw new InvalidOptionsError('startsAt must not be before opensAt')
  const a = resolveAdmission(options, base)
  return {
    opensAt,
    startsAt,
    maxActiveBuyers: a.maxActiveBuyers,
    admitPerMinute: a.admitPerMinute,
    turnMs: Math.round(a.turnSeconds * 1000),
    claimMs: Math.round(a.claimSeconds * 1000),
    unitsPerBuyer: a.unitsPerBuyer,
  }
}
