// Restores the lockfile entries of other platforms' optional binaries (e.g.
// @rollup/rollup-darwin-arm64, @biomejs/cli-win32-x64) that `npm install` leaves out when the
// registry it talks to does not serve them. `npm ci` insists that every optional dependency has
// a lockfile entry, even one it would skip on this platform, so without them it refuses the
// lockfile. Each restored entry is what npm writes on a complete registry: the version, the
// `optional` flag, and the `os` / `cpu` / `libc` that make npm skip it on every other platform.
// Run it after any `npm install` that rewrites package-lock.json: `npm run lockfile:platforms`.
import { readFileSync, writeFileSync } from 'node:fs'

const OS = [
  'android',
  'darwin',
  'freebsd',
  'linux',
  'netbsd',
  'openbsd',
  'openharmony',
  'sunos',
  'win32',
  'aix',
]
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el', 'wasm32']

/** os / cpu / libc of a platform package, from its name (`<pkg>-<os>-<cpu>[-<abi>]`), or null. */
function platformOf(name) {
  const parts = name.split('/').pop().split('-')
  const os = parts.find((p) => OS.includes(p))
  const cpu = parts.find((p) => CPU.includes(p))
  if (!os || !cpu) return null
  const entry = { os: [os], cpu: [cpu] }
  if (os === 'linux') {
    entry.libc = [parts.some((p) => p.startsWith('musl')) ? 'musl' : 'glibc']
  }
  return entry
}

const file = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(file, 'utf8'))
const added = []
for (const [path, pkg] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const platform = platformOf(dep)
    if (!platform) continue
    const nested = `${path ? `${path}/` : ''}node_modules/${dep}`
    if (lock.packages[nested] || lock.packages[`node_modules/${dep}`]) continue
    // npm writes `version` first and the other fields in alphabetical order.
    const fields = { ...(pkg.dev ? { dev: true } : {}), optional: true, ...platform }
    lock.packages[`node_modules/${dep}`] = {
      version,
      ...Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b, 'en'))),
    }
    added.push(`${dep}@${version}`)
  }
}
// npm keeps `packages` sorted by path.
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => a.localeCompare(b, 'en')))
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`)
console.log(
  added.length
    ? `lockfile-platforms: restored ${added.length} entries:\n  ${added.join('\n  ')}`
    : 'lockfile-platforms: nothing missing',
)
