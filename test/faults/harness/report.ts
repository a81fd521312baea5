import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FULL } from './scale.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..')
export const resultsFile = join(root, 'benchmarks/results/faults.json')

/** One scenario's line in the reliability table. */
export interface ScenarioResult {
  /** Stable id, e.g. "1-instance-crash". */
  id: string
  title: string
  /** HTTP attempts per second held during the run (retries included). */
  requestsPerSecond: number
  faults: string[]
  acknowledged: number
  /** Acknowledged reservations missing from MySQL; must be 0. */
  lost: number
  /** Seats sold beyond the total; must be 0. */
  oversold: number
  doubleSold?: number
  falseRejections?: number
  /** Seconds from the fault's end (or the crash) to the first sale after it; null if n/a. */
  recoverySeconds: number | null
  /** Seconds after the load ended until every uncommitted seat was back on sale. */
  seatsReturnedSeconds?: number | null
  /** The statuses clients saw, e.g. { "201": 812, "503": 14, "network": 3 }. */
  statusCounts?: Record<string, number>
  notes?: string
}

interface ResultsFile {
  description: string
  updated: string
  node: string
  quick: Record<string, ScenarioResult & { date: string }>
  full: Record<string, ScenarioResult & { date: string }>
}

/** Merges one scenario's result into benchmarks/results/faults.json (under quick or full) and prints it. */
export async function recordResult(result: ScenarioResult): Promise<void> {
  await mkdir(dirname(resultsFile), { recursive: true })
  let file: ResultsFile
  try {
    file = JSON.parse(await readFile(resultsFile, 'utf8')) as ResultsFile
  } catch {
    file = {
      description:
        'Fault suite (test/faults): per scenario, load held, faults, acknowledged / lost / oversold reservations, recovery. quick = npm test subset, full = npm run test:faults.',
      updated: '',
      node: '',
      quick: {},
      full: {},
    }
  }
  const date = new Date().toISOString()
  file.updated = date
  file.node = process.version
  file[FULL ? 'full' : 'quick'][result.id] = { ...result, date }
  const tmp = `${resultsFile}.${process.pid}.tmp`
  await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`)
  await rename(tmp, resultsFile)
  console.log(`\n${formatTable([result])}\n`)
}

/** A markdown table of results (the README's Reliability section uses the same). */
export function formatTable(results: ScenarioResult[]): string {
  const head = [
    '| scenario | load held (req/s) | faults injected | acknowledged | lost | oversold | keys sold twice | false rejections | recovery (s) |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|',
  ]
  const lines = results.map(
    (r) =>
      `| ${r.title} | ${r.requestsPerSecond || '—'} | ${r.faults.join('; ')} | ${r.acknowledged} | ${r.lost} | ${r.oversold} | ${r.doubleSold ?? '—'} | ${r.falseRejections ?? '—'} | ${r.recoverySeconds ?? '—'} |`,
  )
  return [...head, ...lines].join('\n')
}

/** The table of a results file: the full run of each scenario where there is one, else the quick one. */
export async function tableFromFile(): Promise<string> {
  const file = JSON.parse(await readFile(resultsFile, 'utf8')) as ResultsFile
  const ids = [...new Set([...Object.keys(file.full), ...Object.keys(file.quick)])].sort(
    (a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10),
  )
  const rows = ids.map((id) => {
    const full = file.full[id]
    if (full) return full
    const quick = file.quick[id]!
    return { ...quick, title: `${quick.title} (quick run)` }
  })
  const dates = rows.map((r) => r.date).sort()
  return `${formatTable(rows)}\n\nFrom ${resultsFile.slice(root.length + 1)}: runs between ${dates[0]} and ${dates.at(-1)}, Node ${file.node}.`
}
