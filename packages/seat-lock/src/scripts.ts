import { createHash } from 'node:crypto'

/**
 * Lua for every atomic step. One script = one round trip = one atomic step on one node.
 * The same scripts run on a single node, on a cluster (all keys share the event's hash tag)
 * and on each node of a quorum.
 *
 * Every script declares in KEYS every key it reads or writes, and touches no other: that is
 * Redis Cluster's contract (and what lets a proxy or ACL reason about a script), and
 * test/scripts.test.ts checks it, statically and against a real Redis with per-call ACLs.
 * The hold scripts (HOLD_SEATS, HOLD_UNITS, RELEASE, EXTEND, CONFIRM) share one layout, "the
 * hold's keys":
 *   KEYS[1] hold record  KEYS[2] fence counter, then
 *   a seat hold:     KEYS[3..] its seat keys
 *   a quantity hold: KEYS[3] cap hash  KEYS[4] free set  KEYS[5] unit expiry zset  KEYS[6] unit owner hash
 * CAPACITY declares the quantity layout; FREE_SEATS and RAISE_FENCE list their own.
 * A hold's seats are in its record, but a script may not derive keys from it, so release /
 * extend / confirm are told the seats (ARGV[3], the seat list exactly as the record stores it;
 * '' for a quantity hold) and first check that the record agrees, else reply {-5}.
 *
 * Replies are arrays: {1, ...} success; {0, ...} contention; {-1} not owner; {-2} hold gone;
 * {-3} capacity not set; {-4} hold already confirmed (release only); {-5} the declared keys are
 * not the hold's (the caller looks the seats up and calls again).
 * Time is the Redis server's (`TIME`), never the caller's clock.
 */
// Lua helpers, each included only in the scripts that call it: every local function is a closure
// allocated per call, and on the hot path that garbage shows up in Redis CPU time.
const L_NOW_MS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end`
const L_REAP = `
-- Units of lapsed quantity holds go back on sale here, lazily, before anything reads counts.
local function reap(now)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now, 'LIMIT', 0, 5000)
  for _, unit in ipairs(expired) do
    redis.call('ZREM', KEYS[5], unit)
    redis.call('HDEL', KEYS[6], unit)
    redis.call('SADD', KEYS[4], unit)
  end
end`
const L_CAP_STATE = `
local function cap_state()
  local c = redis.call('HMGET', KEYS[3], 'total', 'confirmed')
  return {tonumber(c[1]) or 0, redis.call('SCARD', KEYS[4]), redis.call('ZCARD', KEYS[5]), tonumber(c[2]) or 0}
