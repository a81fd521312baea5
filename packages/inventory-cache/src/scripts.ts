import { createHash } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'

/*
 * Every atomic step is one Lua script over the three keys of one cache key:
 *   KEYS[1] = {ns:key}:v      the value: a HASH (d = JSON, e = fresh-until ms, g = grace-until ms,
 *                            c = loader ms, r = version it reflects, n = 1 when "not found",
 *                            f:<name> = integer fields, merged over d on read, HINCRBY-able)
 *   KEYS[2] = {ns:key}:ver    the version counter; it survives the value's deletion
 *   KEYS[3] = {ns:key}:lease  the fill lease (SET NX PX)
 * They share the {ns:key} hash tag, so every script is single-slot and runs on Redis Cluster.
 * Times come from the Redis server clock, so instances with skewed clocks agree on freshness.
 */

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

/**
 * READ: a plain L2 lookup (getMany). Returns {now, version, hash}; the caller judges freshness
 * against the server clock and carries the version into a later fill.
 */
export const READ_SCRIPT = `${NOW}
local ver = redis.call('GET', KEYS[2]) or '0'
return { now, ver, redis.call('HGETALL', KEYS[1]) }
`

/**
 * LEASE: the read of a getOrLoad (and of a waiter's poll). Returns the value hash in every case.
 *   {1, now, ver, hash}        the value is fresh: a hit
 *   {2, now, ver, hash}        not fresh, and this caller took the fill lease (SET NX PX)
 *   {3, now, ver, hash, pttl}  not fresh, and the lease is held elsewhere (or mode 'peek')
 * Taking the lease in the same round trip as the read makes a miss + fill two round trips. The
 * version is read here, BEFORE the loader reads the database, which is what fences the fill.
 * Modes: 'lease' (default), 'force' (skip the fresh check: XFetch early refresh), 'peek' (never
 * take the lease: this process already has a load in flight).
 * ARGV: token, leaseMs, mode
 */
export const LEASE_SCRIPT = `${NOW}
local ver = redis.call('GET', KEYS[2]) or '0'
local h = redis.call('HGETALL', KEYS[1])
if ARGV[3] ~= 'force' then
  local e = tonumber(redis.call('HGET', KEYS[1], 'e'))
  if e and e > now then return { 1, now, ver, h } end
end
if ARGV[3] ~= 'peek' and redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return { 2, now, ver, h }
end
return { 3, now, ver, h, redis.call('PTTL', KEYS[3]) }
`

/**
 * FILL: the versioned, fenced set. Writes only if the version is still the one read before the
 * loader ran: a writer that committed and invalidated meanwhile bumped it, so a fill carrying a
 * row read before that commit is dropped (the memcache stale-set race). Releases the lease if
 * this fill still owns it. Returns {1, ver} when written, {0, currentVer} when dropped.
 * ARGV: expectedVer, token, json, freshMs, graceMs, loaderMs, negative, verTtlMs, f:a, 1, f:b, 2, ...
 */
export const FILL_SCRIPT = `${NOW}
local cur = redis.call('GET', KEYS[2]) or '0'
local written = 0
if cur == ARGV[1] then
  local fresh = tonumber(ARGV[4])
  local grace = tonumber(ARGV[5])
  local fields = { 'd', ARGV[3], 'e', string.format('%.0f', now + fresh),
    'g', string.format('%.0f', now + fresh + grace), 'c', ARGV[6], 'r', cur, 'n', ARGV[7] }
  for i = 9, #ARGV do fields[#fields + 1] = ARGV[i] end
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('PEXPIRE', KEYS[1], fresh + grace)
  if cur ~= '0' then redis.call('PEXPIRE', KEYS[2], ARGV[8]) end
  written = 1
end
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return { written, cur }
`

/**
 * INVALIDATE: the writer's step after its DB commit: bump the version (so in-flight fills that
 * read the old row are dropped), delete the value, and publish {instance|version|key} for L1s,
 * all atomically. Returns the new version.
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
 * If the value is cached and holds the integer field (and the optional row-version guard
 * matches: cached guard == ARGV[6] - 1), HINCRBY it and stamp the new version: {1, nv}.
 * Otherwise the value cannot be patched correctly, so it is deleted: {0, nv}. Never creates a
 * partial value.
 * ARGV: verTtlMs, channel, message prefix, key, field, delta, guardField, guardValue
 */
export const DELTA_SCRIPT = `
local nv = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
local applied = 0
if redis.call('HEXISTS', KEYS[1], 'f:' .. ARGV[5]) == 1 then
  applied = 1
  if ARGV[7] ~= '' then
    local g = tonumber(redis.call('HGET', KEYS[1], 'f:' .. ARGV[7]))
    if g == nil or g ~= tonumber(ARGV[8]) - 1 then applied = 0 end
  end
end
if applied == 1 then
  redis.call('HINCRBY', KEYS[1], 'f:' .. ARGV[5], ARGV[6])
  if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'f:' .. ARGV[7], ARGV[8]) end
  redis.call('HSET', KEYS[1], 'r', nv)
else
  redis.call('DEL', KEYS[1])
end
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
  read: new Script('read', READ_SCRIPT, 2),
  lease: new Script('lease', LEASE_SCRIPT, 3),
  fill: new Script('fill', FILL_SCRIPT, 3),
  invalidate: new Script('invalidate', INVALIDATE_SCRIPT, 2),
  delta: new Script('delta', DELTA_SCRIPT, 2),
  release: new Script('release', RELEASE_SCRIPT, 1),
}
