/**
 * CPU time per process over a phase, from /proc/<pid>/stat (Linux): on a 2-core machine shared by
 * the server, MariaDB, Redis and the load generator, this says which of them was the bottleneck.
 * Elsewhere (no /proc) it reports nothing rather than guessing.
 */
import { readFileSync } from 'node:fs'

const TICKS_PER_SECOND = 100

/** CPU seconds of `pid` and of its live descendants (the workers of a WORKERS > 1 server). */
function treeCpuSeconds(pid: number): number | undefined {
  const own = cpuSeconds(pid)
  if (own === undefined) return undefined
  let children: number[] = []
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim()
    children = text ? text.split(/\s+/).map(Number) : []
  } catch {}
  return children.reduce((sum, child) => sum + (treeCpuSeconds(child) ?? 0), own)
}

function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

/**
 * Cores used (CPU seconds / wall seconds) per named process (or processes) between start() and
 * stop(). The `server` entry counts its workers too; the others (the generator spawned
 * everything) do not.
 */
export function cpuMeter(pids: Record<string, number | number[]>) {
  // A name may stand for several processes (the API instances behind the load balancer): summed.
  const read = (name: string, pid: number | number[]) => {
    let sum = 0
    for (const p of Array.isArray(pid) ? pid : [pid]) {
      const s = name === 'server' ? treeCpuSeconds(p) : cpuSeconds(p)
      if (s === undefined) return undefined
      sum += s
    }
    return sum
  }
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, read(name, pid)]))
  const t0 = performance.now()
  return {
    stop(): Record<string, number> {
      const wall = (performance.now() - t0) / 1000
      const out: Record<string, number> = {}
      for (const [name, pid] of Object.entries(pids)) {
        const a = before[name]
        const b = read(name, pid)
        if (a !== undefined && b !== undefined && wall > 0)
          out[name] = Math.round(((b - a) / wall) * 100) / 100
      }
      return out
    },
  }
}
