/**
 * On-sale macro benchmark: confirmed reservations/s, p99, false rejections, oversell and
 * duplicates on one hot event of 10,000 seats, for the reference API in production mode ("ours")
 * against the seed's design (seed-design/server.ts) and a hello-world Fastify ceiling, all driven
 * by the same load generator (load.ts) on the same connection count.
 *
 *   npm run bench:onsale                 # 200 and 1,000 connections, network models aws then loopback
 *   npm run bench:onsale -- --quick      # 200 connections, short phases (< 3 minutes per model)
 *   npm run bench:onsale -- --quick --network=aws
 *   options: --connections=200,1000 --seats=10000 --max-sale-seconds=90 --after-sellout-seconds=5
 *            --steady-seconds=10 --write-only-seconds=30 (0 skips) --busy-retry-ms=500 --contenders=seedDesign,ours --out=<dir> --allow-pending
 *            --workers=1 (server processes per instance, the same for all three)
 *            --instances=1 (API instances behind HAProxy per contender, the same for all three)
 *            --cpu-prof[=dir]  (V8 profiles of the servers; summarise with onsale/profile-summary.ts)
 *            --network=aws,loopback (network.ts; the first is the headline)
 *            --update-results (write benchmarks/results/, the committed copy; else test-artifacts/onsale/)
 *
 * Exit code: 1 if ours oversold, sold twice under one Idempotency-Key, refused a buyer while seats
 * remained, acknowledged an uncommitted sale or broke I1; 2 if ours could not run (pending) and
 * --allow-pending was not given.
 */
import { execFileSync } from 'node:child_process'
import { statSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULTS, isMeasured, type OnSaleOptions, runOnSale } from './bench.js'
import { renderChart } from './chart.js'
import { oursEntryPoint } from './contenders.js'
import { parseNetworks } from './network.js'
import { chartLines, hardFailures, resultsDocument, table, targets } from './report.js'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
// The root script (`npm run bench:onsale -- --quick`) runs `npm run … -w @ticketing/benchmarks`,
// and that inner npm takes `--quick` as its own config: it reaches us as npm_config_quick=true.
const fromNpm = (name: string) => process.env[`npm_config_${name.replace(/-/g, '_')}`]
const flag = (name: string) => args.includes(`--${name}`) || fromNpm(name) === 'true'
const value = (name: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ??
  (fromNpm(name) !== 'true' ? fromNpm(name) : undefined)
const num = (name: string, fallback: number) => (value(name) === undefined ? fallback : Number(value(name)))

const quick = flag('quick')
// --cpu-prof[=dir]: the servers under test write V8 CPU profiles (see profile-summary.ts).
if (flag('cpu-prof') || value('cpu-prof'))
  process.env.ONSALE_CPU_PROF = value('cpu-prof') ?? join(tmpdir(), 'onsale-profiles')
const tty = process.stderr.isTTY
let lastProgress = 0
const options: OnSaleOptions = {
  ...DEFAULTS,
  connections: (value('connections') ?? (quick ? '200' : '200,1000')).split(',').map(Number),
  seats: num('seats', DEFAULTS.seats),
  maxSaleMs: num('max-sale-seconds', quick ? 25 : 90) * 1000,
  afterSellOutMs: num('after-sellout-seconds', quick ? 3 : 5) * 1000,
  steadyMs: num('steady-seconds', quick ? 4 : 10) * 1000,
  writeOnlyMs: num('write-only-seconds', quick ? 10 : 30) * 1000,
  warmupMs: num('warmup-seconds', quick ? 1 : 2) * 1000,
  busyRetryMs: num('busy-retry-ms', DEFAULTS.busyRetryMs),
  workers: num('workers', DEFAULTS.workers),
  instances: num('instances', DEFAULTS.instances),
  contenders: (value('contenders') ?? 'seedDesign,ours').split(',') as OnSaleOptions['contenders'],
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
const networks = parseNetworks(value('network') ?? 'aws,loopback')
// The committed results (benchmarks/results/) change only when asked, as the seat-map screenshot
// does; any other run writes to the ignored test-artifacts/ folder.
const outDir =
  value('out') ??
  (flag('update-results') ? join(here, '..', 'results') : join(here, '..', '..', 'test-artifacts', 'onsale'))
const OPTIONS = [
  'quick',
  'connections',
  'seats',
  'max-sale-seconds',
  'after-sellout-seconds',
  'steady-seconds',
  'write-only-seconds',
  'warmup-seconds',
  'busy-retry-ms',
  'workers',
  'instances',
  'contenders',
  'out',
  'allow-pending',
  'cpu-prof',
  'network',
  'update-results',
]
const given = OPTIONS.flatMap((name) =>
  flag(name) ? [`--${name}`] : value(name) !== undefined ? [`--${name}=${value(name)}`] : [],
)
const command = `npm run bench:onsale${given.length > 0 ? ` -- ${given.join(' ')}` : ''}`

const started = new Date()
// Other work on the machine shows in the load average: recorded with the results.
const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100)
const runs: Awaited<ReturnType<typeof runOnSale>> = []
for (const network of networks) {
  options.log(`=== network model: ${network.name} ===`)
  runs.push(...(await runOnSale({ ...options, network })))
}
if (tty) process.stderr.write('\r\x1b[K')

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
  oursBuild: (() => {
    const entry = oursEntryPoint().path
    return entry ? { entry, builtAt: statSync(entry).mtime.toISOString() } : null
  })(),
  loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
  command,
  quick,
  scenario: {
    seats: options.seats,
    quantity: '1–4',
    readsPerAttempt: options.readsPerAttempt,
    resendRatio: options.resendRatio,
    busyRetryMs: options.busyRetryMs,
    afterSellOutMs: options.afterSellOutMs,
    maxSaleMs: options.maxSaleMs,
    steadyMs: options.steadyMs,
    writeOnlyMs: options.writeOnlyMs,
    workers: options.workers,
    instances: options.instances,
    networks: networks.map((n) => n.name),
  },
}
const doc = resultsDocument(runs, meta)
await mkdir(outDir, { recursive: true })
const jsonPath = join(outDir, 'onsale.json')
await writeFile(jsonPath, `${JSON.stringify(doc, null, 2)}\n`)

