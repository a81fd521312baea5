// The hold index on Redis: which seat holds are live, per event (see HoldIndex in seating/ports.ts).
import type { Cluster, Redis } from 'ioredis'
import type { ListedHold } from '../../model.js'
import type { HoldIndex } from '../../ports.js'

type Client = Redis | Cluster

/**
 * ADD_HOLD: records a live hold in its event's hash (id → JSON), expiry zset (id → expiresAt)
 * and per-owner seat counts (owner → seats held), in one step so they never disagree. The keys
 * outlive the hold by an hour at most (GT keeps the later deadline): an index nobody sweeps
 * does not stay forever.
 * KEYS: holds hash, expiry zset, owners hash. ARGV: hold id, JSON, expiresAt (ms), owner, seats.
 */
const ADD_HOLD = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('HINCRBY', KEYS[3], ARGV[4], ARGV[5])
local deadline = tonumber(ARGV[3]) + 3600000
for i = 1, 3 do
  redis.call('PEXPIREAT', KEYS[i], deadline, 'GT')
  redis.call('PEXPIREAT', KEYS[i], deadline, 'NX')
end
return 1`

/** Shared by REMOVE and SWEEP: drops one hold (by its JSON) from the three structures. */
const DROP = `
local function drop(id, v)
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  local h = cjson.decode(v)
  if redis.call('HINCRBY', KEYS[3], h.owner, -#h.seats) <= 0 then redis.call('HDEL', KEYS[3], h.owner) end
end
`

/**
 * REMOVE_HOLD: takes a hold out of the index and returns its JSON, or nil when another caller
 * (confirm, release or a sweeper on any instance) already did: exactly one caller announces it.
 * KEYS: holds hash, expiry zset, owners hash. ARGV: hold id.
 */
const REMOVE_HOLD = `${DROP}
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return false end
drop(ARGV[1], v)
return v`

/**
 * SWEEP_EXPIRED: removes holds whose expiry passed by the Redis server clock (the clock
 * seat-lock expires seats by) and returns them, at most 100 per call, after the count left.
 * KEYS: holds hash, expiry zset, owners hash.
 */
const SWEEP_EXPIRED = `${DROP}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
local out = {0}
for _, id in ipairs(ids) do
  local v = redis.call('HGET', KEYS[1], id)
  if v then
    drop(id, v)
    out[#out + 1] = v
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
out[1] = redis.call('ZCARD', KEYS[2])
return out`

interface IndexCommands {
  seatingIndexAdd(
    holds: string,
    exp: string,
    owners: string,
    id: string,
    json: string,
    expiresAt: number,
    owner: string,
    seats: number,
  ): Promise<number>
  seatingIndexRemove(holds: string, exp: string, owners: string, id: string): Promise<string | null>
  seatingIndexSweep(holds: string, exp: string, owners: string): Promise<Array<number | string>>
}

export function createRedisHoldIndex(client: Client, prefix: string): HoldIndex {
  const c = client as Client & Partial<IndexCommands>
  if (!c.seatingIndexAdd) {
    client.defineCommand('seatingIndexAdd', { numberOfKeys: 3, lua: ADD_HOLD })
    client.defineCommand('seatingIndexRemove', { numberOfKeys: 3, lua: REMOVE_HOLD })
    client.defineCommand('seatingIndexSweep', { numberOfKeys: 3, lua: SWEEP_EXPIRED })
  }
  const cmd = c as Client & IndexCommands
  // One hash tag per event: the keys of a script live in one cluster slot.
  const keys = (eventId: number) => {
    const tag = `{${prefix}:${eventId}}`
    return [`${tag}:holds`, `${tag}:exp`, `${tag}:owners`] as const
  }
  const active = `${prefix}:active`
  const parse = (json: string): ListedHold => JSON.parse(json) as ListedHold
  return {
    async add(hold) {
      const [h, e, o] = keys(hold.eventId)
      const json = JSON.stringify(hold)
      await cmd.seatingIndexAdd(h, e, o, hold.id, json, hold.expiresAt, hold.owner, hold.seats.length)
      await client.sadd(active, String(hold.eventId))
    },
    async remove(eventId, holdId) {
      const [h, e, o] = keys(eventId)
      const v = await cmd.seatingIndexRemove(h, e, o, holdId)
      return v ? parse(v) : null
    },
    async heldBy(eventId, owner) {
      const [, , o] = keys(eventId)
      return Number((await client.hget(o, owner)) ?? 0)
    },
    async list(eventId) {
      const [h] = keys(eventId)
      return Object.values(await client.hgetall(h)).map(parse)
    },
    async sweep() {
      const out: ListedHold[] = []
      for (const id of await client.smembers(active)) {
        const eventId = Number(id)
        const [h, e, o] = keys(eventId)
        const [remaining, ...expired] = await cmd.seatingIndexSweep(h, e, o)
        for (const v of expired) out.push(parse(String(v)))
        if (Number(remaining) === 0) {
          // SREM then re-check: a hold added meanwhile (ADD_HOLD before its SADD) is not lost.
          await client.srem(active, id)
          if ((await client.zcard(e)) > 0) await client.sadd(active, id)
        }
      }
      return out
    },
  }
}
