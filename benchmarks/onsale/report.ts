/** The JSON document, the stdout table and the targets of the on-sale benchmark. */
import type { ConnectionRun, ContenderResult } from './bench.js'
import { isMeasured } from './bench.js'
import type { ChartLine } from './chart.js'
import { round } from './stats.js'

export interface Target {
  name: string
  goal: string
  value: string
  met: boolean | null
}

export function targets(run: ConnectionRun): Target[] {
  const ours = isMeasured(run.ours) ? run.ours : undefined
  const seed = isMeasured(run.seedDesign) ? run.seedDesign : undefined
  const ceiling = run.ceiling.rps
  const t = (
    name: string,
    goal: string,
    value: number | undefined,
    met: (v: number) => boolean,
    unit = '',
  ): Target => ({
    name,
    goal,
    value: value === undefined || !Number.isFinite(value) ? 'pending' : `${round(value, 2)}${unit}`,
    met: value === undefined || !Number.isFinite(value) ? null : met(value),
  })
  return [
    t(
      'ours vs seed design, confirmed/s',
      '≥ 10×',
      ours && seed ? ours.confirmedPerSec / seed.confirmedPerSec : undefined,
      (v) => v >= 10,
      '×',
    ),
    t(
      'ours req/s while selling vs ceiling',
      '≥ 25%',
      ours ? (100 * ours.sellingReqPerSec) / ceiling : undefined,
      (v) => v >= 25,
      '%',
    ),
    ...(run.connections === 200
      ? [t('ours reservation p99 at 200 connections', '≤ 100 ms', ours?.p99Ms, (v) => v <= 100, ' ms')]
      : []),
    t(
      'ours cached reads vs ceiling',
      '≥ 70%',
      ours ? (100 * ours.cachedReads.rps) / ceiling : undefined,
      (v) => v >= 70,
      '%',
    ),
    t(
      'ours reads touching no DB (during the sale)',
      '≥ 99%',
      ours ? 100 - ours.readsTouchingDbPct : undefined,
      (v) => v >= 99,
      '%',
    ),
    t('ours oversold', '0', ours?.oversold, (v) => v === 0),
    t('ours duplicates', '0', ours?.duplicates, (v) => v === 0),
    t('ours false rejections', '0', ours?.falseRejections, (v) => v === 0),
    t('ours acknowledged but not committed (I3)', '0', ours?.lostAcks, (v) => v === 0),
    t('ours I1 in MySQL', 'holds', ours ? (ours.i1.holds ? 1 : 0) : undefined, (v) => v === 1),
  ]
}

/** Invariant breaks of ours: hard failures, whatever the speed. */
export function hardFailures(runs: ConnectionRun[]): string[] {
  const out: string[] = []
  for (const run of runs) {
    const o = run.ours
    if (!isMeasured(o)) continue
    const at = `ours at ${run.connections} connections`
    if (o.oversold > 0) out.push(`${at}: ${o.oversold} seats oversold`)
    if (o.duplicates > 0) out.push(`${at}: ${o.duplicates} duplicate sales by Idempotency-Key`)
    if (o.falseRejections > 0) out.push(`${at}: ${o.falseRejections} false rejections`)
    if (o.lostAcks > 0) out.push(`${at}: ${o.lostAcks} reservations acknowledged but not in MySQL (I3)`)
    if (!o.i1.holds) out.push(`${at}: I1 broken (${JSON.stringify(o.i1)})`)
    const w = o.writeOnly
    if (w) {
      const wat = `${at}, write-only`
      if (w.oversold > 0) out.push(`${wat}: ${w.oversold} seats oversold`)
      if (w.duplicates > 0) out.push(`${wat}: ${w.duplicates} duplicate sales by Idempotency-Key`)
      if (w.falseRejections > 0) out.push(`${wat}: ${w.falseRejections} false rejections`)
      if (w.lostAcks > 0) out.push(`${wat}: ${w.lostAcks} reservations acknowledged but not in MySQL (I3)`)
      if (!w.i1Holds) out.push(`${wat}: I1 broken`)
    }
  }
  return out
}

function headline(r: ContenderResult) {
  return {
    confirmedPerSec: r.confirmedPerSec,
    timeToSellOutSec: r.timeToSellOutSec,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    readP50Ms: r.readP50Ms,
    readP99Ms: r.readP99Ms,
    oversold: r.oversold,
    duplicates: r.duplicates,
    falseRejections: r.falseRejections,
    dbQueriesPerRead: r.dbQueriesPerRead,
  }
}

