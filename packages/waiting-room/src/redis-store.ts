import type { Cluster, Redis } from 'ioredis'
import { InvalidArgumentError, InvalidOptionsError } from './errors.js'
import { ADJUST, CLAIM, COMPLETE, JOIN, LEAVE, type Script, STATE, TICK, TURN } from './scripts.js'
import {
  type Adjustment,
  type ClaimResult,
  type EventSettings,
  type EventState,
  type JoinResult,
  type QueueStore,
  SETTING_FIELDS,
  type TickResult,
  type TurnState,
} from './store.js'

/** Options of {@link createRedisQueueStore}. */
export interface RedisQueueStoreOptions {
  /** A Redis or Cluster client. The store never quits it. */
  redis: Redis | Cluster
  /**
   * Key prefix: an event's keys are `{<prefix>:<eventId>}:s|v|l|a|t` (one hash slot per event),
   * and the set of events with a queue is `{<prefix>}:events`.
   * @default 'wr'
   */
  prefix?: string
}

/**
 * EVALSHA; on NOSCRIPT (first use on this node, or the node restarted) EVAL, which also caches
 * the script on whichever node the key lives on (so it works unchanged on a Cluster). The
 * client is never mutated (no `defineCommand` on a client we were handed).
 */
async function run(client: Redis | Cluster, s: Script, keys: string[], argv: Array<string | number>) {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...argv)
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
    return client.eval(s.lua, keys.length, ...keys, ...argv)
  }
}

const num = (v: unknown) => Number(v)

/** The Redis adapter of the queue port: state shared by every instance, atomic Lua steps. */
export function createRedisQueueStore(options: RedisQueueStoreOptions): QueueStore {
  const { redis } = options
  if (!redis || typeof (redis as Redis).evalsha !== 'function') {
    throw new InvalidOptionsError('redis must be an ioredis Redis or Cluster client')
  }
  const prefix = options.prefix ?? 'wr'
  if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix)) {
    throw new InvalidOptionsError(`prefix must be a non-empty string without braces, got ${String(prefix)}`)
  }
  const index = `{${prefix}}:events`
  const keysOf = (eventId: string) => {
    if (/[{}]/.test(eventId)) throw new InvalidArgumentError(`event id must not contain braces: ${eventId}`)
    const tag = `{${prefix}:${eventId}}`
    return [`${tag}:s`, `${tag}:v`, `${tag}:l`, `${tag}:a`, `${tag}:t`]
  }
  const call = (s: Script, eventId: string, ...argv: Array<string | number>) =>
    run(redis, s, keysOf(eventId), argv) as Promise<unknown>

  return {
    async openEvent(eventId: string, settings: EventSettings) {
      const [state] = keysOf(eventId)
      await redis.hset(state!, ...SETTING_FIELDS.flatMap((f) => [f, String(settings[f])]))
      await redis.sadd(index, eventId)
    },

    async deleteEvent(eventId: string) {
      await redis.srem(index, eventId)
      await redis.del(...keysOf(eventId))
    },

    events: () => redis.smembers(index),

    async state(eventId: string): Promise<EventState | null> {
      const r = (await call(STATE, eventId)) as [number, number, number, string[]] | []
      if (r.length === 0) return null
      const [now, leftWaiting, active, flat] = r
      const h: Record<string, string> = {}
      for (let i = 0; i < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!
      const n = (f: string) => Number(h[f] ?? 0)
      const healthy = h['healthUntil'] === undefined || n('healthUntil') <= now
      return {
        opensAt: n('opensAt'),
        startsAt: n('startsAt'),
        maxActiveBuyers: n('maxActiveBuyers'),
        admitPerMinute: n('admitPerMinute'),
        turnMs: n('turnMs'),
        claimMs: n('claimMs'),
        unitsPerBuyer: n('unitsPerBuyer'),
        now,
        startedAt: h['startedAt'] === undefined ? null : n('startedAt'),
        preCount: n('pre'),
        shuffleKeys: h['keys'] ?? '',
        joined: n('seq'),
        served: n('served'),
        leftWaiting,
        active,
        remaining: h['remaining'] === undefined ? null : n('remaining'),
        soldOut: h['soldOut'] !== undefined,
        healthFactor: healthy ? 1 : n('health'),
        admittedTotal: n('admitted'),
        abandonedTotal: n('abandoned'),
        expiredTotal: n('expired'),
        completedTotal: n('completed'),
      }
    },

    async join(eventId: string, visitorId: string, shuffleKeys: string): Promise<JoinResult> {
      const [code, a, b] = (await call(JOIN, eventId, visitorId, shuffleKeys)) as number[]
      if (code === 1 || code === 2) return { outcome: code === 1 ? 'joined' : 'rejoined', index: a!, now: b! }
      if (code === -3) return { outcome: 'not_open', opensAt: a! }
      return { outcome: code === -2 ? 'sold_out' : 'not_found' }
    },

    async leave(eventId: string, visitorId: string) {
      return (await call(LEAVE, eventId, visitorId)) === 1
    },

    async claim(eventId: string, visitorId: string, idx: number): Promise<ClaimResult> {
      const [code, ticket, deadline] = (await call(CLAIM, eventId, visitorId, String(idx))) as number[]
      if (code === 1 || code === 2) {
        return { outcome: 'held', ticket: ticket!, expiresAt: num(deadline), first: code === 1 }
      }
      if (code === 0) return { outcome: 'waiting' }
      if (code === -3) return { outcome: 'not_in_queue' }
      return { outcome: code === -4 ? 'completed' : 'expired', ticket: ticket! }
    },

    async complete(eventId: string, ticket: number) {
      const r = await call(COMPLETE, eventId, String(ticket))
      return r === 1 ? 'completed' : r === 0 ? 'already' : 'not_held'
    },

    async turn(eventId: string, ticket: number): Promise<TurnState> {
      const [code, deadline] = (await call(TURN, eventId, String(ticket))) as number[]
      if (code === 1) return { state: 'held', expiresAt: num(deadline) }
      return { state: code === -4 ? 'completed' : 'released' }
    },

    async tick(
      eventId: string,
      input: { remaining?: number; shuffleKeys: string },
    ): Promise<TickResult | null> {
      const remaining = input.remaining === undefined ? '' : String(input.remaining)
      const r = (await call(TICK, eventId, remaining, input.shuffleKeys)) as number[]
      if (r[0] !== 1) return null
      const [, admitted, abandoned, expired, served, active, waiting, soldOut, started, now] = r
      return {
        admitted: admitted!,
        abandoned: abandoned!,
        expired: expired!,
        served: served!,
        active: active!,
        waiting: waiting!,
        soldOut: soldOut === 1,
        started: started === 1,
        now: now!,
      }
    },

    async adjust(eventId: string, change: Adjustment) {
      const argv =
        'remaining' in change
          ? ['remaining', change.remaining === null ? '' : String(change.remaining)]
          : 'soldOut' in change
            ? ['soldOut']
            : ['health', String(change.healthFactor), String(change.ttlMs)]
      return (await call(ADJUST, eventId, ...argv)) === 1
    },
  }
}
