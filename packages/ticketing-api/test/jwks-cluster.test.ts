// Less common deployments: tokens verified against a JWKS URL (RS256, get-jwks), and Redis
// Cluster (REDIS_CLUSTER_NODES) under the production composition.
import { generateKeyPairSync, sign as rsaSign } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { type RedisClusterHandle, startRedisCluster } from '@ticketing/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkI1, createEvent, type Harness, pool, startHarness } from './helpers.js'

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')

describe('AUTH_MODE=jwt with JWKS_URL (RS256)', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const kid = 'test-key-1'
  let jwksServer: Server
  let issuer: string
  let h: Harness
  const token = (claims: Record<string, unknown>) => {
    const now = Math.floor(Date.now() / 1000)
    const body = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64({ iss: issuer, iat: now, exp: now + 60, ...claims })}`
    return `${body}.${rsaSign('sha256', Buffer.from(body), privateKey).toString('base64url')}`
  }

  beforeAll(async () => {
    jwksServer = createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json') return res.writeHead(404).end()
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] }),
      )
    })
    jwksServer.listen(0, '127.0.0.1')
    await once(jwksServer, 'listening')
    const { port } = jwksServer.address() as { port: number }
    issuer = `http://127.0.0.1:${port}`
    h = await startHarness('embedded', {
      AUTH_MODE: 'jwt',
      JWKS_URL: `${issuer}/.well-known/jwks.json`,
      JWT_ISSUER: issuer,
      JWT_ADMIN_CLAIM: 'scope=tickets:admin',
    })
  })
  afterAll(async () => {
    await h?.close()
    jwksServer?.close()
  })

  it('accepts tokens signed by a key of the JWKS, with the admin scope for events', async () => {
    const admin = { authorization: `Bearer ${token({ sub: 'ops', scope: 'openid tickets:admin' })}` }
    const ev = await h.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: admin,
      payload: { eventName: 'JWKS', totalSeats: 5, eventDate: '2024-12-31T19:00:00' },
    })
    expect(ev.statusCode).toBe(201)
    const buyer = { authorization: `Bearer ${token({ sub: 'bob', scope: 'openid' })}` }
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: buyer,
      payload: { eventId: ev.json().data.eventId, userId: 'bob', quantity: 1 },
    })
    expect(r.statusCode).toBe(201)
    const notAdmin = await h.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: buyer,
      payload: { eventName: 'x', totalSeats: 5, eventDate: '2024-12-31T19:00:00' },
    })
    expect(notAdmin.statusCode).toBe(403)
  })

  it('rejects a token from another issuer or signed by an unknown key', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    const now = Math.floor(Date.now() / 1000)
    const body = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64({ iss: issuer, sub: 'eve', iat: now, exp: now + 60 })}`
    const forged = `${body}.${rsaSign('sha256', Buffer.from(body), other).toString('base64url')}`
    const wrongIss = token({ sub: 'eve', iss: 'https://evil.example' })
    for (const t of [forged, wrongIss]) {
      const res = await h.app.inject({
        method: 'GET',
        url: '/api/reservations/user/eve',
        headers: { authorization: `Bearer ${t}` },
      })
      expect(res.statusCode).toBe(401)
      expect(res.json().error.code).toBe('UNAUTHORIZED')
    }
  })
})

describe('production on Redis Cluster (REDIS_CLUSTER_NODES)', () => {
  let cluster: RedisClusterHandle
  let h: Harness
  beforeAll(async () => {
    cluster = await startRedisCluster(3)
    h = await startHarness('production', {
      REDIS_URL: '',
      REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
      RATE_LIMIT_MAX: '1000',
    })
  })
  afterAll(async () => {
    await h?.close()
    await cluster?.stop()
  })

  it('sells exactly the seats of several events, concurrently', async () => {
    const events = await Promise.all([createEvent(h.app, 30), createEvent(h.app, 20), createEvent(h.app, 10)])
    const results = await pool(150, 30, (i) =>
      h.app.inject({
        method: 'POST',
        url: '/api/reservations',
        payload: { eventId: events[i % 3], userId: `c${i}`, quantity: 1 },
      }),
    )
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(60)
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(90)
    await checkI1(h)
    const e = await h.app.inject({ method: 'GET', url: `/api/events/${events[0]}` })
    expect(e.json().data.availableSeats).toBe(0)
  })
})