/** The results document: headline keys from the first connection count, every run in `runs`. */
export function resultsDocument(runs: ConnectionRun[], meta: Record<string, unknown>) {
  const main = runs[0]!
  const ours = isMeasured(main.ours) ? main.ours : undefined
  const seed = isMeasured(main.seedDesign) ? main.seedDesign : undefined
  const strip = (r: ContenderResult | { pending: true; reason: string } | undefined) =>
    r === undefined ? undefined : isMeasured(r) ? { ...headline(r), ...r, series: undefined } : r
  return {
    meta,
    network: main.network.name,
    connections: main.connections,
    ceiling: { rps: main.ceiling.rps, p50Ms: main.ceiling.p50Ms, p99Ms: main.ceiling.p99Ms },
    seedDesign: strip(main.seedDesign),
    ours: strip(main.ours),
    ratios: {
      vsSeedDesign: ours && seed ? round(ours.confirmedPerSec / seed.confirmedPerSec, 2) : null,
      vsCeiling: ours ? round(ours.sellingReqPerSec / main.ceiling.rps, 3) : null,
      confirmedVsCeiling: ours ? round(ours.confirmedPerSec / main.ceiling.rps, 4) : null,
      cachedReadsVsCeiling: ours ? round(ours.cachedReads.rps / main.ceiling.rps, 3) : null,
      seedCachedReadsVsCeiling: seed ? round(seed.cachedReads.rps / main.ceiling.rps, 3) : null,
      writeOnlyVsSeedDesign:
        ours?.writeOnly && seed?.writeOnly
          ? round(ours.writeOnly.confirmedPerSec / seed.writeOnly.confirmedPerSec, 2)
          : null,
    },
    targets: targets(main),
    // ours ÷ the seed's design under each network model and connection count (same run).
    ratiosByNetwork: runs.map((r) => {
      const o = isMeasured(r.ours) ? r.ours : undefined
      const s = isMeasured(r.seedDesign) ? r.seedDesign : undefined
      return {
        network: r.network.name,
        connections: r.connections,
        vsSeedDesign: o && s ? round(o.confirmedPerSec / s.confirmedPerSec, 2) : null,
        writeOnlyVsSeedDesign:
          o?.writeOnly && s?.writeOnly
            ? round(o.writeOnly.confirmedPerSec / s.writeOnly.confirmedPerSec, 2)
            : null,
      }
    }),
    runs: runs.map((r) => ({
      network: r.network,
      connections: r.connections,
      ceiling: { ...r.ceiling, series: undefined },
      seedDesign: strip(r.seedDesign),
      ours: strip(r.ours),
      targets: targets(r),
    })),
    series: runs.map((r) => ({
      network: r.network.name,
      connections: r.connections,
      ceiling: r.ceiling.series,
      seedDesign: isMeasured(r.seedDesign) ? r.seedDesign.series : null,
      ours: isMeasured(r.ours) ? r.ours.series : null,
    })),
  }
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return '—'
  if (typeof v === 'number')
    return Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : '—'
  return String(v)
}

