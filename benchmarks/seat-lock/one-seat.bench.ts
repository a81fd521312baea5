// Measures acquire + release of a 1-seat hold, one at a time (latency), on one ioredis client:
// seat-lock holdSeats+release vs redlock (1 client) vs redis-semaphore Mutex, each plain and
// "+ guarantees" (token + hand-off record added, see subjects.ts), vs the raw floor (SET NX PX +
// owner-checked Lua DEL).
import { interleaved, isMain, printRows, type Row, subjects, withClient } from './subjects.js'

export async function run(): Promise<Row[]> {
  return withClient((client) => {
    // `async` matters: tinybench awaits only functions it can tell are async.
    const tasks = subjects(client, `1-${process.pid}`).map((s) => ({
      name: s.name,
      fn: async () => s.run(['A1']),
    }))
    return interleaved('1 seat', tasks)
  })
}

if (isMain(import.meta.url)) printRows(await run())
