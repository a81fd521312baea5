import { type RedisServer, startRedisNodes, uniquePrefix } from '@ticketing/testkit'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSeatLock, type SeatLock } from '../src/index.js'
import { SCRIPTS } from '../src/scripts.js'

// Every key a script touches must be declared in KEYS (Redis Cluster's contract, and the house
// rule). Checked twice: statically over the Lua text, and against real redis-servers whose ACL
// lets each script call touch exactly the keys it declared, so a key built inside Lua fails.

/** The arguments of every `redis.call(...)` in `lua`, split at top-level commas. */
function redisCalls(lua: string): string[][] {
  const calls: string[][] = []
  for (let at = lua.indexOf('redis.call('); at >= 0; at = lua.indexOf('redis.call(', at + 1)) {
    const args: string[] = []
    let depth = 0
    let start = at + 'redis.call('.length
    for (let i = start; ; i++) {
      const c = lua[i]!
      if (c === '(' || c === '{') depth++
      else if ((c === ')' || c === '}') && depth > 0) depth--
      else if ((c === ',' || c === ')') && depth === 0) {
        args.push(lua.slice(start, i).trim())
        start = i + 1
        if (c === ')') break
      }
    }
    calls.push(args)
  }
  return calls
}

/** Which arguments of each command the scripts use are keys. */
const KEY_ARGS: Record<string, 'none' | 'first' | 'all'> = {
  TIME: 'none',
  DEL: 'all',
  EXISTS: 'all',
}
const FIRST_KEY = [
  'GET',
  'SET',
  'INCR',
  'HSET',
  'HGET',
  'HMGET',
  'HGETALL',
  'HDEL',
  'HKEYS',
  'HINCRBY',
  'PEXPIRE',
  'PEXPIREAT',
  'PERSIST',
  'PTTL',
  'SADD',
  'SREM',
  'SCARD',
  'SPOP',
  'SISMEMBER',
  'SMEMBERS',
  'SRANDMEMBER',
  'ZADD',
  'ZREM',
  'ZCARD',
  'ZSCORE',
  'ZRANGEBYSCORE',
]
for (const c of FIRST_KEY) KEY_ARGS[c] = 'first'

const DECLARED = /^(KEYS\[[^\]]+\]|unpack\(KEYS(, *\d+)?\))$/
/** Key arguments read from a local list, each vetted: the list holds only KEYS entries. */
const VETTED: Record<string, string[]> = { release: ['unpack(mine)'] }

