// Rate limits at their production defaults protect without refusing buyers (I5): a flash crowd
// of 1,000 buyers — each with their own token, or all behind one address (a carrier NAT) — gets
// seats or a truthful SOLD_OUT and never a 429, while one client far over a human's pace is
// limited. Behind a proxy the client address counts only when TRUST_PROXY says to believe it.
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEvent, type Harness, pool, startHarness } from './helpers.js'

const SECRET = 'rate-limit-test-secret-0123456789'

/** A minimal HS256 JWT, signed here so the test does not trust the code under test to sign. */
function sign(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iat: Math.floor(Date.now() / 1000), ...claims })}`
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`
}

const admin = () => ({ authorization: `Bearer ${sign({ sub: 'admin', role: 'admin' })}` })

const statuses = (list: number[]) =>
  list.reduce<Record<number, number>>((m, s) => {
    m[s] = (m[s] ?? 0) + 1
    return m
  }, {})

describe('rate limits at their defaults (production, JWT on)', () => {
  let h: Harness
  beforeAll(async () => {
    // JWT on, default limits; the proxy in front is one hop (as the ALB is).
    h = await startHarness('production', { AUTH_MODE: 'jwt', JWT_SECRET: SECRET, TRUST_PROXY: '1' })
  })
  afterAll(async () => h?.close())

  const reserve = (eventId: number, userId: string, extra: { ip?: string; xff?: string } = {}) =>
    h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      remoteAddress: extra.ip ?? '127.0.0.1',
      headers: {
        authorization: `Bearer ${sign({ sub: userId })}`,
        ...(extra.xff ? { 'x-forwarded-for': extra.xff } : {}),
      },
      payload: { eventId, userId, quantity: 1 },
    })

  it('1,000 buyers behind one address (a carrier NAT): a seat or SOLD_OUT each, no 429', async () => {
    const eventId = await createEvent(h.app, 700, {}, admin())
    const codes = await pool(
      1000,
      50,
      async (i) => (await reserve(eventId, `nat-${i}`, { xff: '203.0.113.7' })).statusCode,
    )
    expect(statuses(codes)).toEqual({ 201: 700, 409: 300 })
  })

  it('1,000 buyers from 1,000 addresses through the proxy: no 429 either', async () => {
    const eventId = await createEvent(h.app, 1000, {}, admin())
    const codes = await pool(
      1000,
      50,
      async (i) => (await reserve(eventId, `far-${i}`, { xff: `198.51.${i >> 8}.${i & 255}` })).statusCode,
    )
    expect(statuses(codes)).toEqual({ 201: 1000 })
  })

  it('one buyer hammering far over a human pace is limited, with Retry-After; others are not', async () => {
    const eventId = await createEvent(h.app, 10, {}, admin())
    const codes = await pool(300, 20, async () => (await reserve(eventId, 'hammer')).statusCode)
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(300 - 120)
    const limited = await reserve(eventId, 'hammer')
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['retry-after']).toBeDefined()
    expect(limited.json().error.code).toBe('RATE_LIMITED')
    expect((await reserve(eventId, 'patient')).statusCode).not.toBe(429)
  })

  it('counts unauthenticated reads per client address: the one the trusted proxy saw', async () => {
    const get = (xff: string) =>
      h.app.inject({
        method: 'GET',
        url: '/api/events',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': xff },
      })
    const first = await get('192.0.2.1')
    const budget = Number(first.headers['x-ratelimit-limit'])
    expect(budget).toBe(600 * 50)
    expect(Number(first.headers['x-ratelimit-remaining'])).toBe(budget - 1)
    // Another client behind the same proxy has its own bucket.
    expect(Number((await get('192.0.2.2')).headers['x-ratelimit-remaining'])).toBe(budget - 1)
    expect(Number((await get('192.0.2.1')).headers['x-ratelimit-remaining'])).toBe(budget - 2)
  })
})

describe('without TRUST_PROXY, X-Forwarded-For is not believed', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness('production', { RATE_LIMIT_READS: '2', RATE_LIMIT_ADDRESS_FACTOR: '1' })
  })
  afterAll(async () => h?.close())

  it('a client cannot escape its bucket by claiming other addresses', async () => {
    const codes = []
    for (let i = 0; i < 3; i++) {
      const r = await h.app.inject({
        method: 'GET',
        url: '/api/events',
        headers: { 'x-forwarded-for': `10.9.9.${i}` },
      })
      codes.push(r.statusCode)
    }
    expect(codes).toEqual([200, 200, 429])
  })
})
