// Every publishable package: the built output loads with `import` and `require`, its types
// resolve under node16/nodenext and bundler resolution (@arethetypeswrong/cli), publint finds
// nothing wrong, and `npm pack` ships only dist/, the README and the license.
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = join(import.meta.dirname, '..')
const bin = (name: string) => join(root, 'node_modules/.bin', name)

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({
    dir: join(root, 'packages', dir),
    pkg: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
  }))
  .filter(({ pkg }) => !pkg.private)

describe.each(packages)('$pkg.name', ({ dir, pkg }) => {
  it('loads with require() and import()', async () => {
    const cjs = await run(
      process.execPath,
      ['-e', `console.log(Object.keys(require(${JSON.stringify(pkg.name)})).length)`],
      { cwd: dir },
    )
    const esm = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(pkg.name)}); console.log(Object.keys(m).length)`,
      ],
      { cwd: dir },
    )
    expect(Number(cjs.stdout)).toBeGreaterThan(0)
    expect(Number(esm.stdout)).toBe(Number(cjs.stdout))
  })

  it('has an exports map with types for both conditions', () => {
    const main = pkg.exports['.']
    expect(main.import.types).toMatch(/\.d\.ts$/)
    expect(main.require.types).toMatch(/\.d\.cts$/)
  })

  it('resolves its types under node16 and bundler (attw), and passes publint', async () => {
    const attw = await run(bin('attw'), ['--pack', '.', '--format', 'json', '--profile', 'node16'], {
      cwd: dir,
    }).catch((e) => e)
    const report = JSON.parse(attw.stdout)
    expect(report.analysis.problems ?? [], JSON.stringify(report.analysis.problems, null, 1)).toEqual([])
    const kinds = Object.keys(report.analysis.entrypoints['.'].resolutions)
    expect(kinds).toEqual(expect.arrayContaining(['node16-cjs', 'node16-esm', 'bundler']))
    const publint = await run(bin('publint'), ['--strict'], { cwd: dir }).catch((e) => e)
    expect(publint.code ?? 0, publint.stdout + publint.stderr).toBe(0)
  })

  it('packs only dist/, README.md, LICENSE and package.json', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json'], { cwd: dir })
    const files: string[] = JSON.parse(stdout)[0].files.map((f: { path: string }) => f.path)
    const unexpected = files.filter((f) => !/^(dist\/.+|README\.md|LICENSE|package\.json)$/.test(f))
    expect(unexpected).toEqual([])
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'LICENSE',
        'package.json',
        'dist/index.js',
        'dist/index.cjs',
        'dist/index.d.ts',
      ]),
    )
  })
})
