import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { sharedRedis, uniquePrefix } from '@ticketing/testkit'
import { afterAll, describe, expect, it } from 'vitest'

// The built bundles, not src (needs `npm run build -w @ticketing/waiting-room` first; skipped,
// with this reason, when dist/ does not exist yet): both formats admit a visitor through Redis.
const cjs = fileURLToPath(new URL('../dist/index.cjs', import.meta.url))
const esm = fileURLToPath(new URL('../dist/index.js', import.meta.url))

describe.skipIf(!existsSync(cjs))('built package (dist) on the shared Redis', () => {
  const redis = sharedRedis()
  afterAll(() => redis.quit())

  it.each([
    ['require (CJS)', async () => createRequire(import.meta.url)(cjs)],
    ['import (ESM)', async () => import(esm)],
  ])('%s: joins, admits, verifies, completes', async (_, load) => {
    const wr = (await load()) as typeof import('../src/index.js')
    const room = wr.createWaitingRoom({
      store: wr.createRedisQueueStore({ redis, prefix: uniquePrefix('wrdist') }),
      secret: 'dist-test-secret-0123456789abcdefgh',
      admitPerMinute: 600_000,
    })
    const joined = await room.join('e1', 'v').catch((e: unknown) => e)
    expect(joined).toBeInstanceOf(wr.EventNotFoundError)
    await room.openEvent('e1')
    const { queueTicket } = await room.join('e1', 'v')
    await new Promise((r) => setTimeout(r, 20))
    expect((await room.tick('e1'))?.admitted).toBe(1)
    const s = await room.poll(queueTicket)
    if (s.status !== 'admitted') throw new Error(`expected admitted, got ${s.status}`)
    expect(room.verify(s.admissionToken, { eventId: 'e1', visitorId: 'v' }).eventId).toBe('e1')
    expect(await room.complete(s.admissionToken)).toBe('completed')
    await room.deleteEvent('e1')
    await room.close()
  })
  it.each([
    ['dist/board.js', async () => import(fileURLToPath(new URL('../dist/board.js', import.meta.url)))],
    [
      'dist/board.cjs',
      async () =>
        createRequire(import.meta.url)(fileURLToPath(new URL('../dist/board.cjs', import.meta.url))),
    ],
  ])(
    '%s: the ./board entry places a waiter and imports nothing of Node (pages load it)',
    async (file, load) => {
      const text = readFileSync(fileURLToPath(new URL(`../${file}`, import.meta.url)), 'utf8')
      expect(text).not.toMatch(/["']node:|require\(["'](crypto|events|fs)["']\)/)
      const { placeOnBoard } = (await load()) as typeof import('../src/board.js')
      const board = {
        eventId: 'e1',
        status: 'open' as const,
        startsAt: 0,
        preCount: 0,
        shuffleKeys: '1,2,3,4,5,6',
        served: 3,
        admitPerMinute: 60,
        pollMs: { base: 5000, max: 30_000, startSpread: 15_000 },
        at: 0,
      }
      expect(placeOnBoard(board, 1)).toEqual({ status: 'turn', ticket: 1 })
      expect(placeOnBoard(board, 7)).toMatchObject({
        status: 'waiting',
        position: 5,
        estimatedWaitSeconds: 5,
      })
    },
  )
})
