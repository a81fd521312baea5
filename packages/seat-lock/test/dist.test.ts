import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { type RedisTopology, redisTopologies, uniquePrefix } from '@ticketing/testkit'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The built bundles, not src: tsup's CJS interop once handed redlock's module object to `new`
// (only the CJS build broke). Needs `npm run build -w @ticketing/seat-lock` first; skipped, with
// this reason, when dist/ does not exist yet.
const cjs = fileURLToPath(new URL('../dist/index.cjs', import.meta.url))
const esm = fileURLToPath(new URL('../dist/index.js', import.meta.url))

describe.skipIf(!existsSync(cjs))('built package (dist) on a quorum of 3', () => {
  let topo: RedisTopology
  beforeAll(async () => {
    topo = await redisTopologies(['quorum3'])[0]!.start()
  })
  afterAll(async () => {
    await topo?.teardown()
  })

  it.each([
    ['require (CJS)', async () => createRequire(import.meta.url)(cjs)],
    ['import (ESM)', async () => import(esm)],
  ])('%s: holds, reports contention, releases', async (_, load) => {
    const { createSeatLock } = (await load()) as typeof import('../src/index.js')
    const lock = createSeatLock({ redis: topo.clients as Redis[], prefix: uniquePrefix('dist') })
    const h = await lock.holdSeats({ eventId: 'e1', seats: ['A1'], owner: 'o' })
    await expect(lock.holdSeats({ eventId: 'e1', seats: ['A1'], owner: 'p' })).rejects.toMatchObject({
      code: 'E_SEATS_UNAVAILABLE',
    })
    expect(await lock.release(h.id, 'o')).toBe(true)
    await lock.close()
  })
})
