import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AccessLogEntry,
  createClientPool,
  freePort,
  type LoadBalancer,
  requireTool,
  type Spawned,
  sourceAddress,
  spawnServer,
  startFleet,
  startLoadBalancer,
  waitFor,
} from '../src/index.js'

const echoServer = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/echo-server.mjs')

interface Echo {
  pid: number
  port: number
  xForwardedFor: string | null
  xForwardedProto: string | null
  remoteAddress: string
  remotePort: number
}

function spawnEcho(port: number): Spawned {
  return spawnServer(process.execPath, [echoServer], { env: { ...process.env, PORT: String(port) } })
}

async function startEcho(): Promise<{ port: number; proc: Spawned }> {
  const port = await freePort()
  const proc = spawnEcho(port)
  await waitFor(`echo server on ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/api/health`)).ok)
  return { port, proc }
}

async function get(url: string): Promise<{ status: number; body: Echo }> {
  const res = await fetch(url)
  return { status: res.status, body: (await res.json()) as Echo }
}

/** Client connections open at the load balancer now (the frontend's `scur` in HAProxy's stats). */
async function frontendSessions(lb: LoadBalancer): Promise<number> {
  const [header, ...rows] = (await lb.runtime('show stat')).trim().split('\n')
  const columns = (header ?? '').replace(/^# /, '').split(',')
  const frontend = rows.map((r) => r.split(',')).find((r) => r[1] === 'FRONTEND')
  return Number(frontend?.[columns.indexOf('scur')] ?? 0)
}

describe('sourceAddress', () => {
  it('maps i to distinct loopback addresses, never .0, .255 or 127.0.0.1', () => {
    expect(sourceAddress(0)).toBe('127.0.0.2')
    expect(sourceAddress(252)).toBe('127.0.0.254')
    expect(sourceAddress(253)).toBe('127.0.1.1')
    const seen = new Set<string>()
    for (let i = 0; i < 70_000; i += 7) {
      const a = sourceAddress(i)
      const last = Number(a.split('.')[3])
      expect(last).toBeGreaterThanOrEqual(1)
      expect(last).toBeLessThanOrEqual(254)
      expect(a).not.toBe('127.0.0.1')
      seen.add(a)
    }
    expect(seen.size).toBe(10_000)
    expect(() => sourceAddress(-1)).toThrow(/integer/)
  })
})

describe('startLoadBalancer (HAProxy as the ALB)', () => {
  const backends: Array<{ port: number; proc: Spawned }> = []
  let lb: LoadBalancer

  beforeAll(async () => {
    backends.push(...(await Promise.all([startEcho(), startEcho(), startEcho()])))
    lb = await startLoadBalancer({
      backends: backends.map((b) => `127.0.0.1:${b.port}`),
      healthIntervalMs: 200,
    })
    await Promise.all(backends.map((_, i) => lb.waitForStatus(i, 'UP')))
  })

  afterAll(async () => {
    await lb?.stop()
    await Promise.all(backends.map((b) => b.proc.stop()))
    if (lb) expect(() => process.kill(lb.pid, 0)).toThrow()
  })

  it('a backend sees N distinct client addresses in X-Forwarded-For from N clients, round-robin', async () => {
    const pool = createClientPool({ count: 24 })
    try {
      const answers = await Promise.all(
        pool.clients.map(async (c) => (await (await c.fetch(`${lb.url}/who`)).json()) as Echo),
      )
      expect(answers.map((a) => a.xForwardedFor)).toEqual(pool.clients.map((c) => c.address))
      expect(new Set(answers.map((a) => a.xForwardedFor)).size).toBe(24)
      expect(answers.every((a) => a.xForwardedProto === 'http')).toBe(true)
      expect(new Set(answers.map((a) => a.pid))).toEqual(new Set(backends.map((b) => b.proc.pid)))
    } finally {
      await pool.close()
    }
  })

  it('appends the client address to an incoming X-Forwarded-For, as an ALB does', async () => {
    const pool = createClientPool({ count: 1, firstIndex: 500 })
    try {
      const [client] = pool.clients
      const res = await client!.fetch(`${lb.url}/who`, { headers: { 'x-forwarded-for': '203.0.113.7' } })
      expect(((await res.json()) as Echo).xForwardedFor).toBe(`203.0.113.7, ${client!.address}`)
    } finally {
      await pool.close()
    }
  })

  it('keeps connections to a backend alive (HTTP/1.1 keep-alive, not one connection per request)', async () => {
    const single = await startLoadBalancer({ backends: [{ port: backends[0]!.port }], healthIntervalMs: 200 })
    try {
      await single.waitForStatus(0, 'UP')
      const ports = new Set<number>()
      for (let i = 0; i < 20; i++) ports.add((await get(`${single.url}/who`)).body.remotePort)
      expect(ports.size).toBeLessThanOrEqual(3)
    } finally {
      await single.stop()
    }
  })

  it('keeps reusing backend connections while many client connections stay open (SSE streams)', async () => {
    // 30 slow requests hold 60 of HAProxy's ~140 file descriptors (maxconn 64): past a fifth of
    // them, HAProxy's defaults stop keeping idle backend connections (one per request instead).
    const single = await startLoadBalancer({
      backends: [{ port: backends[0]!.port }],
      healthIntervalMs: 200,
      maxConnections: 64,
    })
    const pool = createClientPool({ count: 30, firstIndex: 600 })
    try {
      await single.waitForStatus(0, 'UP')
      const held = pool.clients.map((c) => c.fetch(`${single.url}/slow?ms=3000`).then((r) => r.text()))
      await waitFor('30 client connections open', async () => (await frontendSessions(single)) >= 30)
      const ports = new Set<number>()
      for (let i = 0; i < 20; i++) ports.add((await get(`${single.url}/who`)).body.remotePort)
      expect(ports.size).toBeLessThanOrEqual(3)
      await Promise.all(held)
    } finally {
      await pool.close()
      await single.stop()
    }
  })

  it('takes a killed backend out after its health checks fail, and back after it restarts', async () => {
    const victim = backends[1]!
    await victim.proc.kill()
    await lb.waitForStatus(1, 'DOWN')
    const during = await Promise.all(Array.from({ length: 30 }, () => get(`${lb.url}/who`)))
    expect(during.every((r) => r.status === 200)).toBe(true)
    expect(during.some((r) => r.body.port === victim.port)).toBe(false)

    victim.proc = spawnEcho(victim.port)
    await lb.waitForStatus(1, 'UP')
    const after = await Promise.all(Array.from({ length: 30 }, () => get(`${lb.url}/who`)))
    expect(after.some((r) => r.body.pid === victim.proc.pid)).toBe(true)
  })

  it('takes out a backend whose health check answers 503', async () => {
    await fetch(`http://127.0.0.1:${backends[2]!.port}/unhealthy`)
    await lb.waitForStatus(2, 'DOWN')
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(`${lb.url}/who`)))
    expect(answers.some((r) => r.body.port === backends[2]!.port)).toBe(false)
    // Bring a healthy process back on that port for the tests after this one.
    await backends[2]!.proc.stop()
    backends[2]!.proc = spawnEcho(backends[2]!.port)
    await lb.waitForStatus(2, 'UP')
  })

  it('changes the backend set at run time, and disables / enables a slot', async () => {
    const extra = await startEcho()
    try {
      await lb.setBackends([`127.0.0.1:${extra.port}`])
      await lb.waitForStatus(0, 'UP')
      expect((await lb.status()).map((s) => s.address)).toEqual([`127.0.0.1:${extra.port}`])
      const only = await Promise.all(Array.from({ length: 10 }, () => get(`${lb.url}/who`)))
      expect(only.every((r) => r.body.port === extra.port)).toBe(true)

      await lb.disable(0)
      await lb.waitForStatus(0, 'MAINT')
      expect((await fetch(`${lb.url}/who`)).status).toBe(503)
      await lb.enable(0)
      await lb.waitForStatus(0, 'UP')
      expect((await fetch(`${lb.url}/who`)).status).toBe(200)

      await lb.setBackends(backends.map((b) => ({ port: b.port })))
      await Promise.all(backends.map((_, i) => lb.waitForStatus(i, 'UP')))
      const back = await Promise.all(Array.from({ length: 12 }, () => get(`${lb.url}/who`)))
      expect(new Set(back.map((r) => r.body.port))).toEqual(new Set(backends.map((b) => b.port)))
    } finally {
      await extra.proc.stop()
    }
  })

  it('says which Debian package to install when a program is missing', () => {
    expect(requireTool('haproxy', 'haproxy')).toMatch(/haproxy$/)
    expect(() => requireTool('testkit-no-such-program', 'some-package')).toThrow(
      /testkit-no-such-program is not installed\. Install Debian's package: apt-get install -y some-package/,
    )
  })

  it('rejects a bad slot or backend with a clear message', async () => {
    await expect(lb.disable(99)).rejects.toThrow(/slot 99 does not exist/)
    await expect(startLoadBalancer({ backends: ['nonsense'] })).rejects.toThrow(/host:port/)
  })
})