/** A plain-text (and Markdown-compatible) table of one connection count. */
export function table(run: ConnectionRun): string {
  const cols: Array<[string, (r: ContenderResult) => unknown]> = [
    ['confirmed reservations/s', (r) => r.confirmedPerSec],
    [
      'time to sell out (s)',
      (r) => (r.soldOut ? r.timeToSellOutSec : `not in ${cell(r.confirmedReservations)} sales`),
    ],
    ['reservation p50 / p99 (ms)', (r) => `${cell(r.p50Ms)} / ${cell(r.p99Ms)}`],
    ['after sell-out p50 / p99 (ms)', (r) => `${cell(r.afterSellOut.p50Ms)} / ${cell(r.afterSellOut.p99Ms)}`],
    ['read p50 / p99 (ms)', (r) => `${cell(r.readP50Ms)} / ${cell(r.readP99Ms)}`],
    ['req/s while selling', (r) => r.sellingReqPerSec],
    ['"busy" answers', (r) => r.busyAnswers],
    ['false rejections', (r) => r.falseRejections],
    ['oversold seats', (r) => r.oversold],
    ['duplicates by key', (r) => r.duplicates],
    ['I1 in MySQL', (r) => (r.i1.holds ? 'holds' : 'BROKEN')],
    [
      'stale reads after sell-out',
      (r) => `${cell(r.staleReadsAfterSellOut)} (${cell(r.staleReadWindowMs)} ms)`,
    ],
    ['DB queries per read (sale)', (r) => r.dbQueriesPerRead],
    ['DB statements per refusal after sell-out', (r) => r.dbStatementsPerRefusalAfterSellOut],
    ['cached reads/s (read-only)', (r) => r.cachedReads.rps],
    ['cached read p99 (ms)', (r) => r.cachedReads.p99Ms],
    [
      'cores used in the sale: servers / HAProxy / mariadb / redis / generator / latency proxy',
      (r) => {
        const c = r.cpuCores.sale ?? {}
        return `${cell(c.server)} / ${cell(c.loadBalancer)} / ${cell(c.mariadb)} / ${cell(c.redis)} / ${cell(c.generator)} / ${cell(c.proxy)}`
      },
    ],
    [
      'cores used write-only: servers / HAProxy / latency proxy',
      (r) => {
        const c = r.cpuCores.writeOnly ?? {}
        return `${cell(c.server)} / ${cell(c.loadBalancer)} / ${cell(c.proxy)}`
      },
    ],
    ['write-only: confirmed/s', (r) => r.writeOnly?.confirmedPerSec],
    [
      'write-only: time to sell out (s)',
      (r) =>
        r.writeOnly ? (r.writeOnly.soldOut ? r.writeOnly.timeToSellOutSec : 'not sold out') : undefined,
    ],
    [
      'write-only: p50 / p99 (ms)',
      (r) => (r.writeOnly ? `${cell(r.writeOnly.p50Ms)} / ${cell(r.writeOnly.p99Ms)}` : undefined),
    ],
    [
      'write-only: false rej. / oversold / dup.',
      (r) =>
        r.writeOnly
          ? `${r.writeOnly.falseRejections} / ${r.writeOnly.oversold} / ${r.writeOnly.duplicates}`
          : undefined,
    ],
  ]
  const value = (name: 'seedDesign' | 'ours', f: (r: ContenderResult) => unknown) => {
    const r = run[name]
    if (r === undefined) return 'not run'
    return isMeasured(r) ? cell(f(r)) : 'PENDING'
  }
  const rows = [
    ['', 'ceiling (hello world)', "seed's design", 'ours'],
    ['---', '---', '---', '---'],
    ['req/s', cell(run.ceiling.rps), '', ''],
    ['p50 / p99 (ms)', `${cell(run.ceiling.p50Ms)} / ${cell(run.ceiling.p99Ms)}`, '', ''],
    [
      'cores used: servers / HAProxy / generator',
      `${cell(run.ceiling.cpuCores?.server)} / ${cell(run.ceiling.cpuCores?.loadBalancer)} / ${cell(run.ceiling.cpuCores?.generator)}`,
      '',
      '',
    ],
    ...cols.map(([label, f]) => [label, '', value('seedDesign', f), value('ours', f)]),
  ]
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n')
}

export function chartLines(run: ConnectionRun): { throughput: ChartLine[]; latency: ChartLine[] } {
  const throughput: ChartLine[] = [
    { label: 'ceiling req/s', color: '#888', dashed: true, points: run.ceiling.series, value: 'perSec' },
  ]
  const latency: ChartLine[] = [
    { label: 'ceiling p99', color: '#888', dashed: true, points: run.ceiling.series, value: 'p99Ms' },
  ]
  const add = (name: 'seedDesign' | 'ours', label: string, color: string) => {
    const r = run[name]
    if (!isMeasured(r)) return
    throughput.push({
      label: `${label} confirmed/s`,
      color,
      points: r.series.confirmedPerSec,
      value: 'perSec',
    })
    throughput.push({
      label: `${label} req/s`,
      color,
      dashed: true,
      points: r.series.requestsPerSec,
      value: 'perSec',
    })
    latency.push({
      label: `${label} reservation p99`,
      color,
      points: r.series.confirmedPerSec,
      value: 'p99Ms',
    })
    latency.push({
      label: `${label} read p99`,
      color,
      dashed: true,
      points: r.series.requestsPerSec,
      value: 'p99Ms',
    })
  }
  add('seedDesign', "seed's design", '#d62728')
  add('ours', 'ours', '#1f77b4')
  return { throughput, latency }
}
