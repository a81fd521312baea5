// The seed's own load tests, run as its guide runs them, with its own tools and files
// (test/fixtures/seed, copied verbatim): `ab -n 100 -c 100 -p reservation.json -T
// application/json` and `python3 concurrent_test.py` (1,000 buyers, 100 threads). The API is
// `node dist/server.js` in its default configuration: only AUTH_MODE=none, as the seed's API is
// open; default rate limits, load shedding and deadlines. Once against one instance directly,
// once through HAProxy playing the ALB in front of two instances (TRUST_PROXY=1, as the deploy
// stack sets it), and once in embedded mode (`npm start`, no database).
//
// Event 1 (the id both seed files use) gets 600 seats: ab's 100 buyers all succeed; the script's
// 1,000 buyers take the other 500 and the rest are told SOLD_OUT; ab again on the sold-out event
// is refused 100 times (the guide: "successes only as many as seats, failures are stock errors").
// Any 429 or 5xx fails the test: the seed's tests must pass against the shipping defaults.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  createTestDatabase,
  type Fleet,
  freePort,
  requireTool,
  type Spawned,
  sharedRedisUrl,
  spawnServer,
  startFleet,
  type TestDatabase,
  uniquePrefix,
  waitForProcess,
} from '@ticketing/testkit'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteRedisPrefix, serverEntry } from './helpers.js'

const exec = promisify(execFile)
const SEED = join(import.meta.dirname, 'fixtures/seed')
const OBSERVER = join(import.meta.dirname, 'fixtures/seed-observer')
/** The URL concurrent_test.py hard-codes (`ALB_DNS = "your-alb-dns.amazonaws.com"`). */
const SEED_URL = 'http://your-alb-dns.amazonaws.com/api/reservations'
const SEATS = 600

type Topology = 'embedded, one instance' | 'production, one instance' | 'production, behind the load balancer'
const TOPOLOGIES: Topology[] = [
  'embedded, one instance',
  'production, one instance',
  'production, behind the load balancer',
]

/** Starts `node dist/server.js` with `env` on a free port and waits for its health check. */
async function startInstance(env: Record<string, string>): Promise<{ proc: Spawned; url: string }> {
  const port = await freePort()
  const proc = spawnServer(process.execPath, [serverEntry], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
  })
  const url = `http://127.0.0.1:${port}`
  await waitForProcess(proc, 'the API', async () => (await fetch(`${url}/api/health`)).status === 200, 60_000)
  return { proc, url }
}

interface AbResult {
  complete: number
  failed: number
  non2xx: number
  output: string
}

/** The guide's `ab -n 100 -c 100 -p reservation.json -T application/json http://$ALB_DNS/api/reservations`. */
async function runAb(baseUrl: string): Promise<AbResult> {
  const ab = requireTool('ab', 'apache2-utils')
  const args = ['-n', '100', '-c', '100', '-p', 'reservation.json', '-T', 'application/json']
  const { stdout } = await exec(ab, [...args, `${baseUrl}/api/reservations`], { cwd: SEED, timeout: 60_000 })
  const count = (label: string) => Number(stdout.match(new RegExp(`${label}:\\s+(\\d+)`))?.[1] ?? 0)
  return {
    complete: count('Complete requests'),
    failed: count('Failed requests'),
    // ab prints this line only when some answers were not 2xx.
    non2xx: count('Non-2xx responses'),
    output: stdout,
  }
}

interface Answer {
  url: string
  status?: number
  exception?: string
  // biome-ignore lint/suspicious/noExplicitAny: the API's envelope, asserted field by field
  body?: { success: boolean; data?: any; error?: any }
}

/**
 * The guide's `python3 concurrent_test.py`, unchanged. Its URL is hard-coded, so it reaches
 * `target` through HTTP_PROXY (requests then sends the seed's absolute URL as the request
 * target, which the API and HAProxy route by its path), and the observer on PYTHONPATH records
 * every answer (the script prints only its count of 200s; the API answers 201 Created).
 */
