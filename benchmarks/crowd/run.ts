/**
 * Flash-crowd benchmark: N visitors arrive over 60 s for 10,000 seats, half before the sale
 * starts, against the reference API in its production shape (bench.ts, harness.ts), without and
 * with the waiting room, in the same run.
 *
 *   npm run bench:crowd                    # 100,000 visitors, both legs (~5 minutes)
 *   npm run bench:crowd -- --quick         # 10,000 visitors, 1,000 seats, 20 s of arrivals
 *   options: --visitors=100000 --seats=10000 --spread-seconds=60 --start-seconds=30 --lanes=300
 *            --connections-per-lane=2 --instances=2 --legs=without,with --max-active=100
 *            --admit-per-minute=6000 --turn-seconds=120 --after-seconds=90 --sse-every=100 --waiters=board|poll --seed=1 --out=<dir>
 *            --cpu-prof[=dir] (V8 profiles of the API instances; summarise with onsale/profile-summary.ts)
 *            --update-results (benchmarks/results/ and the section of benchmarks/README.md;
 *            else test-artifacts/crowd/) --allow-pending
 *
 * Exit code: 1 on a hard failure (oversell, a duplicate sale, a false rejection, an acknowledged
 * sale not in MySQL, I1 broken) in either leg; 2 if a leg could not run (pending) unless
 * --allow-pending.
 */
import { execFileSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderChart } from '../onsale/chart.js'
import { type CrowdOptions, DEFAULTS, isMeasuredLeg, runCrowd } from './bench.js'
import type { LegName } from './legs.js'
import { chartLines, hardFailures, table, targets } from './report.js'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
// As in onsale/run.ts: through the root script, `--quick` reaches us as npm_config_quick=true.
const fromNpm = (name: string) => process.env[`npm_config_${name.replace(/-/g, '_')}`]
const flag = (name: string) => args.includes(`--${name}`) || fromNpm(name) === 'true'
const value = (name: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ??
  (fromNpm(name) !== 'true' ? fromNpm(name) : undefined)
const num = (name: string, fallback: number) => (value(name) === undefined ? fallback : Number(value(name)))

const quick = flag('quick')
// --cpu-prof[=dir]: the API instances write V8 CPU profiles (summarise with onsale/profile-summary.ts).
if (flag('cpu-prof') || value('cpu-prof'))
  process.env.CROWD_CPU_PROF = value('cpu-prof') ?? join(tmpdir(), 'crowd-profiles')
const tty = process.stderr.isTTY
let lastProgress = 0
const options: CrowdOptions = {
  ...DEFAULTS,
  visitors: num('visitors', quick ? 10_000 : DEFAULTS.visitors),
  seats: num('seats', quick ? 1_000 : DEFAULTS.seats),
  spreadMs: num('spread-seconds', quick ? 20 : DEFAULTS.spreadMs / 1000) * 1000,
  startMs: num('start-seconds', quick ? 10 : DEFAULTS.startMs / 1000) * 1000,
  lanes: num('lanes', quick ? 100 : DEFAULTS.lanes),
  connectionsPerLane: num('connections-per-lane', DEFAULTS.connectionsPerLane),
  instances: num('instances', DEFAULTS.instances),
  legs: (value('legs') ?? DEFAULTS.legs.join(',')).split(',') as LegName[],
  queue: {
    maxActiveBuyers: num('max-active', DEFAULTS.queue.maxActiveBuyers),
    admitPerMinute: num('admit-per-minute', DEFAULTS.queue.admitPerMinute),
    turnSeconds: num('turn-seconds', DEFAULTS.queue.turnSeconds),
  },
  sseEvery: num('sse-every', DEFAULTS.sseEvery),
  waiters: (value('waiters') ?? DEFAULTS.waiters) === 'poll' ? 'poll' : 'board',
  maxAfterArrivalsMs: num('after-seconds', quick ? 40 : DEFAULTS.maxAfterArrivalsMs / 1000) * 1000,
  seed: num('seed', DEFAULTS.seed),
  log: (line) => {
    if (tty) process.stderr.write('\r\x1b[K')
    console.log(line)
  },
  progress: (line) => {
    if (tty) process.stderr.write(`\r\x1b[K${line}`)
    else if (Date.now() - lastProgress > 5000) {
      lastProgress = Date.now()
      process.stderr.write(`${line}\n`)
    }
  },
}
const update = flag('update-results')
const outDir =
  value('out') ?? (update ? join(here, '..', 'results') : join(here, '..', '..', 'test-artifacts', 'crowd'))
const OPTIONS = [
  'quick',
  'visitors',
  'seats',
  'spread-seconds',
  'start-seconds',
  'lanes',
  'connections-per-lane',
  'instances',
  'legs',
  'max-active',
  'admit-per-minute',
  'turn-seconds',
  'after-seconds',
  'sse-every',
  'waiters',
  'seed',
  'out',
  'allow-pending',
  'cpu-prof',
  'update-results',
]
const given = OPTIONS.flatMap((name) =>
  flag(name) ? [`--${name}`] : value(name) !== undefined ? [`--${name}=${value(name)}`] : [],
)
const command = `npm run bench:crowd${given.length > 0 ? ` -- ${given.join(' ')}` : ''}`

const started = new Date()
const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100)
const legs = await runCrowd(options)
if (tty) process.stderr.write('\r\x1b[K')
const measured = legs.filter(isMeasuredLeg)

