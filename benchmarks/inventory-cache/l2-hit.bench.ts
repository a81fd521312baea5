// Measures an L2 (Redis) hit with no in-process tier: our getOrLoad (one EVALSHA of the LEASE
// script) vs bentocache getOrSet (L2-only store, ioredis GET) vs cache-manager wrap (@keyv/redis
// GET), on the same Redis. Two shapes: one call in flight (latency), and 64 different keys in
// flight at once (throughput, as a busy API process sees it).
import { factories, interleaved, isMain, printRows, type Row } from './subjects.js'

const PARALLEL = 64

export async function run(): Promise<Row[]> {
  const subjects = await Promise.all(
    factories.map((f) =>
      f.create({ l1: false, prefix: `bench-l2-${process.pid}-${f.create.name}`, ttlMs: 600_000 }),
    ),
  )
  const keys = Array.from({ length: PARALLEL }, (_, i) => `event:${i}`)
  const loader = async () => ({ eventId: 1, eventName: 'Gala', totalSeats: 500, availableSeats: 420 })
  for (const s of subjects) for (const k of keys) await s.get(k, loader)

  const serial = await interleaved(
    'L2 hit, 1 in flight',
    subjects.map((s) => ({ name: s.name, fn: () => s.get('event:0', loader) })),
  )
  const parallel = await interleaved(
    `L2 hit, ${PARALLEL} keys in flight`,
    subjects.map((s) => ({ name: s.name, fn: () => Promise.all(keys.map((k) => s.get(k, loader))) })),
    { perIteration: PARALLEL },
  )
  await Promise.all(subjects.map((s) => s.close()))
  return [...serial, ...parallel]
}

if (isMain(import.meta.url)) printRows(await run())
