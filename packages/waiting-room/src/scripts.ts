import { createHash } from 'node:crypto'
import { L_SHUFFLE } from './shuffle.js'

/**
 * Lua for every step that reads and writes together: one script = one round trip = one atomic
 * step, so an instance that dies mid-call either did the whole step or none of it (that is
 * what makes the admission controller safe to run from every instance at once).
 *
 * Every script gets the event's five keys, all under the hash tag `{<prefix>:<eventId>}` so
 * they live in one slot of a Redis Cluster:
 *   KEYS[1] s  state hash: the settings, counters (seq = joins, served = tickets passed), the
 *              start (startedAt, pre = pre-queue size, keys = shuffle keys), remaining, soldOut,
 *              health, the token bucket, and totals for metrics
 *   KEYS[2] v  visitors hash: visitorId -> join index. The only per-waiter data in Redis.
 *   KEYS[3] l  set of indices of visitors who left while waiting (skipped, then removed, by TICK)
 *   KEYS[4] a  zset of admitted tickets -> deadline (ms): claimMs to collect, then turnMs to buy
 *   KEYS[5] t  hash ticket -> 'h' held (collected), 'c' completed, 'x' lapsed or given up
 * Only admitted visitors get entries in `a` and `t`: the Redis work grows with admissions, not
 * with the number of people waiting. Time is the Redis server's (`TIME`).
 */
export interface Script {
  readonly name: string
  readonly lua: string
  readonly sha: string
}

function script(name: string, ...parts: string[]): Script {
  const lua = parts.join('\n')
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') }
}

const L_NOW_MS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end`

const L_START = `
-- The sale starts at the first join or tick at or after startsAt: the pre-queue is frozen at its
-- current size and the shuffle keys drawn by that caller become the event's. Nothing moves.
local function start_if_due(now, keys)
  local st = redis.call('HMGET', KEYS[1], 'startedAt', 'startsAt', 'seq')
  if st[1] then return true end
  if now < tonumber(st[2]) then return false end
  redis.call('HSET', KEYS[1], 'startedAt', now, 'pre', tonumber(st[3]) or 0, 'keys', keys, 'bucketAt', now, 'bucket', 0)
  return true
end`

const L_TICKET_OF = `
-- The ticket of a join index, or nil before the start; and the number of tickets served.
local function ticket_of(index)
  local st = redis.call('HMGET', KEYS[1], 'startedAt', 'pre', 'keys', 'served')
  if not st[1] then return nil, 0 end
  return shuffler(tonumber(st[2]), st[3]).ticket(tonumber(index)), tonumber(st[4]) or 0
end`

/**
 * ARGV[1] visitorId, ARGV[2] shuffle keys (used only if this join starts the sale).
 * Reply {1, index, now} new place; {2, index, now} the visitor's existing place (one place per
 * visitor); {-1} no such event; {-2} sold out; {-3, opensAt} not open yet.
 */
export const JOIN = script(
  'JOIN',
  L_NOW_MS,
  L_START,
  `
local cfg = redis.call('HMGET', KEYS[1], 'opensAt', 'soldOut')
if not cfg[1] then return {-1} end
local now = now_ms()
if now < tonumber(cfg[1]) then return {-3, tonumber(cfg[1])} end
local index = redis.call('HGET', KEYS[2], ARGV[1])
if index then return {2, tonumber(index), now} end
if cfg[2] then return {-2} end
start_if_due(now, ARGV[2])
local i = redis.call('HINCRBY', KEYS[1], 'seq', 1) - 1
redis.call('HSET', KEYS[2], ARGV[1], i)
return {1, i, now}`,
)

/** Read-only snapshot: {now, leftWaiting, active, {state hash as field/value pairs}}, or {}. */
export const STATE = script(
  'STATE',
  L_NOW_MS,
  `
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return {} end
return {now_ms(), redis.call('SCARD', KEYS[3]), redis.call('ZCARD', KEYS[4]), h}`,
)

/**
 * ARGV[1] visitorId, ARGV[2] join index (from the visitor's signed queue ticket).
 * Collects an admitted turn: its deadline becomes now + turnMs. Idempotent.
 * Reply {1, ticket, deadline} collected now; {2, ticket, deadline} already held; {0} not admitted
 * yet; {-2, ticket} lapsed; {-3} the visitor has no such place (left, or a stale ticket);
 * {-4, ticket} completed.
 */
export const CLAIM = script(
  'CLAIM',
  L_NOW_MS,
  L_SHUFFLE,
  L_TICKET_OF,
  `
