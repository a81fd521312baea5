// Measures an L2 (Redis) hit with no in-process tier: our getOrLoad (one EVALSHA of the LEASE
// script) vs bentocache getOrSet (L2-only store, ioredis GET) vs cache-manager wrap (@keyv/redis
// GET), on the same Redis. Two shapes: one call in flight (latency), and 64 different keys in
// flight at once (throughput, as a busy API process sees it).
import { Bench } from 'tinybench'
import { factories, isMain, printRows, type Row, rowsFrom } from './subjects.js'

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

  const serial = new Bench({ time: 1_500, warmupTime: 300 })
  for (const s of subjects) serial.add(s.name, () => s.get('event:0', loader) as Promise<unknown>)
  await serial.run()

  const parallel = new Bench({ time: 1_500, warmupTime: 300 })
  for (const s of subjects) {
    parallel.add(s.name, async () => {
      await Promise.all(keys.map((k) => s.get(k, loader)))
    })
  }
  await parallel.run()
  await Promise.all(subjects.map((s) => s.close()))
  return [
    ...rowsFrom('L2 hit, 1 in flight', serial.tasks, 1),
    ...rowsFrom(`L2 hit, ${PARALLEL} keys in flight`, parallel.tasks, PARALLEL),
  ]
}

if (isMain(import.meta.url)) printRows(await run())
