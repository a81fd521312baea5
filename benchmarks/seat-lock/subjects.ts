/**
 * The subjects the seat-lock benchmarks compare, all on the same ioredis client and the same
 * Redis server, each acquiring and then releasing a hold of N named seats:
 * - seat-lock: holdSeats + release (one EVALSHA each; all-or-nothing, owner, fencing token);
 * - redlock 5.0.0-beta.2 with that one client: acquire + release (one EVALSHA each);
 * - redis-semaphore: Mutex (SET NX PX + Lua release); it has no multi-key mutex, so N seats are
 *   N mutexes taken one by one in sorted order (N round trips, not atomic);
 * - raw: the floor — N = 1: SET NX PX + owner-checked DEL in Lua; N > 1: one Lua all-or-nothing
 *   SET NX PX of every key + one owner-checked Lua DEL (what any correct multi-seat hold needs).
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { realpathSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { createSeatLock } from '@ticketing/seat-lock'
import { Redis } from 'ioredis'
import { Mutex } from 'redis-semaphore'
import Redlock from 'redlock'
import { Bench } from 'tinybench'

const TTL = 10_000

export interface Subject {
  name: string
  /** Acquire + release of a hold on `seats`. */
  run(seats: string[]): Promise<void>
}

const RAW_ACQUIRE = `
for i, key in ipairs(KEYS) do if redis.call('EXISTS', key) == 1 then return 0 end end
for i, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'PX', ARGV[2]) end
return 1`
const RAW_RELEASE = `
local n = 0
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key); n = n + 1 end
end
return n`

export function subjects(client: Redis, tag: string): Subject[] {
  const lock = createSeatLock({ redis: client, prefix: `bench-sl-${tag}` })
  const redlock = new Redlock([client], { retryCount: 0 })
  client.defineCommand('rawAcquire', { lua: RAW_ACQUIRE })
  client.defineCommand('rawRelease', { lua: RAW_RELEASE })
  const raw = client as Redis & {
    rawAcquire(n: number, ...args: (string | number)[]): Promise<number>
    rawRelease(n: number, ...args: (string | number)[]): Promise<number>
  }
  const key = (p: string, s: string) => `{bench-${p}-${tag}}:${s}`
  return [
    {
      name: 'seat-lock',
      async run(seats) {
        const hold = await lock.holdSeats({ eventId: 'bench', seats, owner: 'o', ttlMs: TTL })
        await lock.release(hold.id, 'o')
      },
    },
    {
      name: 'redlock',
      async run(seats) {
        const l = await redlock.acquire(
          seats.map((s) => key('rl', s)),
          TTL,
        )
        await l.release()
      },
    },
    {
      name: 'redis-semaphore',
      async run(seats) {
        const mutexes = [...seats].sort().map(
          (s) =>
            new Mutex(client, key('rs', s), {
              lockTimeout: TTL,
              acquireAttemptsLimit: 1,
              refreshInterval: 0,
            }),
        )
        for (const m of mutexes) if (!(await m.tryAcquire())) throw new Error('contended')
        for (const m of mutexes) await m.release()
      },
    },
    {
      name: 'raw',
      async run(seats) {
        const id = randomUUID()
        const keys = seats.map((s) => key('raw', s))
        if (keys.length === 1) {
          if ((await client.set(keys[0]!, id, 'PX', TTL, 'NX')) !== 'OK') throw new Error('contended')
        } else if ((await raw.rawAcquire(keys.length, ...keys, id, TTL)) !== 1) throw new Error('contended')
        await raw.rawRelease(keys.length, ...keys, id)
      },
    },
  ]
}

export interface Row {
  scenario: string
  subject: string
  medianUs: number
  opsPerSec: number
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Runs the tasks in several rounds with rotating order (noisy 2-core box), medians of p50s. */
export async function interleaved(
  scenario: string,
  tasks: Array<{ name: string; fn: () => Promise<unknown> }>,
  { rounds = 7, timeMs = 500 } = {},
): Promise<Row[]> {
  const lat = new Map<string, number[]>()
  const thr = new Map<string, number[]>()
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({ time: timeMs, warmupTime: 100 })
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[(i + r) % tasks.length]!
      bench.add(t.name, t.fn)
    }
    await bench.run()
    for (const t of bench.tasks) {
      if (t.result?.state !== 'completed') {
        throw new Error(`${scenario}/${t.name}: ${t.result?.state}`, {
          cause: (t.result as { error?: unknown }).error,
        })
      }
      lat.set(t.name, [...(lat.get(t.name) ?? []), t.result.latency.p50])
      thr.set(t.name, [...(thr.get(t.name) ?? []), t.result.throughput.p50])
    }
  }
  return tasks.map((t) => ({
    scenario,
    subject: t.name,
    medianUs: median(lat.get(t.name)!) * 1000,
    opsPerSec: median(thr.get(t.name)!),
  }))
}

/** Markdown table with each subject's speed relative to seat-lock (ops/s ratio seat-lock ÷ subject). */
export function printRows(rows: Row[]): void {
  console.log('| scenario | subject | median µs | ops/s (median) | seat-lock speed ÷ subject |')
  console.log('|---|---|---:|---:|---:|')
  for (const r of rows) {
    const ours = rows.find((x) => x.scenario === r.scenario && x.subject === 'seat-lock')!
    console.log(
      `| ${r.scenario} | ${r.subject} | ${r.medianUs.toFixed(0)} | ${r.opsPerSec.toFixed(0)} | ${(ours.opsPerSec / r.opsPerSec).toFixed(2)}× |`,
    )
  }
}

export function isMain(url: string): boolean {
  const entry = process.argv[1]
  return entry !== undefined && new URL(url).pathname === realpathSync(entry)
}

/**
 * Runs `fn` against a redis-server of its own (spawned on a free port, killed by pid after), so
 * the figures are not mixed with other work on the shared Redis and CONFIG RESETSTAT is safe.
 */
export async function withClient<T>(fn: (client: Redis) => Promise<T>): Promise<T> {
  const port = await freePort()
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  )
  // Retries until the server listens; the first PING waits in the offline queue until then.
  const client = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 50, maxRetriesPerRequest: null })
  client.on('error', () => {})
  try {
    await client.ping()
    return await fn(client)
  } finally {
    client.disconnect()
    server.kill('SIGKILL')
  }
}

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as AddressInfo).port
  srv.close()
  return port
}