local now = now_ms()
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return {-3} end
local ticket, served = ticket_of(ARGV[2])
if not ticket or ticket >= served then return {0} end
local turn = redis.call('HGET', KEYS[5], ticket)
if turn == 'c' then return {-4, ticket} end
if turn == 'x' then return {-2, ticket} end
local deadline = tonumber(redis.call('ZSCORE', KEYS[4], ticket))
if not deadline or deadline <= now then return {-2, ticket} end
if turn == 'h' then return {2, ticket, deadline} end
deadline = now + tonumber(redis.call('HGET', KEYS[1], 'turnMs'))
redis.call('ZADD', KEYS[4], deadline, ticket)
redis.call('HSET', KEYS[5], ticket, 'h')
return {1, ticket, deadline}`,
)

/**
 * ARGV[1] ticket. A held turn is bought: its slot frees at once. A turn whose deadline passed
 * but that the controller has not released yet still completes (the purchase did commit).
 * Reply 1 completed; 0 already completed; -1 not held (lapsed, given up, never admitted).
 */
export const COMPLETE = script(
  'COMPLETE',
  `
local turn = redis.call('HGET', KEYS[5], ARGV[1])
if turn == 'c' then return 0 end
if turn ~= 'h' then return -1 end
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('HSET', KEYS[5], ARGV[1], 'c')
redis.call('HINCRBY', KEYS[1], 'completed', 1)
return 1`,
)

/** ARGV[1] ticket. Reply {1, deadline} held; {-4} completed; {-2} released (lapsed or given up). */
export const TURN = script(
  'TURN',
  L_NOW_MS,
  `
local turn = redis.call('HGET', KEYS[5], ARGV[1])
if turn == 'c' then return {-4} end
local deadline = tonumber(redis.call('ZSCORE', KEYS[4], ARGV[1]))
if turn == 'h' and deadline and deadline > now_ms() then return {1, deadline} end
return {-2}`,
)

/**
 * ARGV[1] visitorId. Waiting: the index goes into the left set (TICK skips it). Admitted: the
 * turn is given up and its slot frees. Reply 1 left; 0 the visitor had no place, or bought (a
 * completed turn stays, so leaving and joining again cannot buy a second turn).
 */
export const LEAVE = script(
  'LEAVE',
  L_SHUFFLE,
  L_TICKET_OF,
  `
