// Measures a miss + fill: a key never seen before, a loader that answers at once, the value
// written to Redis. Ours costs two round trips (read-and-lease, fenced fill), bentocache and
// cache-manager two (GET, SET) with no version check. No L1 in front, same Redis.
import { Bench } from 'tinybench'
import { factories, isMain, printRows, type Row, rowsFrom } from './subjects.js'

export async function run(): Promise<Row[]> {
  const subjects = await Promise.all(
    factories.map((f) =>
      f.create({ l1: false, prefix: `bench-miss-${process.pid}-${f.create.name}`, ttlMs: 20_000 }),
    ),
  )
  const loader = async () => ({ eventId: 1, eventName: 'Gala', totalSeats: 500, availableSeats: 420 })
  const bench = new Bench({ time: 1_500, warmupTime: 300 })
  for (const s of subjects) {
    let n = 0
    bench.add(s.name, () => s.get(`miss:${n++}`, loader) as Promise<unknown>)
  }
  await bench.run()
  await Promise.all(subjects.map((s) => s.close()))
  return rowsFrom('miss + fill', bench.tasks, 1)
}

if (isMain(import.meta.url)) printRows(await run())