for (const run of runs) {
  const { throughput, latency } = chartLines(run)
  const svg = renderChart(
    `On-sale: ${options.seats.toLocaleString('en-US')} seats, ${run.connections} connections, ${run.network.name} network (${started.toISOString().slice(0, 16)}Z, ${process.version})`,
    throughput,
    latency,
    `solid: confirmed reservations/s and reservation p99 (per attempt); dashed: all requests/s and read p99; x: seconds into each phase\n${command}`,
  )
  const name = run === runs[0] ? 'onsale.svg' : `onsale-${run.network.name}-${run.connections}.svg`
  await writeFile(join(outDir, name), svg)
}

// The same tables on stdout and in results/onsale.md (pasted into onsale/README.md).
const md: string[] = [
  `${meta.date} · Node ${meta.node} · ${meta.cpus} · API instances behind HAProxy per contender: ${options.instances}${options.workers > 1 ? ` × ${options.workers} workers` : ''} · load average ${loadAtStart[0]} → ${meta.loadAverage.atEnd[0]} · \`${command}\``,
]
for (const run of runs) {
  const n = run.network
  md.push(
    `\n### ${n.name} network, ${run.connections} connections\n`,
    `network: +${n.rttMs} ms per round trip, +${n.commitMs} ms per COMMIT, innodb_flush_log_at_trx_commit=${n.flushLogAtTrxCommitSeen}` +
      (n.measured ? `; measured through the proxy (direct): ${JSON.stringify(n.measured)}` : '') +
      '\n',
    table(run),
  )
  md.push('\n| target | goal | measured | |\n| --- | --- | --- | --- |')
  for (const t of targets(run))
    md.push(
      `| ${t.name} | ${t.goal} | ${t.value} | ${t.met === null ? 'pending' : t.met ? 'met' : 'MISSED'} |`,
    )
}
md.push(`\nratios: \`${JSON.stringify(doc.ratios)}\``)
md.push(`\nratios by network: \`${JSON.stringify(doc.ratiosByNetwork)}\``)
console.log(md.join('\n'))
await writeFile(join(outDir, 'onsale.md'), `${md.join('\n')}\n`)
console.log(
  `wrote ${relative(process.cwd(), jsonPath)} and the chart(s) in ${relative(process.cwd(), outDir)}`,
)

const failures = hardFailures(runs)
for (const f of failures) console.error(`HARD FAILURE: ${f}`)
const pending = runs.filter((r) => options.contenders.includes('ours') && !isMeasured(r.ours))
for (const r of pending)
  console.error(
    `ours at ${r.connections} connections (${r.network.name}) is PENDING: ${(r.ours as { reason: string }).reason}`,
  )
process.exitCode = failures.length > 0 ? 1 : pending.length > 0 && !flag('allow-pending') ? 2 : 0
