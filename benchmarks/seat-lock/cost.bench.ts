// Measures the CPU cost of one acquire + release (1 seat and 4 seats): client CPU (Node
// process.cpuUsage) plus Redis server CPU (sum of INFO commandstats usec), per operation, for
// seat-lock vs redlock and redis-semaphore (plain, and "+ guarantees": with the fencing token and
// hand-off record a ticketing user must add to match seat-lock; see subjects.ts) vs the raw floor.
// Unlike wall-clock latency, CPU time is barely disturbed by other load on a shared 2-core box.
// Runs on a redis-server of its own (commandstats are server-wide and reset here).
import { isMain, type Subject, subjects, withClient } from './subjects.js'

const N = 3_000
const ROUNDS = 5

export interface CostRow {
  scenario: string
  subject: string
  clientUs: number
  serverUs: number
}

async function serverUsec(client: import('ioredis').Redis): Promise<number> {
  const info = await client.info('commandstats')
  let total = 0
  for (const m of info.matchAll(/^cmdstat_(\w+):calls=\d+,usec=(\d+)/gm))
    if (m[1] !== 'info') total += Number(m[2])
  return total
}

async function measure(client: import('ioredis').Redis, s: Subject, seats: string[]) {
  for (let i = 0; i < 200; i++) await s.run(seats)
  await client.config('RESETSTAT')
  const cpu = process.cpuUsage()
  for (let i = 0; i < N; i++) await s.run(seats)
  const used = process.cpuUsage(cpu)
  return { clientUs: (used.user + used.system) / N, serverUs: (await serverUsec(client)) / N }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!

export async function run(): Promise<CostRow[]> {
  return withClient(async (client) => {
    const rows: CostRow[] = []
    for (const seats of [['A1'], ['A1', 'A2', 'A3', 'A4']]) {
      const list = subjects(client, `cost-${seats.length}-${process.pid}`)
      const samples = new Map<string, { c: number[]; s: number[] }>()
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < list.length; i++) {
          const s = list[(i + r) % list.length]!
          const m = await measure(client, s, seats)
          const acc = samples.get(s.name) ?? { c: [], s: [] }
          acc.c.push(m.clientUs)
          acc.s.push(m.serverUs)
          samples.set(s.name, acc)
        }
      }
      for (const s of list) {
        const acc = samples.get(s.name)!
        rows.push({
          scenario: `${seats.length} seat(s)`,
          subject: s.name,
          clientUs: median(acc.c),
          serverUs: median(acc.s),
        })
      }
    }
    return rows
  })
}

export function printCost(rows: CostRow[]): void {
  console.log(
    '| scenario | subject | client CPU µs/op | Redis CPU µs/op | total | seat-lock cost ÷ subject cost |',
  )
  console.log('|---|---|---:|---:|---:|---:|')
  for (const r of rows) {
    const ours = rows.find((x) => x.scenario === r.scenario && x.subject === 'seat-lock')!
    const total = r.clientUs + r.serverUs
    const ratio = (ours.clientUs + ours.serverUs) / total
    console.log(
      `| ${r.scenario} | ${r.subject} | ${r.clientUs.toFixed(1)} | ${r.serverUs.toFixed(1)} | ${total.toFixed(1)} | ${ratio.toFixed(2)} |`,
    )
  }
}

if (isMain(import.meta.url)) printCost(await run())