describe('startLoadBalancer access log', () => {
  it('reports each request of the chosen methods with the backend time (ALB TargetResponseTime)', async () => {
    const backend = await startEcho()
    const entries: AccessLogEntry[] = []
    const lb = await startLoadBalancer({
      backends: [`127.0.0.1:${backend.port}`],
      healthIntervalMs: 200,
      accessLog: { methods: ['post'], paths: ['/slow', '/fast'], onEntry: (entry) => entries.push(entry) },
    })
    try {
      await lb.waitForStatus(0, 'UP')
      expect((await fetch(`${lb.url}/slow?ms=150`, { method: 'POST' })).status).toBe(200)
      expect((await fetch(`${lb.url}/other`, { method: 'POST' })).status).toBe(200)
      expect((await fetch(`${lb.url}/slow?ms=10`)).status).toBe(200)
      expect((await fetch(`${lb.url}/fast`, { method: 'POST' })).status).toBe(200)
      await waitFor('two access-log entries', async () => entries.length >= 2)
      // The GET and the other path are silenced; health checks are never logged.
      expect(entries.map((e) => `${e.method} ${e.path} ${e.status} ${e.server}`)).toEqual([
        'POST /slow 200 s1',
        'POST /fast 200 s1',
      ])
      expect(entries[0]!.backendMs).toBeGreaterThanOrEqual(140)
      expect(entries[0]!.totalMs).toBeGreaterThanOrEqual(entries[0]!.backendMs)
      expect(entries[1]!.backendMs).toBeLessThan(140)
    } finally {
      await lb.stop()
      await backend.proc.stop()
    }
  })

  it('rejects a method or a path that is not one', async () => {
    await expect(
      startLoadBalancer({ backends: [{ port: 1 }], accessLog: { methods: ['GET }'], onEntry: () => {} } }),
    ).rejects.toThrow(/HTTP methods/)
    await expect(
      startLoadBalancer({ backends: [{ port: 1 }], accessLog: { paths: ['/a }'], onEntry: () => {} } }),
    ).rejects.toThrow(/paths/)
  })
})

