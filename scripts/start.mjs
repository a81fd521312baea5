// `npm start`: build the API and the packages it uses when their sources are newer than their
// dist/ (or there is no dist/), then run it. `npm run dev` (--watch) rebuilds and restarts on every
// change under their src/. With neither DATABASE_URL nor REDIS_URL set, the API runs in embedded
// mode (no Redis or MySQL needed).
//
// In a terminal the JSON log lines go through pino-pretty (colours, readable times); piped or
// redirected output stays raw JSON for log shippers. LOG_PRETTY=0 / LOG_PRETTY=1 force either.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, watch } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const server = join(root, 'packages/ticketing-api/dist/server.js')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const watchMode = process.argv.includes('--watch')
/** The API and every workspace package it is built from. */
const PACKAGES = ['seat-lock', 'inventory-cache', 'ticketing-api'].map((p) => join(root, 'packages', p))
const INPUTS = ['src', 'package.json', 'tsup.config.ts', 'tsconfig.json']

/** Newest modification time (ms) under a file or folder; 0 when it does not exist. */
function newest(path) {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let max = 0
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)))
  return max
}

/** The packages whose sources changed since their last build (or that were never built). */
function stalePackages() {
  return PACKAGES.filter((dir) => {
    const built = existsSync(join(dir, 'dist')) ? newest(join(dir, 'dist')) : 0
    return built === 0 || INPUTS.some((input) => newest(join(dir, input)) > built)
  })
}

function buildIfStale() {
  const stale = stalePackages()
  if (stale.length === 0) return true
  const names = stale.map((dir) => dir.split(/[\\/]/).pop())
  console.log(`start: building (sources newer than dist: ${names.join(', ')})…`)
  const build = spawnSync(
    npm,
    ['exec', '--', 'lerna', 'run', 'build', '--scope', '@ticketing/ticketing-api', '--include-dependencies'],
    { cwd: root, stdio: 'inherit' },
  )
  return build.status === 0
}

function prettyBin() {
  const want = process.env.LOG_PRETTY ?? (process.stdout.isTTY ? '1' : '0')
  if (want === '0') return undefined
  try {
    const require = createRequire(join(root, 'package.json'))
    const pkgFile = require.resolve('pino-pretty/package.json')
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'))
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin['pino-pretty']
    return join(dirname(pkgFile), bin)
  } catch {
    return undefined // not installed (e.g. --omit=dev): raw JSON it is
  }
}

/** Starts the API; its stdout goes through pino-pretty when that is wanted. Returns the child. */
function run() {
  const pretty = prettyBin()
  const api = spawn(process.execPath, [server], {
    cwd: root,
    stdio: ['inherit', pretty ? 'pipe' : 'inherit', 'inherit'],
  })
  if (pretty) {
    const formatter = spawn(process.execPath, [pretty, '--colorize', '--translateTime', 'SYS:HH:MM:ss.l'], {
      stdio: ['pipe', 'inherit', 'inherit'],
    })
    api.stdout.pipe(formatter.stdin)
    api.on('exit', () => formatter.stdin.end())
  }
  return api
}

let child
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    child?.kill(signal)
    if (!child) process.exit(130)
  })
}

if (!buildIfStale()) process.exit(1)
child = run()

if (!watchMode) {
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))
} else {
  let timer
  let restarting = false
  const restart = () => {
    if (restarting) return
    restarting = true
    const next = () => {
      restarting = false
      if (buildIfStale()) child = run()
      else console.log('start: build failed; waiting for the next change')
    }
    if (child.exitCode !== null || child.signalCode !== null) next()
    else {
      child.once('exit', next)
      child.kill('SIGTERM')
    }
  }
  for (const dir of PACKAGES) {
    watch(join(dir, 'src'), { recursive: true }, () => {
      clearTimeout(timer)
      timer = setTimeout(restart, 300)
    })
  }
  console.log('dev: watching packages/{seat-lock,inventory-cache,ticketing-api}/src; Ctrl-C stops')
}