describe('scripts declare every key they touch', () => {
  it.each(Object.values(SCRIPTS))('$name: every key argument of redis.call is from KEYS', (script) => {
    const calls = redisCalls(script.lua)
    expect(calls.length).toBeGreaterThan(0)
    for (const [name, ...args] of calls) {
      const command = name!.replace(/'/g, '').toUpperCase()
      const kind = KEY_ARGS[command]
      expect(kind, `${script.name}: classify ${command} in KEY_ARGS`).toBeDefined()
      const keys = kind === 'all' ? args : kind === 'first' ? args.slice(0, 1) : []
      for (const key of keys) {
        if (VETTED[script.name]?.includes(key)) continue
        expect(key, `${script.name}: ${command} ${key}`).toMatch(DECLARED)
      }
    }
  })
})

const escapeGlob = (key: string) => key.replace(/[*?[\]\\]/g, '\\$&')

/**
 * The client the lock is handed: every command goes to the server as usual, except scripts,
 * which run as a user whose ACL allows exactly the keys the call declares. Calls to one server
 * are serialized so that each script runs under its own call's ACL.
 */
async function declaredKeysOnly(server: RedisServer): Promise<Redis> {
  const admin = server.client()
  const user = uniquePrefix('keys')
  await admin.acl('SETUSER', user, 'on', 'nopass', '+@all', 'resetkeys')
  const limited = server.client({ username: user, password: 'any' })
  let queue: Promise<unknown> = Promise.resolve()
  const restricted =
    (command: 'evalsha' | 'eval') =>
    (script: string, numKeys: number, ...rest: unknown[]) => {
      const keys = rest.slice(0, numKeys).map((k) => `~${escapeGlob(String(k))}`)
      const run = async () => {
        await admin.acl('SETUSER', user, 'resetkeys', ...keys)
        return (limited[command] as (...a: unknown[]) => Promise<unknown>)(script, numKeys, ...rest)
      }
      const result = queue.then(run, run)
      queue = result.catch(() => {})
      return result
    }
  return new Proxy(admin, {
    get(target, prop) {
      if (prop === 'evalsha' || prop === 'eval') return restricted(prop)
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

describe.each([
  { name: 'one node', nodes: 1 },
  { name: 'a quorum of 3', nodes: 3 },
])('every script call on $name runs with an ACL of exactly its declared keys', ({ nodes: count }) => {
  let servers: RedisServer[]
  let clients: Redis[]
  let lock: SeatLock
  let elsewhere: SeatLock

  beforeAll(async () => {
    servers = await startRedisNodes(count)
    clients = await Promise.all(servers.map(declaredKeysOnly))
    const redis = count === 1 ? clients[0]! : clients
    const prefix = uniquePrefix('acl')
    lock = createSeatLock({ redis, prefix })
    // Another process: it knows holds by id only, so it reads their seats first.
    elsewhere = createSeatLock({ redis, prefix })
  })
  afterAll(async () => {
    await Promise.all(servers?.map((s) => s.stop()) ?? [])
  })

  it('refuses a script that touches an undeclared key (the harness works)', async () => {
    await expect(clients[0]!.eval("return redis.call('GET', ARGV[1])", 0, 'undeclared')).rejects.toThrow(
      /can't access|NOPERM/,
    )
  })

  it('seat holds: hold, conflict, extend, confirm, release, hand-off by id, freeSeats', async () => {
    const a = await lock.holdSeats({ eventId: 'e1', seats: ['A1', 'A2'], owner: 'alice' })
    await expect(lock.holdSeats({ eventId: 'e1', seats: ['A2', 'A3'], owner: 'bob' })).rejects.toMatchObject({
      seats: ['A2'],
    })
    await lock.extend(a.id, 20_000, 'alice')
    await expect(lock.release(a.id, 'bob')).rejects.toMatchObject({ code: 'E_NOT_OWNER' })
    expect((await lock.confirm(a.id, 'alice')).status).toBe('confirmed')
    expect(await lock.release(a.id)).toBe(false)
    await lock.freeSeats('e1', ['A1', 'A2'])

    const b = await lock.holdSeats({ eventId: 'e1', seats: ['A1', 'A3', 'A4'], owner: 'bob' })
    expect((await elsewhere.extend(b.id, 20_000, 'bob')).seats).toEqual(['A1', 'A3', 'A4'])
    expect(await elsewhere.release(b.id, 'bob')).toBe(true)
    expect(await elsewhere.release(b.id, 'bob')).toBe(false)
    await expect(elsewhere.confirm(b.id)).rejects.toMatchObject({ code: 'E_HOLD_EXPIRED' })
    expect(await lock.release(b.id)).toBe(false)
  })

  it('quantity holds and capacity administration', async () => {
    await lock.capacity.set('ga', 10)
    const q = await lock.holdQuantity({ eventId: 'ga', quantity: 3, owner: 'carol' })
    await elsewhere.extend(q.id, 20_000)
    expect(await lock.release(q.id, 'carol')).toBe(true)
    const r = await lock.holdQuantity({ eventId: 'ga', quantity: 2, owner: 'dave' })
    await elsewhere.confirm(r.id, 'dave')
    expect(await lock.capacity.add('ga', 5)).toMatchObject({ total: 15, available: 13, confirmed: 2 })
    expect(await lock.capacity.remove('ga', 4)).toMatchObject({ total: 11, available: 9 })
    expect(await lock.capacity.rebuild('ga', 6)).toMatchObject({ total: 6, available: 6, held: 0 })
    expect(await lock.capacity.get('ga')).toMatchObject({ total: 6, available: 6 })
  })
})