const meta = {
  date: started.toISOString(),
  durationSec: Math.round((Date.now() - started.getTime()) / 1000),
  node: process.version,
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  memoryGb: Math.round(totalmem() / 2 ** 30),
  gitCommit: (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim()
    } catch {
      return 'unknown'
    }
  })(),
  loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
  command,
  quick,
  scenario: { ...options, log: undefined, progress: undefined },
}
await mkdir(outDir, { recursive: true })
await writeFile(
  join(outDir, 'crowd.json'),
  `${JSON.stringify({ meta, legs: legs.map((l) => (isMeasuredLeg(l) ? { ...l, series: undefined } : l)), series: Object.fromEntries(measured.map((l) => [l.leg, l.series])) }, null, 2)}\n`,
)
const { throughput, latency } = chartLines(measured)
const svg = renderChart(
  `Flash crowd: ${options.visitors.toLocaleString('en-US')} visitors, ${options.seats.toLocaleString('en-US')} seats, sale at ${options.startMs / 1000} s (${meta.date.slice(0, 16)}Z)`,
  throughput,
  latency,
  `solid: reservations/s and reservation p99; dashed: all requests/s and page/queue p99; x: seconds since the queue opened\n${command}`,
)
await writeFile(join(outDir, 'crowd.svg'), svg)

const md: string[] = [
  `${meta.date} · Node ${meta.node} · ${meta.cpus} · ${meta.memoryGb} GB · commit ${meta.gitCommit} · load average ${loadAtStart[0]} → ${meta.loadAverage.atEnd[0]} · \`${command}\`${quick ? ' · **quick run** (small crowd, not the default 100,000)' : ''}`,
  '',
  `${options.visitors.toLocaleString('en-US')} visitors over ${options.spreadMs / 1000} s (half before the sale starts at ${options.startMs / 1000} s), ${options.seats.toLocaleString('en-US')} seats, ${options.lanes} lanes × ${options.connectionsPerLane} connections from ${options.lanes} source addresses, ${options.instances} API instance(s) behind HAProxy; queue: ${JSON.stringify(options.queue)}; waiters follow ${options.waiters === 'board' ? 'the serving board, cached at the edge (HAProxy playing CloudFront)' : 'their place by polls with their queue ticket'}`,
  '',
  table(measured),
]
for (const l of legs) if (!isMeasuredLeg(l)) md.push(`\n${l.leg} the waiting room: **pending** (${l.reason})`)
const goals = targets(measured.find((l) => l.leg === 'with'))
if (goals.length > 0) {
  md.push('\n| target (with the waiting room) | goal | measured | |\n| --- | --- | --- | --- |')
  for (const t of goals)
    md.push(`| ${t.name} | ${t.goal} | ${t.value} | ${t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED'} |`)
}
console.log(md.join('\n'))
await writeFile(join(outDir, 'crowd.md'), `${md.join('\n')}\n`)

if (update) {
  // The committed README section between the markers, replaced as a whole.
  const readme = join(here, '..', 'README.md')
  const text = await readFile(readme, 'utf8')
  const begin = '<!-- crowd-results:begin -->'
  const end = '<!-- crowd-results:end -->'
  const section = `${begin}\n\n![flash crowd](results/crowd.svg)\n\n${md.join('\n')}\n\n${end}`
  const i = text.indexOf(begin)
  const j = text.indexOf(end)
  await writeFile(
    readme,
    i >= 0 && j > i ? `${text.slice(0, i)}${section}${text.slice(j + end.length)}` : `${text}\n${section}\n`,
  )
}
console.log(`wrote crowd.json, crowd.md and crowd.svg in ${relative(process.cwd(), outDir)}`)

const failures = hardFailures(measured)
for (const f of failures) console.error(`HARD FAILURE: ${f}`)
const pending = legs.filter((l) => !isMeasuredLeg(l))
process.exitCode = failures.length > 0 ? 1 : pending.length > 0 && !flag('allow-pending') ? 2 : 0
