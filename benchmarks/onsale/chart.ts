/**
 * A dependency-free SVG of one connection count's run: throughput over time (top) and p99 latency
 * over time (bottom) for the ceiling, the seed's design and ours, both on log scales because the
 * three differ by orders of magnitude.
 */
import type { SeriesPoint } from './stats.js'

export interface ChartLine {
  label: string
  color: string
  dashed?: boolean
  points: SeriesPoint[]
  value: 'perSec' | 'p99Ms'
}

const W = 900
const PANEL_H = 260
const M = { left: 70, right: 220, top: 40, bottom: 40 }

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function panel(lines: ChartLine[], title: string, unit: string, y0: number, maxT: number): string {
  const values = lines.flatMap((l) =>
    l.points.map((p) => p[l.value]).filter((v): v is number => v !== null && v > 0),
  )
  if (values.length === 0) return ''
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)))
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)))
  const plotW = W - M.left - M.right
  const plotH = PANEL_H - M.top - M.bottom
  const x = (t: number) => M.left + (t / maxT) * plotW
  const y = (v: number) =>
    y0 + M.top + plotH - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH
  const out: string[] = []
  out.push(`<text x="${M.left}" y="${y0 + 24}" font-size="15" font-weight="bold">${esc(title)}</text>`)
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(d)}" y2="${y(d)}" stroke="#ddd"/>`)
    out.push(
      `<text x="${M.left - 6}" y="${y(d) + 4}" font-size="11" text-anchor="end">${d >= 1 ? d.toLocaleString('en-US') : d}</text>`,
    )
  }
  const step = maxT > 60 ? 10 : maxT > 20 ? 5 : maxT > 5 ? 1 : 0.5
  for (let t = 0; t <= maxT + 1e-9; t += step) {
    out.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${y0 + M.top}" y2="${y0 + M.top + plotH}" stroke="#f0f0f0"/>`,
    )
    out.push(
      `<text x="${x(t)}" y="${y0 + M.top + plotH + 16}" font-size="11" text-anchor="middle">${t}s</text>`,
    )
  }
  out.push(
    `<text x="14" y="${y0 + M.top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${y0 + M.top + plotH / 2})" text-anchor="middle">${esc(unit)}</text>`,
  )
  out.push(
    `<rect x="${M.left}" y="${y0 + M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  )
  lines.forEach((l, i) => {
    const pts = l.points
      .filter((p) => p[l.value] !== null && (p[l.value] as number) > 0)
      .map((p) => `${x(p.t).toFixed(1)},${y(p[l.value] as number).toFixed(1)}`)
    if (pts.length > 0) {
      const dash = l.dashed ? ' stroke-dasharray="6 4"' : ''
      out.push(
        `<polyline fill="none" stroke="${l.color}" stroke-width="2"${dash} points="${pts.join(' ')}"/>`,
      )
      if (pts.length === 1) {
        const [px, py] = pts[0]!.split(',')
        out.push(`<circle cx="${px}" cy="${py}" r="3" fill="${l.color}"/>`)
      }
    }
    const ly = y0 + M.top + 10 + i * 18
    const lx = W - M.right + 12
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${l.color}" stroke-width="2"${l.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    )
    out.push(`<text x="${lx + 30}" y="${ly + 4}" font-size="11">${esc(l.label)}</text>`)
  })
  return out.join('\n')
}

export function renderChart(
  title: string,
  throughput: ChartLine[],
  latency: ChartLine[],
  footnote: string,
): string {
  const maxT = Math.max(1, ...[...throughput, ...latency].flatMap((l) => l.points.map((p) => p.t + 1)))
  const H = PANEL_H * 2 + 60
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" font-size="16" text-anchor="middle">${esc(title)}</text>`,
    panel(throughput, 'Throughput over time (log scale)', 'per second', 10, maxT),
    panel(latency, 'p99 latency over time (log scale)', 'ms', 10 + PANEL_H, maxT),
    ...footnote
      .split('\n')
      .map(
        (line, i, all) =>
          `<text x="${M.left}" y="${H - 8 - (all.length - 1 - i) * 13}" font-size="10" fill="#555">${esc(line.length > 150 ? `${line.slice(0, 147)}…` : line)}</text>`,
      ),
    '</svg>',
  ].join('\n')
}