local index = redis.call('HGET', KEYS[2], ARGV[1])
if not index then return 0 end
local ticket, served = ticket_of(index)
if ticket and ticket < served then
  -- A visitor who bought keeps their place, so that leaving cannot buy them a second turn.
  if redis.call('HGET', KEYS[5], ticket) == 'c' then return 0 end
  redis.call('HDEL', KEYS[2], ARGV[1])
  if redis.call('ZREM', KEYS[4], ticket) == 1 then redis.call('HSET', KEYS[5], ticket, 'x') end
  return 1
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], index)
return 1`,
)

/**
 * The admission controller's step. ARGV[1] remaining inventory ('' = keep the stored counter),
 * ARGV[2] shuffle keys (used only if this tick starts the sale).
 * 1. start the sale if due; 2. release turns past their deadline (at most 1,000 per tick);
 * 3. remaining <= 0 marks the event sold out; 4. admit the next tickets in order, skipping those
 * who left, as many as the tightest bound allows:
 *    maxActiveBuyers - active,  the token bucket (admitPerMinute × health factor, ≤ 10 s worth),
 *    floor(remaining / unitsPerBuyer) - active  (what remains is spoken for: admit nobody).
 * Reply {1, admitted, abandoned, expired, served, active, waiting, soldOut, started, now}, {-1}.
 */
export const TICK = script(
  'TICK',
  L_NOW_MS,
  L_START,
  L_SHUFFLE,
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local now = now_ms()
start_if_due(now, ARGV[2])
if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], 'remaining', ARGV[1]) end
local c = redis.call('HMGET', KEYS[1], 'startedAt', 'pre', 'keys', 'seq', 'served', 'maxActiveBuyers',
  'admitPerMinute', 'claimMs', 'unitsPerBuyer', 'remaining', 'soldOut', 'health', 'healthUntil', 'bucket', 'bucketAt')
local abandoned, expired = 0, 0
for _, t in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, 1000)) do
  redis.call('ZREM', KEYS[4], t)
  if redis.call('HGET', KEYS[5], t) == 'h' then expired = expired + 1 else abandoned = abandoned + 1 end
  redis.call('HSET', KEYS[5], t, 'x')
end
local active = redis.call('ZCARD', KEYS[4])
local seq, served = tonumber(c[4]) or 0, tonumber(c[5]) or 0
local remaining = tonumber(c[10])
local sold = c[11] and 1 or 0
if sold == 0 and remaining and remaining <= 0 then
  sold = 1
  redis.call('HSET', KEYS[1], 'soldOut', 1)
end
local admitted = 0
if c[1] and sold == 0 then
  local rate = tonumber(c[7])
  local health = 1
  if c[13] and tonumber(c[13]) > now then health = tonumber(c[12]) end
  local bucket = math.min(math.max(1, rate / 6),
    (tonumber(c[14]) or 0) + math.max(0, now - (tonumber(c[15]) or now)) * rate * health / 60000)
  local budget = math.min(tonumber(c[6]) - active, math.floor(bucket))
  if remaining then budget = math.min(budget, math.floor(remaining / tonumber(c[9])) - active) end
  if budget > 0 then
    local sh = shuffler(tonumber(c[2]), c[3])
    local deadline = now + tonumber(c[8])
    local skipped = 0
    while admitted < budget and served < seq and skipped < 10000 do
      local t = served
      served = served + 1
      if redis.call('SREM', KEYS[3], sh.index(t)) == 1 then
        skipped = skipped + 1
      else
        redis.call('ZADD', KEYS[4], deadline, t)
        admitted = admitted + 1
      end
    end
    bucket = bucket - admitted
  end
  redis.call('HSET', KEYS[1], 'served', served, 'bucket', bucket, 'bucketAt', now)
end
if admitted > 0 then redis.call('HINCRBY', KEYS[1], 'admitted', admitted) end
if abandoned > 0 then redis.call('HINCRBY', KEYS[1], 'abandoned', abandoned) end
if expired > 0 then redis.call('HINCRBY', KEYS[1], 'expired', expired) end
local waiting = seq - served - redis.call('SCARD', KEYS[3])
return {1, admitted, abandoned, expired, served, active + admitted, waiting, sold, c[1] and 1 or 0, now}`,
)

/**
 * ARGV[1] what: 'remaining' (ARGV[2] a count, or '' for unknown: a count <= 0 marks the event
 * sold out, a positive one reopens it, e.g. after cancellations), 'soldOut', or 'health'
 * (ARGV[2] factor 0..1, ARGV[3] ttl ms: after it the factor reverts to 1, so a reporter that
 * dies cannot leave the sale paused). Reply 1, or 0 for an unknown event.
 */
export const ADJUST = script(
  'ADJUST',
  L_NOW_MS,
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == 'remaining' then
  if ARGV[2] == '' then
    redis.call('HDEL', KEYS[1], 'remaining')
  else
    redis.call('HSET', KEYS[1], 'remaining', ARGV[2])
    if tonumber(ARGV[2]) <= 0 then redis.call('HSET', KEYS[1], 'soldOut', 1) else redis.call('HDEL', KEYS[1], 'soldOut') end
  end
elseif ARGV[1] == 'soldOut' then
  redis.call('HSET', KEYS[1], 'soldOut', 1)
else
  redis.call('HSET', KEYS[1], 'health', ARGV[2], 'healthUntil', now_ms() + tonumber(ARGV[3]))
end
return 1`,
)

export const SCRIPTS = { JOIN, STATE, CLAIM, COMPLETE, TURN, LEAVE, TICK, ADJUST }