async function runConcurrentTest(target: string): Promise<{ answers: Answer[]; stdout: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'seed-'))
  const record = join(dir, 'answers.jsonl')
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of ['no_proxy', 'NO_PROXY', 'all_proxy', 'ALL_PROXY', 'https_proxy', 'HTTPS_PROXY']) {
    delete env[name]
  }
  Object.assign(env, {
    http_proxy: target,
    HTTP_PROXY: target,
    PYTHONPATH: [OBSERVER, process.env.PYTHONPATH].filter(Boolean).join(':'),
    SEED_RECORD: record,
    PYTHONIOENCODING: 'utf-8',
  })
  try {
    const python = requireTool('python3', 'python3-requests')
    const { stdout } = await exec(python, ['concurrent_test.py'], { cwd: SEED, env, timeout: 120_000 })
    const lines = (await readFile(record, 'utf8')).trim().split('\n')
    return { answers: lines.map((line) => JSON.parse(line) as Answer), stdout }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe.each(TOPOLOGIES)('the seed’s ab and concurrent_test.py, verbatim (%s)', (topology) => {
  let db: TestDatabase | undefined
  let prefix: string | undefined
  let sql: mysql.Pool | undefined
  let fleet: Fleet | undefined
  let single: Spawned | undefined
  /** Where ab and the script send their requests: the instance, or the load balancer. */
  let target = ''
  const sold: Answer[] = []

  beforeAll(async () => {
    // The only change to the production defaults: the seed's API is open (no JWT).
    const env: Record<string, string> = { AUTH_MODE: 'none' }
    if (topology !== 'embedded, one instance') {
      db = await createTestDatabase(undefined, 'seed')
      prefix = uniquePrefix('seed')
      // A fresh database (so the guide's event 1 is ours) and our own keys in the shared Redis.
      Object.assign(env, { DATABASE_URL: db.url, REDIS_URL: sharedRedisUrl, REDIS_KEY_PREFIX: prefix })
      sql = mysql.createPool({ uri: db.url, connectionLimit: 2 })
    }
    if (topology === 'production, behind the load balancer') {
      // One hop: HAProxy appends the client's address to X-Forwarded-For, as the ALB does.
      Object.assign(env, { TRUST_PROXY: '1' })
      fleet = await startFleet({
        instances: 2,
        spawn: (_i, where) =>
          spawnServer(process.execPath, [serverEntry], { env: { ...process.env, ...env, ...where } }),
      })
      target = fleet.url
    } else {
      const started = await startInstance(env)
      single = started.proc
      target = started.url
    }
  }, 120_000)

  afterAll(async () => {
    await fleet?.stop()
    await single?.stop()
    await sql?.end()
    if (prefix) await deleteRedisPrefix(prefix)
    await db?.drop()
  })

  it('creates event 1 as the guide does (POST /api/events)', async () => {
    const res = await fetch(`${target}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ eventName: 'IU 콘서트', totalSeats: SEATS, eventDate: '2024-12-31T19:00:00' }),
    })
    expect(res.status).toBe(201)
    expect(((await res.json()) as { data: { eventId: number } }).data.eventId).toBe(1)
  })

  it('ab -n 100 -c 100 -p reservation.json: 100 × 2xx while seats remain', async () => {
    const ab = await runAb(target)
    expect(ab.complete, ab.output).toBe(100)
    expect(ab.failed, ab.output).toBe(0)
    expect(ab.non2xx, ab.output).toBe(0)
  }, 60_000)

  it('python3 concurrent_test.py: the other 500 seats sold, 500 × SOLD_OUT, no 429, no 5xx', async () => {
    const started = performance.now()
    const { answers, stdout } = await runConcurrentTest(target)
    const seconds = (performance.now() - started) / 1000
    console.log(`[${topology}] concurrent_test.py in ${seconds.toFixed(1)} s:\n${stdout.trim()}`)
    // The script ran to its end over all 1,000 answers ("성공" counts only 200s, see above).
    const printed = (label: string) => Number(stdout.match(new RegExp(`${label}: (\\d+)건`))?.[1])
    expect(printed('성공') + printed('실패')).toBe(1000)
    expect(answers).toHaveLength(1000)
    // Every request left with the seed's own URL (the script is unchanged) and got an answer.
    expect(answers.filter((a) => a.url !== SEED_URL || a.status === undefined)).toEqual([])
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([201, 409]))
    sold.push(...answers.filter((a) => a.status === 201))
    expect(sold).toHaveLength(SEATS - 100)
    const refused = answers.filter((a) => a.status === 409)
    expect(refused.filter((a) => a.body?.error?.code !== 'SOLD_OUT')).toEqual([])
    // One seat per buyer: 500 distinct buyers, 500 distinct reservations, all for event 1.
    expect(new Set(sold.map((a) => a.body!.data.userId)).size).toBe(SEATS - 100)
    expect(new Set(sold.map((a) => a.body!.data.reservationId)).size).toBe(SEATS - 100)
    expect(sold.every((a) => a.body!.data.eventId === 1 && a.body!.data.quantity === 1)).toBe(true)
  }, 120_000)

  it('ab again on the sold-out event: 100 refusals, nothing more sold', async () => {
    const ab = await runAb(target)
    expect(ab.complete, ab.output).toBe(100)
    expect(ab.non2xx, ab.output).toBe(100)
    const res = await fetch(`${target}/api/events/1`)
    const event = ((await res.json()) as { data: { totalSeats: number; availableSeats: number } }).data
    expect(event).toMatchObject({ totalSeats: SEATS, availableSeats: 0 })
  }, 60_000)

  it.skipIf(topology === 'embedded, one instance')(
    'in MySQL: exactly 600 rows, each 2xx answer a committed row, no oversell (I1, I3)',
    async () => {
      const [[event]] = (await sql!.query(
        `SELECT total_seats, available_seats,
           (SELECT SUM(quantity) FROM reservations WHERE event_id = 1 AND status = 'CONFIRMED') AS sold
         FROM events WHERE id = 1`,
      )) as unknown as [{ total_seats: number; available_seats: number; sold: string }[]]
      expect(event).toEqual({ total_seats: SEATS, available_seats: 0, sold: String(SEATS) })
      const [rows] = (await sql!.query(
        'SELECT id, user_id FROM reservations WHERE event_id = 1',
      )) as unknown as [{ id: string; user_id: string }[]]
      expect(rows).toHaveLength(SEATS)
      expect(rows.filter((r) => r.user_id === 'loadtest')).toHaveLength(100)
      const ids = new Set(rows.map((r) => r.id))
      expect(sold.filter((a) => !ids.has(a.body!.data.reservationId))).toEqual([])
    },
  )
})
