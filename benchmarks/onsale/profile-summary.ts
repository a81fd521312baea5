/**
 * Where did a server's CPU go? Summarises V8 .cpuprofile files (written by
 * `npm run bench:onsale -- --cpu-prof`) by self time: per package or area, and the top functions.
 *
 *   npx tsx benchmarks/onsale/profile-summary.ts <dir-or-file.cpuprofile>…
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
interface Profile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
}

/** The package (or area) a script belongs to. */
function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)'
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]!
  const pkg = /packages\/([^/]+)\//.exec(url)
  if (pkg) return `@ticketing/${pkg[1]}`
  if (url.includes('/onsale/')) return 'onsale (benchmark code)'
  return url
}

export async function summarise(file: string, top = 20): Promise<string> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile
  const total = profile.samples.length
  const byArea = new Map<string, number>()
  const byFn = new Map<string, number>()
  let urls = ''
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0
    const { functionName, url, lineNumber } = node.callFrame
    if (url.includes('ticketing-api') || url.includes('seed-design') || url.includes('ceiling')) urls = url
    if (hits === 0) continue
    const a = area(url, functionName)
    byArea.set(a, (byArea.get(a) ?? 0) + hits)
    const fn = `${functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : ''}`
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits)
  }
  const pct = (n: number) => `${((100 * n) / total).toFixed(1).padStart(5)}%`
  const lines = [
    `${file}  (${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, ${total} samples; ${urls}`,
  ]
  lines.push('  by area (self time):')
  for (const [a, n] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, 15)) lines.push(`    ${pct(n)}  ${a}`)
  lines.push('  top functions (self time):')
  for (const [f, n] of [...byFn].sort((x, y) => y[1] - x[1]).slice(0, top)) lines.push(`    ${pct(n)}  ${f}`)
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const arg of process.argv.slice(2)) {
    const files = (await stat(arg)).isDirectory()
      ? (await readdir(arg)).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(arg, f))
      : [arg]
    for (const f of files) console.log(`${await summarise(f)}\n`)
  }
}
