// Quorum mode (REDIS_QUORUM_NODES): GA admission is a Redlock quorum over 3 independent
// redis-servers started here. 1 of 3 killed: the service keeps selling. 2 of 3 killed: it fails
// closed (503 + Retry-After, readiness DOWN), and MySQL never shows more sold than it had.
import { type RedisServer, startRedisNodes } from '@ticketing/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { checkI1, createEvent, type Harness, pool, startHarness } from './helpers.js'

async function reserve(url: string, eventId: number, userId: string, quantity = 1) {
  const res = await fetch(`${url}/api/reservations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ eventId, userId, quantity }),
  })
  const body = (await res.json()) as { error?: { code?: string } }
  return { status: res.status, code: body.error?.code, retryAfter: res.headers.get('retry-after') }
}

describe('REDIS_QUORUM_NODES (config)', () => {
  const base = { DATABASE_URL: 'mysql://root@db/x', REDIS_URL: 'redis://r:6379', AUTH_MODE: 'none' }
  it('takes at least 3 distinct redis:// URLs, alongside REDIS_URL', () => {
    const c = loadConfig({ ...base, REDIS_QUORUM_NODES: 'redis://a:1, redis://b:2,rediss://c:3' })
    expect(c.redis?.quorumNodes).toEqual(['redis://a:1', 'redis://b:2', 'rediss://c:3'])
    expect(c.redis?.url).toBe('redis://r:6379')
    expect(loadConfig(base).redis?.quorumNodes).toBeUndefined()
  })
  it('refuses fewer than 3, duplicates, non-redis URLs, and a quorum without production mode', () => {
    expect(() => loadConfig({ ...base, REDIS_QUORUM_NODES: 'redis://a:1,redis://b:2' })).toThrow(/at least 3/)
    expect(() => loadConfig({ ...base, REDIS_QUORUM_NODES: 'redis://a:1,redis://a:1,redis://b:2' })).toThrow(
      /same node twice/,
    )
    expect(() => loadConfig({ ...base, REDIS_QUORUM_NODES: 'redis://a:1,http://b:2,redis://c:3' })).toThrow(
      /"http:\/\/b:2" is not a redis/,
    )
    expect(() => loadConfig({ REDIS_QUORUM_NODES: 'redis://a:1,redis://b:2,redis://c:3' })).toThrow(
      /without REDIS_URL/,
    )
  })
})

describe('quorum mode (production, 3 independent Redis nodes)', () => {
  let nodes: RedisServer[]
  let h: Harness
  beforeAll(async () => {
    nodes = await startRedisNodes(3)
    h = await startHarness('production', {
      REDIS_QUORUM_NODES: nodes.map((n) => `redis://127.0.0.1:${n.port}`).join(','),
    })
    await h.listen()
  }, 60_000)
  afterAll(async () => {
    await h?.close()
    await Promise.all((nodes ?? []).map((n) => n.stop()))
  })

  it('closes the quorum clients on shutdown', async () => {
    const other = await startHarness('production', { REDIS_QUORUM_NODES: h.env.REDIS_QUORUM_NODES! })
    const clients = other.app.redis.quorum!
    expect(clients.map((c) => c.status)).toEqual(['ready', 'ready', 'ready'])
    await other.close()
    expect(clients.map((c) => c.status)).toEqual(['end', 'end', 'end'])
  })

  it('admission lives on the quorum nodes, not on REDIS_URL', async () => {
    const eventId = await createEvent(h.app, 10)
    expect((await reserve(h.url, eventId, 'q0')).status).toBe(201)
    for (const n of nodes) {
      const c = n.client()
      expect((await c.keys(`*${h.prefix}:lock*`)).length, `node ${n.port}`).toBeGreaterThan(0)
      c.disconnect()
    }
  })

  it('1 of 3 down: keeps selling; 2 of 3 down: 503 + Retry-After, nothing sold beyond MySQL', async () => {
    const total = 60
    const eventId = await createEvent(h.app, total)
    const before = await pool(10, 5, (i) => reserve(h.url, eventId, `a${i}`))
    expect(before.map((r) => r.status)).toEqual(Array(10).fill(201))

    await nodes[2]!.kill()
    const oneDown = await pool(20, 5, (i) => reserve(h.url, eventId, `b${i}`))
    // Concurrent GA holds on 2 live nodes can split the vote and answer 503 (retryable); most sell.
    const soldOneDown = oneDown.filter((r) => r.status === 201).length
    expect(soldOneDown, JSON.stringify(oneDown)).toBeGreaterThanOrEqual(15)
    for (const r of oneDown.filter((r) => r.status !== 201)) {
      expect(r.status).toBe(503)
      expect(r.retryAfter).toBeTruthy()
    }
    expect((await fetch(`${h.url}/api/health`)).status).toBe(200)
    await checkI1(h)

    await nodes[1]!.kill()
    const twoDown = await pool(20, 5, (i) => reserve(h.url, eventId, `c${i}`))
    for (const r of twoDown) {
      expect(r.status, JSON.stringify(r)).toBe(503)
      expect(r.code).toBe('SERVICE_UNAVAILABLE')
      expect(Number(r.retryAfter)).toBeGreaterThan(0)
    }
    // Readiness reports the lost quorum, so a load balancer takes the instance out.
    const health = await fetch(`${h.url}/api/health`)
    expect(health.status).toBe(503)
    expect(((await health.json()) as { redis: string }).redis).toBe('disconnected')

    // MySQL: exactly what was acknowledged, and not one seat more.
    const rows = await checkI1(h)
    const row = rows.find((r) => Number(r.id) === eventId)!
    expect(total - row.available_seats).toBe(10 + soldOneDown)
  })
})
