import { createHash } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'

/*
 * Every atomic step is one Lua script over the three keys of one cache key:
 *   KEYS[1] = {ns:key}:v      the value, a STRING so that an L2 hit is one plain GET:
 *                            IC1|<fresh-until ms>|<grace-until ms>|<loader ms>|<version>|<negative 0/1>|
 *                            <counters "name:int,name:int">|<JSON payload>
 *                            Counters are the payload's top-level integer fields, merged over the
 *                            JSON on read; DELTA rewrites them in place. The JSON is never parsed
 *                            in Lua, so cjson's quirks (empty arrays, big numbers) cannot corrupt it.
 *   KEYS[2] = {ns:key}:ver    the version counter; it survives the value's deletion
 *   KEYS[3] = {ns:key}:lease  the fill lease (SET NX PX)
 * They share the {ns:key} hash tag, so every script is single-slot and runs on Redis Cluster.
 * Times come from the Redis server clock (TIME). LEASE and FILL return it, so each client also
 * tracks its offset to the server clock and can judge a plain GET's freshness (ServerClock).
 */

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

/**
 * LEASE: the authoritative read of a getOrLoad that missed (or found a value it believes
 * expired), and a waiter's poll. Returns the value in every case:
 *   {1, now, ver, value}              the value is fresh: a hit
 *   {2, now, ver, value|false}        not fresh, and this caller took the fill lease (SET NX PX)
 *   {3, now, ver, value|false, pttl}  not fresh, and the lease is held elsewhere (or mode 'peek')
 * The version is read here, BEFORE the loader reads the database: that is what fences the fill.
 * Modes: 'lease', 'force' (skip the fresh check: XFetch early refresh), 'peek' (never take the
 * lease: this process already has a load in flight).
 * ARGV: token, leaseMs, mode
 */
export const LEASE_SCRIPT = `${NOW}
local ver = redis.call('GET', KEYS[2]) or '0'
local v = redis.call('GET', KEYS[1])
if v and ARGV[3] ~= 'force' then
  local e = tonumber(string.match(v, '^IC1|(%d+)|'))
  if e and e > now then return { 1, now, ver, v } end
end
if ARGV[3] ~= 'peek' and redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return { 2, now, ver, v }
end
return { 3, now, ver, v, redis.call('PTTL', KEYS[3]) }
`

/**
 * FILL: the versioned, fenced set. Writes only if the version is still the one read before the
 * loader ran: a writer that committed and invalidated meanwhile bumped it, so a fill carrying a
 * row read before that commit is dropped (the memcache stale-set race). Releases the lease if
 * this fill still owns it. Returns {1, ver, now} when written, {0, currentVer, now} when dropped.
 * ARGV: expectedVer, token, json, freshMs, graceMs, loaderMs, negative, verTtlMs, counters
 */
export const FILL_SCRIPT = `${NOW}
local cur = redis.call('GET', KEYS[2]) or '0'
local written = 0
if cur == ARGV[1] then
  local fresh = tonumber(ARGV[4])
  local grace = tonumber(ARGV[5])
  local value = 'IC1|' .. string.format('%.0f', now + fresh) .. '|' .. string.format('%.0f', now + fresh + grace)
    .. '|' .. ARGV[6] .. '|' .. cur .. '|' .. ARGV[7] .. '|' .. ARGV[9] .. '|' .. ARGV[3]
  redis.call('SET', KEYS[1], value, 'PX', fresh + grace)
  if cur ~= '0' then redis.call('PEXPIRE', KEYS[2], ARGV[8]) end
  written = 1
end
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return { written, cur, now }
`

/**
 * INVALIDATE: the writer's step after its DB commit: bump the version (so in-flight fills that
 * read the old row are dropped), delete the value, and publish "<instance>|<version>|<key>" for
 * the L1s of other instances, all atomically. Returns the new version.
 * ARGV: verTtlMs, channel, message prefix ("<instance>|"), key
 */
export const INVALIDATE_SCRIPT = `
local nv = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3] .. nv .. '|' .. ARGV[4])
return nv
`

/**
 * DELTA: apply a committed counter delta in place. Always bumps the version (so fills in flight,
 * which may have read the row before the commit, are dropped) and publishes the invalidation.
 * If the value is cached and has the counter (and the optional row-version guard matches: the
 * cached guard counter == ARGV[8] - 1), the counters are rewritten and the new version stamped,
 * keeping the TTL: {1, nv}. Otherwise the value cannot be patched correctly and is deleted:
 * {0, nv}. Never creates a partial value.
 * ARGV: verTtlMs, channel, message prefix, key, field, delta, guardField, guardValue
 */
export const DELTA_SCRIPT = `
local nv = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
local applied = 0
local v = redis.call('GET', KEYS[1])
if v then
  local e, g, c, r, n, counters, json = string.match(v, '^IC1|(%d+)|(%d+)|(%d+)|(%d+)|([01])|([^|]*)|(.*)$')
  if counters then
    local found = false
    local guardOk = ARGV[7] == ''
    local out = {}
    for name, val in string.gmatch(counters, '([^,:]+):(-?%d+)') do
      local x = tonumber(val)
      if name == ARGV[5] then
        found = true
        x = x + tonumber(ARGV[6])
      end
      if name == ARGV[7] then
        if tonumber(val) == tonumber(ARGV[8]) - 1 then guardOk = true end
        x = tonumber(ARGV[8])
      end
      out[#out + 1] = name .. ':' .. string.format('%.0f', x)
    end
    if found and guardOk then
      applied = 1
      redis.call('SET', KEYS[1], 'IC1|' .. e .. '|' .. g .. '|' .. c .. '|' .. nv .. '|' .. n .. '|'
        .. table.concat(out, ',') .. '|' .. json, 'KEEPTTL')
    end
  end
end
if applied == 0 then redis.call('DEL', KEYS[1]) end
redis.call('PUBLISH', ARGV[2], ARGV[3] .. nv .. '|' .. ARGV[4])
return { applied, nv }
`

/** RELEASE: give the lease back after a failed loader, only if this caller still owns it. */
export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

/** A script registered once per cache: EVALSHA, with EVAL on NOSCRIPT (e.g. after a restart). */
export class Script {
  readonly sha: string
  constructor(
    readonly name: string,
    readonly source: string,
    readonly keyCount: number,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex')
  }

  async run(client: Redis | Cluster, keys: string[], args: Array<string | number>): Promise<unknown> {
    const c = client as Redis
    try {
      return await c.evalsha(this.sha, this.keyCount, ...keys, ...args)
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return c.eval(this.source, this.keyCount, ...keys, ...args)
      }
      throw error
    }
  }
}

export const scripts = {
  lease: new Script('lease', LEASE_SCRIPT, 3),
  fill: new Script('fill', FILL_SCRIPT, 3),
  invalidate: new Script('invalidate', INVALIDATE_SCRIPT, 2),
  delta: new Script('delta', DELTA_SCRIPT, 2),
  release: new Script('release', RELEASE_SCRIPT, 1),
}