describe('startLoadBalancer edge cache (CloudFront in front of the ALB)', () => {
  let backend: { port: number; proc: Spawned }
  let lb: LoadBalancer
  const entries: AccessLogEntry[] = []

  beforeAll(async () => {
    backend = await startEcho()
    lb = await startLoadBalancer({
      backends: [`127.0.0.1:${backend.port}`],
      healthIntervalMs: 200,
      cache: { paths: ['^/cacheable$'] },
      accessLog: { paths: ['/cacheable'], onEntry: (entry) => entries.push(entry) },
    })
    await lb.waitForStatus(0, 'UP')
  })

  afterAll(async () => {
    await lb?.stop()
    await backend?.proc.stop()
  })

  /** How many requests for `url` (path and query) reached the instance. */
  async function instanceHits(url: string): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${backend.port}/hits?url=${encodeURIComponent(url)}`)
    return ((await res.json()) as { hits: number }).hits
  }

  /** Sends `count` GETs for `url` one after the other, within a second; returns `instanceHits(url)`. */
  async function burst(url: string, count: number, init?: RequestInit): Promise<number> {
    const start = Date.now()
    for (let i = 0; i < count; i++) {
      const res = await fetch(`${lb.url}${url}`, init)
      expect(res.status).toBe(200)
      await res.arrayBuffer()
    }
    expect(Date.now() - start).toBeLessThan(1000)
    return instanceHits(url)
  }

  it('answers requests within a second from the cache: the instance sees one (two across a second boundary)', async () => {
    entries.length = 0
    const hits = await burst('/cacheable?t=burst', 20)
    expect(hits).toBeGreaterThanOrEqual(1)
    expect(hits).toBeLessThanOrEqual(2)
    // The access log still sees every request; those answered from the cache name no server.
    await waitFor('20 access-log entries', async () => entries.length >= 20)
    const fromCache = entries.filter((e) => e.server === '<CACHE>')
    expect(fromCache).toHaveLength(20 - hits)
    expect(fromCache.every((e) => e.status === 200 && e.backendMs === 0)).toBe(true)
  })

  it('asks the instance again once max-age has passed, maxAgeSeconds bounding what the instance allows', async () => {
    const own = '/cacheable?t=expiry'
    const longer = `/cacheable?t=expiry&cc=${encodeURIComponent('public, max-age=60')}`
    const before = [await burst(own, 5), await burst(longer, 5)]
    expect(Math.max(...before)).toBeLessThanOrEqual(2)
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const after = [await burst(own, 5), await burst(longer, 5)]
    for (const [i, hits] of after.entries()) {
      expect(hits).toBeGreaterThanOrEqual(before[i]! + 1)
      expect(hits).toBeLessThanOrEqual(before[i]! + 2)
    }
  })

  it('never caches a path not in paths, whatever its Cache-Control says', async () => {
    expect(await burst('/cacheable-elsewhere', 10)).toBe(10)
  })

  it('never serves from the cache a response with cache-control: no-store', async () => {
    expect(await burst('/cacheable?cc=no-store', 10)).toBe(10)
  })

  it('never answers a request with an Authorization header from the cache; stores its answer only if public', async () => {
    const bearer = { headers: { authorization: 'Bearer buyer' } }
    const shared = '/cacheable?t=authorization'
    expect(await burst(shared, 10, bearer)).toBe(10)
    // `public` lets a shared cache reuse an answer to an authorized request (RFC 9111, 3.5).
    expect(await burst(shared, 10)).toBeLessThanOrEqual(11)
    const unshared = `/cacheable?t=authorization&cc=${encodeURIComponent('max-age=1')}`
    expect(await burst(unshared, 10, bearer)).toBe(10)
    const hits = await burst(unshared, 10)
    expect(hits).toBeGreaterThanOrEqual(11)
    expect(hits).toBeLessThanOrEqual(12)
  })

  it('rejects cache paths HAProxy could misread and out-of-range sizes', async () => {
    for (const paths of [[], ['^/a b$'], ['^/a{2}$'], ["^/a'"]]) {
      await expect(startLoadBalancer({ backends: [{ port: 1 }], cache: { paths } })).rejects.toThrow(
        /^startLoadBalancer: cache\.paths must be path regexes/,
      )
    }
    await expect(
      startLoadBalancer({ backends: [{ port: 1 }], cache: { paths: ['^/a$'], maxAgeSeconds: 0.5 } }),
    ).rejects.toThrow(/^startLoadBalancer: cache\.maxAgeSeconds/)
    await expect(
      startLoadBalancer({ backends: [{ port: 1 }], cache: { paths: ['^/a$'], maxSizeMb: 4096 } }),
    ).rejects.toThrow(/^startLoadBalancer: cache\.maxSizeMb/)
    await expect(startLoadBalancer({ backends: [{ port: 1 }], cache: { paths: ['^/a('] } })).rejects.toThrow(
      /^startLoadBalancer: [\s\S]*regex '\^\/a\(' is invalid/,
    )
  })
})

describe('startFleet', () => {
  it('starts N instances behind the load balancer; kill, restart and replace one; stops all by pid', async () => {
    const fleet = await startFleet({
      instances: 3,
      spawn: (_i, env) => spawnServer(process.execPath, [echoServer], { env: { ...process.env, ...env } }),
      loadBalancer: { healthIntervalMs: 200 },
    })
    const pids = () => fleet.instances.map((i) => i.pid)
    const started = [...pids(), fleet.loadBalancer.pid]
    try {
      const seen = await Promise.all(Array.from({ length: 9 }, () => get(`${fleet.url}/who`)))
      expect(new Set(seen.map((r) => r.body.pid))).toEqual(new Set(pids()))

      const first = fleet.instances[0]!
      await first.kill()
      expect(first.alive()).toBe(false)
      await fleet.loadBalancer.waitForStatus(0, 'DOWN')
      const during = await Promise.all(Array.from({ length: 12 }, () => get(`${fleet.url}/who`)))
      expect(during.every((r) => r.status === 200 && r.body.pid !== first.pid)).toBe(true)

      await first.restart()
      await fleet.loadBalancer.waitForStatus(0, 'UP')
      started.push(first.pid)

      const oldPort = fleet.instances[1]!.port
      await fleet.instances[1]!.replace()
      expect(fleet.instances[1]!.port).not.toBe(oldPort)
      started.push(fleet.instances[1]!.pid)
      await fleet.loadBalancer.waitForStatus(1, 'UP')
      const after = await Promise.all(Array.from({ length: 12 }, () => get(`${fleet.url}/who`)))
      expect(new Set(after.map((r) => r.body.pid))).toEqual(new Set(pids()))
    } finally {
      await fleet.stop()
    }
    for (const pid of started) expect(() => process.kill(pid, 0)).toThrow()
  })

  it('stops what it started when an instance cannot start', async () => {
    const spawned: Spawned[] = []
    await expect(
      startFleet({
        instances: 2,
        startFirstAlone: false,
        startTimeoutMs: 5000,
        spawn: (i, env) => {
          const proc =
            i === 0
              ? spawnServer(process.execPath, [echoServer], { env: { ...process.env, ...env } })
              : spawnServer(process.execPath, ['-e', 'process.exit(3)'])
          spawned.push(proc)
          return proc
        },
      }),
    ).rejects.toThrow(/instance 1 on port \d+ exited during start-up/)
    for (const proc of spawned) expect(() => process.kill(proc.pid, 0)).toThrow()
  })
})
