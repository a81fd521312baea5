import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.js'

describe('config', () => {
  it('defaults to embedded mode, no auth, port 8080', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({ mode: 'embedded', port: 8080, host: '0.0.0.0', auth: { mode: 'none' } })
    expect(c.rateLimit.enabled).toBe(false)
  })

  it('production needs both DATABASE_URL and REDIS_URL', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root@db/x' })).toThrow(/REDIS_URL.*is not/)
    expect(() => loadConfig({ REDIS_URL: 'redis://r:6379' })).toThrow(/DATABASE_URL is not/)
  })

  it('production defaults to AUTH_MODE=jwt and refuses to start without a key', () => {
    const env = { DATABASE_URL: 'mysql://root@db/x', REDIS_URL: 'rediss://r:6379' }
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(/JWT_SECRET.*JWKS_URL/)
    const c = loadConfig({ ...env, JWT_SECRET: 'a-very-long-test-secret' })
    expect(c.mode).toBe('production')
    expect(c.auth).toMatchObject({ mode: 'jwt', admin: { claim: 'role', value: 'admin' } })
    expect(c.rateLimit).toMatchObject({
      enabled: true,
      perBuyer: { reads: 600, attempts: 120, admin: 600 },
      addressFactor: 50,
    })
    expect(c.trustProxy).toBe(false)
    expect(loadConfig({ ...env, AUTH_MODE: 'none' }).auth.mode).toBe('none')
  })

  it('parses cluster nodes, numbers and the admin claim; rejects bad values naming the variable', () => {
    const c = loadConfig({
      DATABASE_URL: 'mysql://root@db/x',
      REDIS_CLUSTER_NODES: 'a:7000,b:7001',
      JWT_SECRET: 'a-very-long-test-secret',
      JWT_ADMIN_CLAIM: 'scope=tickets:admin',
      PORT: '9000',
      RATE_LIMIT_MAX: '0',
      MAX_TICKETS_PER_USER: '4',
    })
    expect(c.redis?.clusterNodes).toEqual([
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
    ])
    expect(c.auth).toMatchObject({ admin: { claim: 'scope', value: 'tickets:admin' } })
    expect(c).toMatchObject({ port: 9000, maxTicketsPerUser: 4, rateLimit: { enabled: false } })
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/)
    // Embedded data lives in one process: two workers would each sell the same seats.
    expect(() => loadConfig({ WORKERS: '2' })).toThrow(/WORKERS > 1 needs production mode/)
    expect(() => loadConfig({ WORKERS: '0' })).toThrow(/WORKERS/)
    expect(loadConfig({}).workers).toBe(1)
    expect(() => loadConfig({ REDIS_URL: 'http://x', DATABASE_URL: 'mysql://x/y' })).toThrow(/REDIS_URL/)
    expect(() => loadConfig({ AUTH_MODE: 'basic' })).toThrow(/AUTH_MODE/)
    expect(() => loadConfig({ AUTH_MODE: 'jwt', JWKS_URL: 'https://idp/jwks.json' })).toThrow(/JWT_ISSUER/)
  })

  it('parses TRUST_PROXY as a hop count, true/false, or addresses and CIDRs', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1)
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true)
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/16, 127.0.0.1' }).trustProxy).toEqual([
      '10.0.0.0/16',
      '127.0.0.1',
    ])
    expect(() => loadConfig({ TRUST_PROXY: 'the alb' })).toThrow(/TRUST_PROXY/)
  })

  it('WAITING_ROOM_SECRET: >= 32 characters; else derived from JWT_SECRET; else per process', () => {
    expect(() => loadConfig({ WAITING_ROOM_SECRET: 'too-short-test' })).toThrow(/WAITING_ROOM_SECRET/)
    const given = 'waiting-room-test-secret-0123456789'
    expect(loadConfig({ WAITING_ROOM_SECRET: given }).waitingRoom).toEqual({ secret: given, shared: true })
    const jwt = { AUTH_MODE: 'jwt', JWT_SECRET: 'jwt-test-secret-long-enough' }
    const derived = loadConfig(jwt).waitingRoom
    // The same on every instance with that JWT_SECRET, and not the JWT key itself.
    expect(derived).toEqual(loadConfig(jwt).waitingRoom)
    expect(derived.shared).toBe(true)
    expect(derived.secret).not.toBe(jwt.JWT_SECRET)
    const own = loadConfig({}).waitingRoom
    expect(own.shared).toBe(false)
    expect(own.secret).not.toBe(loadConfig({}).waitingRoom.secret)
  })
})
