// Measures stampede protection across processes: N child processes × M concurrent misses on
// one cold key (the loader takes 50 ms) → how many loader calls in total, and how long until all
// N × M reads are answered. Ours (Redis lease) vs bentocache and cache-manager (in-process
// dedupe only), on the same Redis. Several rounds, a fresh key each round.
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { factories, isMain, redisUrl } from './subjects.js'

export interface StampedeRow {
  subject: string
  processes: number
  concurrency: number
  rounds: number
  /** Loader calls per round (all processes together). */
  loadsPerRound: number[]
  /** Median wall time of a round, ms. */
  medianRoundMs: number
}

const worker = fileURLToPath(new URL('./stampede-worker.ts', import.meta.url))

export async function run({ processes = 3, concurrency = 300, rounds = 5, loaderMs = 50 } = {}) {
  const redis = new Redis(redisUrl)
  const rows: StampedeRow[] = []
  for (const f of factories) {
    const prefix = `bench-stampede-${process.pid}-${f.create.name}`
    const children: ChildProcess[] = []
    for (let i = 0; i < processes; i++) {
      const child = fork(worker, [f.name, prefix], { execArgv: ['--import', 'tsx'] })
      children.push(child)
    }
    await Promise.all(children.map((c) => once(c, 'message')))
    const loadsPerRound: number[] = []
    const times: number[] = []
    for (let r = 0; r < rounds; r++) {
      const counterKey = `${prefix}:loads:${r}`
      const t0 = performance.now()
      const done = children.map((c) => once(c, 'message'))
      for (const c of children) c.send({ key: `event:${r}`, counterKey, concurrency, loaderMs })
      await Promise.all(done)
      times.push(performance.now() - t0)
      loadsPerRound.push(Number(await redis.get(counterKey)))
      await redis.del(counterKey)
    }
    for (const c of children) c.disconnect()
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)))
    times.sort((a, b) => a - b)
    rows.push({
      subject: f.name,
      processes,
      concurrency,
      rounds,
      loadsPerRound,
      medianRoundMs: times[Math.floor(times.length / 2)]!,
    })
  }
  redis.disconnect()
  return rows
}

export function printStampede(rows: StampedeRow[]): void {
  console.log(
    '| library | processes × concurrent misses | loader calls per stampede (each round) | median time to answer all, ms |',
  )
  console.log('|---|---|---|---:|')
  for (const r of rows) {
    console.log(
      `| ${r.subject} | ${r.processes} × ${r.concurrency} | ${r.loadsPerRound.join(', ')} | ${r.medianRoundMs.toFixed(0)} |`,
    )
  }
}

if (isMain(import.meta.url)) printStampede(await run())
