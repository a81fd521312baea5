// Measures acquire + release of a 4-seat hold (all or nothing), one at a time, on one ioredis
// client: seat-lock vs redlock (4 resources, 1 client) vs redis-semaphore (4 Mutexes at once: it
// has no multi-key lock), each plain and "+ guarantees" (token + hand-off record added, see
// subjects.ts), vs the raw floor (one Lua SET NX PX of 4 keys + one Lua DEL).
import { interleaved, isMain, printRows, type Row, subjects, withClient } from './subjects.js'

export async function run(): Promise<Row[]> {
  return withClient((client) => {
    const seats = ['A1', 'A2', 'A3', 'A4']
    const tasks = subjects(client, `4-${process.pid}`).map((s) => ({
      name: s.name,
      fn: async () => s.run(seats),
    }))
    return interleaved('4 seats', tasks)
  })
}

if (isMain(import.meta.url)) printRows(await run())
