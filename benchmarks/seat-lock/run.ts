/**
 * `npx tsx seat-lock/run.ts` (from benchmarks/, after `npm run build -w @ticketing/seat-lock`):
 * every seat-lock scenario, one after the other: wall-clock latency (tinybench) with ratios, then
 * CPU cost per operation. Each scenario starts a redis-server of its own.
 */
import { run as cost, printCost } from './cost.bench.js'
import { run as fourSeats } from './four-seats.bench.js'
import { run as oneSeat } from './one-seat.bench.js'
import { printRows } from './subjects.js'

console.log(`node ${process.version}, ${new Date().toISOString()}`)
printRows([...(await oneSeat()), ...(await fourSeats())])
console.log()
printCost(await cost())