end`
const L_ADD_UNITS = `
-- Adds units <epoch>.1 .. <epoch>.n to the free set. Unit ids come from the caller so that every
-- quorum node names the same units identically.
local function add_units(epoch, n)
  local batch = {}
  for i = 1, n do
    batch[#batch + 1] = epoch .. '.' .. i
    if #batch == 1000 then redis.call('SADD', KEYS[4], unpack(batch)); batch = {} end
  end
  if #batch > 0 then redis.call('SADD', KEYS[4], unpack(batch)) end
end`
const L_NEXT_TOKEN = `
-- Fencing token: INCR; a counter that did not exist (new event, or a Redis that lost its data:
-- restart without persistence, failover to a lagging replica) starts at serverTimeMs * 1024, so
-- it still issues tokens above every one issued before, as long as the clock did not go back and
-- fewer than 1024 tokens per ms were issued on average since the counter was first seeded.
local function next_token(now)
  local t = redis.call('INCR', KEYS[2])
  if t == 1 then
    t = now * 1024
    redis.call('SET', KEYS[2], t)
  end
  return t
end`
const L_HOLD_REPLY = `
local function hold_reply()
  local r = redis.call('HGETALL', KEYS[1])
  table.insert(r, 1, 1)
  return r
end`

// Needs L_REAP and L_HOLD_REPLY. The checks EXTEND and CONFIRM share: the record exists
// (h = owner, seats, status, slots; no owner = expired, released or never there), the caller
// owns it, the declared keys are this hold's (see the header), and every seat or unit still
// belongs to this hold. Returns the reply to give at once ({-2} gone, {-1} not the owner, {-5}
// wrong keys, the hold itself when already confirmed), or nil and, for a quantity hold, its units.
const L_LIVE_HOLD = `
local function live_hold(now)
  local h = redis.call('HMGET', KEYS[1], 'owner', 'seats', 'status', 'slots')
  if not h[1] then return {-2} end
  if ARGV[2] ~= '' and ARGV[2] ~= h[1] then return {-1} end
  if h[3] == 'confirmed' then return hold_reply() end
  if (h[2] or '') ~= ARGV[3] then return {-5} end
  if h[2] then
    for i = 3, #KEYS do
      if redis.call('GET', KEYS[i]) ~= ARGV[1] then return {-2} end
    end
    return nil
  end
  reap(now)
  local units = cjson.decode(h[4])
  for _, unit in ipairs(units) do
    if redis.call('HGET', KEYS[6], unit) ~= ARGV[1] or not redis.call('ZSCORE', KEYS[5], unit) then return {-2} end
  end
  return nil, units
end`

/**
 * All-or-nothing hold of named seats. KEYS: hold, fence, seat keys. ARGV: holdId, owner, ttlMs,
 * seatsJson. Reply: {1, token, expiresAt}, or {0, 1-based indexes of every taken seat...}.
 */
export const HOLD_SEATS = `${L_NOW_MS}${L_NEXT_TOKEN}
local now = now_ms()
local exp = now + tonumber(ARGV[3])
-- SET NX per seat: on the common path (all free) one call per seat both checks and takes it.
-- On a conflict, every seat is still tried (the caller learns exactly which are taken), and the
-- ones this call took are deleted again before replying: all or nothing, within one script.
local taken
for i = 3, #KEYS do
  if not redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PXAT', exp) then
    taken = taken or {0}
    taken[#taken + 1] = i - 2
  end
end
if taken then
  local j = 2
  for i = 3, #KEYS do
    if taken[j] == i - 2 then j = j + 1 else redis.call('DEL', KEYS[i]) end
  end
  return taken
end
-- The fencing token comes from the same atomic step that grants the hold.
local token = next_token(now)
-- Four fields only (a hash's cost grows with its field count on this hot path): kind follows
-- from 'seats' vs 'slots', quantity from their length, and status is absent until confirmed.
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'seats', ARGV[4], 'token', token, 'exp', exp)
redis.call('PEXPIREAT', KEYS[1], exp)
-- The caller knows everything else about the hold; a short reply keeps the hot path cheap.
return {1, token, exp}
`

/**
 * Counting semaphore over GA units. KEYS: the quantity layout. ARGV: holdId, owner, ttlMs, qty,
 * mode, 'any' | 'these', units... With 'any' the node picks free units itself (single node /
 * cluster). With 'these' (quorum) the client proposes the same unit ids to every node and each
 * node grants all of them or none, so a unit is only ever granted on a majority to one hold.
 * mode 'remove' takes the units off sale for good (capacity.remove) instead of holding them.
 * Reply: {1, token, expiresAt}, or {0, available}, or {-3}; for 'remove': {1, total, available, held, confirmed}.
 */
export const HOLD_UNITS = `${L_NOW_MS}${L_REAP}${L_CAP_STATE}${L_NEXT_TOKEN}
local now = now_ms()
if redis.call('EXISTS', KEYS[3]) == 0 then return {-3} end
reap(now)
local qty = tonumber(ARGV[4])
local units
if ARGV[6] == 'these' then
  -- Never fall back to picking here: nodes picking on their own would grant different units.
  if #ARGV - 6 ~= qty then return redis.error_reply('seat-lock: proposal size differs from quantity') end
  units = {}
  for i = 7, #ARGV do
    if redis.call('SISMEMBER', KEYS[4], ARGV[i]) == 0 then return {0, redis.call('SCARD', KEYS[4])} end
    units[#units + 1] = ARGV[i]
  end
  redis.call('SREM', KEYS[4], unpack(units))
else
  local free = redis.call('SCARD', KEYS[4])
  if free < qty then return {0, free} end
  units = redis.call('SPOP', KEYS[4], qty)
end
if ARGV[5] == 'remove' then
  redis.call('HINCRBY', KEYS[3], 'total', -qty)
  local s = cap_state()
  return {1, s[1], s[2], s[3], s[4]}
end
local exp = now + tonumber(ARGV[3])
for _, unit in ipairs(units) do
  redis.call('ZADD', KEYS[5], exp, unit)
  redis.call('HSET', KEYS[6], unit, ARGV[1])
end
local token = next_token(now)
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'slots', cjson.encode(units), 'token', token, 'exp', exp)
redis.call('PEXPIREAT', KEYS[1], exp)
-- The caller knows everything else about the hold; a short reply keeps the hot path cheap.
return {1, token, exp}
`

/**
 * Owner-checked release. KEYS: the hold's keys. ARGV: holdId, owner ('' = any), seatsJson ('' =
 * quantity hold). Deletes only what is still ours.
 */
export const RELEASE = `
-- h = owner, seats, status, slots; no owner = no record (expired, released or never there).
local h = redis.call('HMGET', KEYS[1], 'owner', 'seats', 'status', 'slots')
if not h[1] then return {-2} end
if ARGV[2] ~= '' and ARGV[2] ~= h[1] then return {-1} end
-- Sold stays sold: returning sold seats/units is freeSeats / capacity.add, after the DB agrees.
if h[3] == 'confirmed' then return {-4} end
if (h[2] or '') ~= ARGV[3] then return {-5} end
if h[2] then
  -- The record and the seats still ours go in one DEL.
  local mine = {KEYS[1]}
  for i = 3, #KEYS do
    if redis.call('GET', KEYS[i]) == ARGV[1] then mine[#mine + 1] = KEYS[i] end
  end
  redis.call('DEL', unpack(mine))
  return {1}
end
-- The GA helpers are defined only on this path: each is a closure allocated when defined.
${L_NOW_MS}${L_REAP}
reap(now_ms())
for _, unit in ipairs(cjson.decode(h[4])) do
  if redis.call('HGET', KEYS[6], unit) == ARGV[1] and redis.call('ZSCORE', KEYS[5], unit) then
    redis.call('ZREM', KEYS[5], unit)
    redis.call('HDEL', KEYS[6], unit)
    redis.call('SADD', KEYS[4], unit)
  end
end
redis.call('DEL', KEYS[1])
return {1}
`

/**
 * Sets the hold's remaining TTL to ttlMs (server time). KEYS: the hold's keys. ARGV: holdId,
 * owner, seatsJson, ttlMs.
 */
export const EXTEND = `${L_NOW_MS}${L_REAP}${L_HOLD_REPLY}${L_LIVE_HOLD}
local now = now_ms()
local stop, units = live_hold(now)
if stop then return stop end
local exp = now + tonumber(ARGV[4])
if units then
  for _, unit in ipairs(units) do redis.call('ZADD', KEYS[5], 'XX', exp, unit) end
else
  for i = 3, #KEYS do redis.call('PEXPIREAT', KEYS[i], exp) end
end
redis.call('HSET', KEYS[1], 'exp', exp)
redis.call('PEXPIREAT', KEYS[1], exp)
return hold_reply()
`

/**
 * Makes a hold permanent: seat keys lose their TTL, units leave the expiry zset (they stay in
 * the owner hash, counted as confirmed). The record is kept for ARGV[4] ms so that confirm stays
 * idempotent for retried webhooks. KEYS: the hold's keys. ARGV: holdId, owner, seatsJson,
 * retentionMs.
 */
export const CONFIRM = `${L_NOW_MS}${L_REAP}${L_HOLD_REPLY}${L_LIVE_HOLD}
local now = now_ms()
local stop, units = live_hold(now)
if stop then return stop end
if units then
  for _, unit in ipairs(units) do redis.call('ZREM', KEYS[5], unit) end
  redis.call('HINCRBY', KEYS[3], 'confirmed', #units)
else
  for i = 3, #KEYS do redis.call('PERSIST', KEYS[i]) end
end
redis.call('HSET', KEYS[1], 'status', 'confirmed')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return hold_reply()
`

/**
 * Quorum only: raises a node's fencing counter to the token the quorum issued (so any later
 * majority, which overlaps this one, issues larger tokens) and records that token in the hold,
 * so every majority reports the same token. KEYS[1] fence, KEYS[2] hold; ARGV[1] token.
 */
export const RAISE_FENCE = `
if (tonumber(redis.call('GET', KEYS[1])) or 0) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HSET', KEYS[2], 'token', ARGV[1]) end
return {1}
`

/**
 * Returns sold seats to sale; seats still under a live hold (they have a TTL) are left alone.
 * KEYS: the seat keys.
 */
export const FREE_SEATS = `
local freed = 0
for i = 1, #KEYS do
  if redis.call('PTTL', KEYS[i]) == -1 then redis.call('DEL', KEYS[i]); freed = freed + 1 end
end
return {1, freed}
`

/**
 * Capacity administration. KEYS: the quantity layout (KEYS[1], KEYS[2] unused). ARGV: op, n, epoch.
 *  set:     all units replaced by n fresh free units (live holds lose their units).
 *  add:     n more free units.
 *  rebuild: free units := n - (units in live holds); confirmed units forgotten.
 *  get:     read only (after reaping).
 *  view:    {1, freeCount, unit ids...}: all free unit ids when there are <= n, else n random ones.
 * Reply {1, total, available, held, confirmed} or {-3} when the capacity is not set.
 */
export const CAPACITY = `${L_NOW_MS}${L_REAP}${L_CAP_STATE}${L_ADD_UNITS}
local now = now_ms()
local op, n, epoch = ARGV[1], tonumber(ARGV[2]), ARGV[3]
if op == 'set' then
  redis.call('DEL', KEYS[4], KEYS[5], KEYS[6])
  redis.call('HSET', KEYS[3], 'total', n, 'confirmed', 0)
  add_units(epoch, n)
elseif op == 'rebuild' then
  reap(now)
  -- Units in live holds stay held; sold (confirmed) units are dropped: the DB's number is the truth.
  local owned = redis.call('HKEYS', KEYS[6])
  for _, unit in ipairs(owned) do
    if not redis.call('ZSCORE', KEYS[5], unit) then redis.call('HDEL', KEYS[6], unit) end
  end
  redis.call('DEL', KEYS[4])
  local held = redis.call('ZCARD', KEYS[5])
  local free = math.max(0, n - held)
  add_units(epoch, free)
  redis.call('HSET', KEYS[3], 'total', free + held, 'confirmed', 0)
else
  if redis.call('EXISTS', KEYS[3]) == 0 then return {-3} end
  reap(now)
  if op == 'add' then
    add_units(epoch, n)
    redis.call('HINCRBY', KEYS[3], 'total', n)
  elseif op == 'view' then
    local count = redis.call('SCARD', KEYS[4])
    local units
    if count <= n then units = redis.call('SMEMBERS', KEYS[4]) else units = redis.call('SRANDMEMBER', KEYS[4], n) end
    table.insert(units, 1, count)
    table.insert(units, 1, 1)
    return units
  end
end
local s = cap_state()
return {1, s[1], s[2], s[3], s[4]}
`

export interface Script {
  readonly name: string
  readonly lua: string
  readonly sha: string
}

function script(name: string, lua: string): Script {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') }
}

export const SCRIPTS = {
  holdSeats: script('holdSeats', HOLD_SEATS),
  holdUnits: script('holdUnits', HOLD_UNITS),
  release: script('release', RELEASE),
  extend: script('extend', EXTEND),
  confirm: script('confirm', CONFIRM),
  freeSeats: script('freeSeats', FREE_SEATS),
  raiseFence: script('raiseFence', RAISE_FENCE),
  capacity: script('capacity', CAPACITY),
} as const
