/**
 * `npm run bench`: every benchmark of the repository, one after the other (never in parallel: they
 * share two cores), each in its own process: the seat-lock and inventory-cache microbenchmarks
 * when their run.ts exists, then the on-sale macro benchmark. Arguments are forwarded to each
 * (e.g. `npm run bench -- --quick`). Exits non-zero if any of them failed.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const suites = ['seat-lock/run.ts', 'inventory-cache/run.ts', 'onsale/run.ts']

const failed: string[] = []
for (const suite of suites) {
  const file = join(here, suite)
  if (!existsSync(file)) {
    console.log(`\n=== ${suite}: not present, skipped`)
    continue
  }
  console.log(`\n=== ${suite}`)
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: 'inherit', cwd: here })
    child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)))
  })
  if (code !== 0) failed.push(`${suite} (exit ${code})`)
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`)
  process.exitCode = 1
}
