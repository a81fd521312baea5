/**
 * The subjects the seat-lock benchmarks compare, all on the same ioredis client and the same
 * Redis server, each acquiring and then releasing a hold of N named seats:
 * - seat-lock: holdSeats + release (one EVALSHA each; all-or-nothing, owner, fencing token,
 *   server-clock expiry, a hold record another process can release by id);
 * - "seat-lock, released elsewhere": the same, but released by id through a second SeatLock
 *   that never saw the hold, as another process (a payment webhook) would: it reads the hold's
 *   seats from the record first (HMGET), because the release script must declare the seat keys.
 *   This is the like-for-like comparison with the "+ guarantees" peers, which release by id too;
 * - redlock 5.0.0-beta.2 with that one client: acquire + release (one EVALSHA each);
 * - redis-semaphore: Mutex (SET NX PX + Lua release); it has no multi-key mutex, so N seats are
 *   N mutexes, taken concurrently (rolled back if any is taken) and released concurrently;
 * - "+ guarantees" variants of redlock and redis-semaphore: the library's own acquire/release plus
 *   what a ticketing user must add to get what one seat-lock call gives — a fencing token (INCR of
 *   the event's counter) and a hand-off record (hash owner/seats/token, same TTL) through which a
 *   release by id checks the owner and deletes the record (see guarded() below);
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
import Redlock, { Lock } from 'redlock'
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
// After the peer's acquire: the fencing token must come from an INCR made *after* the lock is
// held (else a slow holder could get a smaller token than the one before it), and the record must
// carry that token, so INCR + HSET + PEXPIRE cannot be one MULTI (HSET cannot use INCR's reply):
// one small script is the cheapest single round trip. KEYS: fence counter, hold record (same tag).
const HANDOFF_OPEN = `
local token = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], 'owner', ARGV[1], 'seats', ARGV[2], 'token', token)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return token`

/** A peer lock as a ticketing user would wrap it: take N seats with one id, release by that id. */
interface PeerLock {
  /** Takes every seat, all or nothing, and returns the id it holds them under; throws if any is taken. */
  take(keys: string[]): Promise<string>
  /** Releases the seats' locks held under `id`, from the id alone (a hand-off). */
  drop(keys: string[], id: string): Promise<void>
}

/**
 * The cheapest correct composition of a peer with seat-lock's guarantees, 2 + 2 round trips:
 * acquire (the library) → one EVALSHA of HANDOFF_OPEN (token + record); release by id: HMGET
 * owner + seats of the record, check the owner in the client, then the library's release and a
 * DEL of the record sent together (both in flight at once, one round trip). The record key holds
 * the unique id, so its owner cannot change between the HMGET and the DEL.
 */
function guarded(client: Redis, peer: PeerLock, key: (s: string) => string, handoff: HandoffClient) {
  const fence = key('fence')
  const record = (id: string) => key(`hold:${id}`)
  return async (seats: string[]) => {
    const id = await peer.take(seats.map((s) => key(s)))
    const token = await handoff.handoffOpen(2, fence, record(id), 'o', seats.join(','), TTL)
    if (!(token > 0)) throw new Error('no token')
    // Release by id, as another process would: only the id and the owner are known.
    const [owner, held] = await client.hmget(record(id), 'owner', 'seats')
    if (owner == null || held == null) return // expired or released already: nothing to do
    if (owner !== 'o') throw new Error('not the owner')
    await Promise.all([
      peer.drop(
        held.split(',').map((s) => key(s)),
        id,
      ),
      client.del(record(id)),
    ])
  }
}

type HandoffClient = Redis & {
  handoffOpen(n: number, ...args: (string | number)[]): Promise<number>
}

function mutexes(client: Redis, keys: string[], identifier?: string, acquiredExternally?: true) {
  return [...keys].sort().map(
    (k) =>
      new Mutex(client, k, {
        lockTimeout: TTL,
        acquireAttemptsLimit: 1,
        refreshInterval: 0,
        ...(identifier === undefined ? {} : { identifier }),
        ...(acquiredExternally ? { acquiredExternally } : {}),
      }),
  )
}

/** redis-semaphore has no multi-key mutex: try every seat's mutex at once, roll back on a miss. */
async function takeMutexes(list: Mutex[]): Promise<void> {
  const got = await Promise.all(list.map((m) => m.tryAcquire()))
  if (got.every(Boolean)) return
  await Promise.all(list.filter((_, i) => got[i]).map((m) => m.release()))
  throw new Error('contended')
}

export function subjects(client: Redis, tag: string): Subject[] {
  const lock = createSeatLock({ redis: client, prefix: `bench-sl-${tag}` })
  // Same prefix, same client: another process's view of the same holds.
  const elsewhere = createSeatLock({ redis: client, prefix: `bench-sl-${tag}` })
  const redlock = new Redlock([client], { retryCount: 0 })
  client.defineCommand('rawAcquire', { lua: RAW_ACQUIRE })
  client.defineCommand('rawRelease', { lua: RAW_RELEASE })
  const raw = client as Redis & {
    rawAcquire(n: number, ...args: (string | number)[]): Promise<number>
    rawRelease(n: number, ...args: (string | number)[]): Promise<number>
  }
  const key = (p: string, s: string) => `{bench-${p}-${tag}}:${s}`
  client.defineCommand('handoffOpen', { lua: HANDOFF_OPEN })
  const handoff = client as HandoffClient
  const redlockPeer: PeerLock = {
    // The hold id is redlock's own random lock value: from it another process rebuilds the Lock.
    take: async (keys) => (await redlock.acquire(keys, TTL)).value,
    async drop(keys, id) {
      await redlock.release(new Lock(redlock, keys, id, [], 0))
    },
  }
  const semaphorePeer: PeerLock = {
    async take(keys) {
      const id = randomUUID()
      await takeMutexes(mutexes(client, keys, id))
      return id
    },
    async drop(keys, id) {
      await Promise.all(mutexes(client, keys, id, true).map((m) => m.release()))
    },
  }
  const redlockGuarded = guarded(client, redlockPeer, (s) => key('rlg', s), handoff)
  const semaphoreGuarded = guarded(client, semaphorePeer, (s) => key('rsg', s), handoff)
  return [
    {
      name: 'seat-lock',
      async run(seats) {
        const hold = await lock.holdSeats({ eventId: 'bench', seats, owner: 'o', ttlMs: TTL })
        await lock.release(hold.id, 'o')
      },
    },
    {
      name: 'seat-lock, released elsewhere',
      async run(seats) {
        const hold = await lock.holdSeats({ eventId: 'bench-elsewhere', seats, owner: 'o', ttlMs: TTL })
        await elsewhere.release(hold.id, 'o')
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
        const list = mutexes(
          client,
          seats.map((s) => key('rs', s)),
        )
        await takeMutexes(list)
        await Promise.all(list.map((m) => m.release()))
      },
    },
    { name: 'redlock + guarantees', run: redlockGuarded },
    { name: 'redis-semaphore + guarantees', run: semaphoreGuarded },
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
