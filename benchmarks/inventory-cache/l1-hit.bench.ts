// Measures an L1 (in-process) hit through each library's read-through call — our getOrLoad vs
// bentocache getOrSet (memory L1 driver) vs cache-manager wrap (Keyv in-memory store) — with
// the same Redis L2 behind all three. 100 sequential calls per iteration (a single hit is below
// the timer's resolution); reported per call.
import { factories, interleaved, isMain, printRows, type Row } from './subjects.js'

const PER_ITERATION = 100

export async function run(): Promise<Row[]> {
  const subjects = await Promise.all(
    factories.map((f) =>
      f.create({ l1: true, prefix: `bench-l1-${process.pid}-${f.create.name}`, ttlMs: 600_000 }),
    ),
  )
  const loader = async () => ({ eventId: 1, eventName: 'Gala', totalSeats: 500, availableSeats: 420 })
  for (const s of subjects) {
    await s.get('event:1', loader)
    await s.get('event:1', loader)
  }
  const rows = await interleaved(
    'L1 hit',
    subjects.map((s) => ({
      name: s.name,
      fn: async () => {
        for (let i = 0; i < PER_ITERATION; i++) await s.get('event:1', loader)
      },
    })),
    { perIteration: PER_ITERATION },
  )
  await Promise.all(subjects.map((s) => s.close()))
  return rows
}

if (isMain(import.meta.url)) printRows(await run())
