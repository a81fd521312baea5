// WORKERS=2: one port, two server processes (node:cluster). The sale's state lives in Redis and
// MySQL, so buyers spread over both sell each seat once; a worker that dies is replaced while the
// other goes on serving; SIGTERM drains both and the primary exits 0.
import { existsSync, readFileSync } from 'node:fs'
import {
  createTestDatabase,
  type Spawned,
  type TestDatabase,
  uniquePrefix,
  waitFor,
} from '@ticketing/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteRedisPrefix, pool, post, serverEntry, spawnApi } from './helpers.js'

/** Pids of the processes whose parent is `pid` (Linux /proc). */
function children(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()
  return text ? text.split(/\s+/).map(Number) : []
}

describe.skipIf(!existsSync(serverEntry))('WORKERS=2 (node:cluster; needs `npm run build`)', () => {
  let db: TestDatabase
  let prefix: string
  let proc: Spawned
  let url: string

  beforeAll(async () => {
    db = await createTestDatabase(undefined, 'wk')
    prefix = uniquePrefix('wk')
    ;({ proc, url } = await spawnApi(db.url, prefix, { WORKERS: '2' }))
  })

  afterAll(async () => {
    if (proc && proc.child.exitCode === null) await proc.stop()
    if (prefix) await deleteRedisPrefix(prefix)
    await db?.drop()
  })

  it('two workers sell each seat once, survive a worker crash, and drain on SIGTERM', async () => {
    await waitFor('two workers', async () => children(proc.pid).length === 2, 10_000, 100)
    const created = await post(`${url}/api/events`, {
      eventName: 'Workers',
      totalSeats: 100,
      eventDate: '2025-06-01T20:00:00',
    })
    expect(created.status).toBe(201)
    const eventId = created.body.data.eventId as number
    const buy = (i: number) =>
      post(
        `${url}/api/reservations`,
        { eventId, userId: `u${i}`, quantity: 1 },
        { 'idempotency-key': `k${i}` },
      )

    const first = await pool(60, 20, buy)
    expect(first.map((r) => r.status)).toEqual(first.map(() => 201))

    // A worker crashes: the other keeps serving, and the primary starts a replacement.
    const [victim] = children(proc.pid)
    process.kill(victim!, 'SIGKILL')
    await waitFor(
      'a replacement worker',
      async () => {
        const now = children(proc.pid)
        return now.length === 2 && !now.includes(victim!)
      },
      15_000,
      100,
    )
    const rest = await pool(80, 20, (i) => buy(60 + i))
    const statuses = [...first, ...rest].map((r) => r.status)
    expect(statuses.filter((s) => s === 201)).toHaveLength(100)
    expect(statuses.filter((s) => s !== 201 && s !== 409)).toEqual([])
    // Retries of sold keys, through either worker, replay their sale.
    const replays = await pool(20, 10, buy)
    expect(replays.map((r) => r.body.data?.reservationId)).toEqual(
      first.slice(0, 20).map((r) => r.body.data.reservationId),
    )

    await proc.stop(15_000)
    expect(proc.child.exitCode).toBe(0)
  })
})
