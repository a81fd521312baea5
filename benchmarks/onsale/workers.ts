/**
 * WORKERS=N for the benchmark's own servers (the ceiling and the seed's design), as the reference
 * API does it (packages/ticketing-api/src/server.ts): N processes on one port with node:cluster,
 * so that every contender gets the same number of server processes.
 */
import cluster from 'node:cluster'

/**
 * With WORKERS > 1, turns this process into the primary (forks N copies of itself, passes
 * SIGTERM/SIGINT on, exits when they have) and returns true; the caller then does nothing else.
 */
export function superviseWorkers(): boolean {
  const workers = Number(process.env.WORKERS ?? 1)
  if (!(workers > 1) || !cluster.isPrimary) return false
  for (let i = 0; i < workers; i++) cluster.fork()
  const stop = (signal: NodeJS.Signals) => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal)
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  cluster.on('exit', () => {
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
  })
  return true
}
