// Measures a miss + fill: a key never seen before, a loader that answers at once, the value
// written to Redis. Ours costs two round trips (read-and-lease, fenced fill), bentocache and
// cache-manager two (GET, SET) with no version check. No L1 in front, same Redis.
import { factories, interleaved, isMain, printRows, type Row } from './subjects.js'

export async function run(): Promise<Row[]> {
  const subjects = await Promise.all(
    factories.map((f) =>
      f.create({ l1: false, prefix: `bench-miss-${process.pid}-${f.create.name}`, ttlMs: 20_000 }),
    ),
  )
  const loader = async () => ({ eventId: 1, eventName: 'Gala', totalSeats: 500, availableSeats: 420 })
  const rows = await interleaved(
    'miss + fill',
    subjects.map((s) => {
      let n = 0
      return { name: s.name, fn: () => s.get(`miss:${n++}`, loader) }
    }),
  )
  await Promise.all(subjects.map((s) => s.close()))
  return rows
}

if (isMain(import.meta.url)) printRows(await run())
