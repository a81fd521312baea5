// The hold index on Redis: which seat holds are live, per event (see HoldIndex in ports.ts).
import type { Cluster, Redis } from 'ioredis'
import type { HoldIndex, IndexedHold } from './ports.js'

type Client = Redis | Cluster

/**
 * ADD_HOLD: records a live hold in its event's hash (id → JSON) and expiry zset (id → expiresAt),
 * in one step so the two never disagree. The keys outlive the hold by an hour at most (GT keeps
 * the later deadline): an index nobody sweeps does not stay forever.
 * KEYS: holds hash, expiry zset. ARGV: hold id, JSON, expiresAt (ms).
 */
const ADD_HOLD = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local deadline = tonumber(ARGV[3]) + 3600000
redis.call('PEXPIREAT', KEYS[1], deadline, 'GT')
redis.call('PEXPIREAT', KEYS[1], deadline, 'NX')
redis.call('PEXPIREAT', KEYS[2], deadline, 'GT')
redis.call('PEXPIREAT', KEYS[2], deadline, 'NX')
return 1`

/**
 * REMOVE_HOLD: takes a hold out of the index and returns its JSON, or nil when another caller
 * (confirm, release or a sweeper on any instance) already did: exactly one caller announces it.
 * KEYS: holds hash, expiry zset. ARGV: hold id.
 */
const REMOVE_HOLD = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return v`

/**
 * SWEEP_EXPIRED: removes holds whose expiry passed by the Redis server clock (the clock
 * seat-lock expires seats by) and returns them, at most 100 per call, after the count left.
 * KEYS: holds hash, expiry zset.
 */
const SWEEP_EXPIRED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
local out = {0}
for _, id in ipairs(ids) do
  local v = redis.call('HGET', KEYS[1], id)
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  if v then out[#out + 1] = v end
end
out[1] = redis.call('ZCARD', KEYS[2])
return out`

interface IndexCommands {
  seatingIndexAdd(holds: string, exp: string, id: string, json: string, expiresAt: number): Promise<number>
  seatingIndexRemove(holds: string, exp: string, id: string): Promise<string | null>
  seatingIndexSweep(holds: string, exp: string): Promise<Array<number | string>>
}

export function createRedisHoldIndex(client: Client, prefix: string): HoldIndex {
  const c = client as Client & Partial<IndexCommands>
  if (!c.seatingIndexAdd) {
    client.defineCommand('seatingIndexAdd', { numberOfKeys: 2, lua: ADD_HOLD })
    client.defineCommand('seatingIndexRemove', { numberOfKeys: 2, lua: REMOVE_HOLD })
    client.defineCommand('seatingIndexSweep', { numberOfKeys: 2, lua: SWEEP_EXPIRED })
  }
  const cmd = c as Client & IndexCommands
  // One hash tag per event: both keys of a script live in one cluster slot.
  const keys = (eventId: number) => {
    const tag = `{${prefix}:${eventId}}`
    return [`${tag}:holds`, `${tag}:exp`] as const
  }
  const active = `${prefix}:active`
  const parse = (json: string): IndexedHold => JSON.parse(json) as IndexedHold
  return {
    async add(hold) {
      const [h, e] = keys(hold.eventId)
      await cmd.seatingIndexAdd(h, e, hold.holdId, JSON.stringify(hold), hold.expiresAt)
      await client.sadd(active, String(hold.eventId))
    },
    async remove(eventId, holdId) {
      const [h, e] = keys(eventId)
      const v = await cmd.seatingIndexRemove(h, e, holdId)
      return v ? parse(v) : null
    },
    async list(eventId) {
      const [h] = keys(eventId)
      return Object.values(await client.hgetall(h)).map(parse)
    },
    async sweep() {
      const out: IndexedHold[] = []
      for (const id of await client.smembers(active)) {
        const eventId = Number(id)
        const [h, e] = keys(eventId)
        const [remaining, ...expired] = await cmd.seatingIndexSweep(h, e)
        for (const v of expired) out.push(parse(String(v)))
        if (Number(remaining) === 0) {
          // SREM then re-check: a hold added meanwhile (ADD_HOLD before its SADD) is not lost.
          await client.srem(active, id)
          if ((await client.zcard(e)) > 0) await client.sadd(active, id)
        }
      }
      return out
    },
    async close() {},
  }
}
