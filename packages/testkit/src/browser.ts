import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** Where a browser test stands: a Chromium to launch (`path`), or why there is none (`reason`). */
export interface ChromiumLookup {
  readonly path?: string
  readonly reason: string
}

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']

function onPath(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
  const found = r.status === 0 ? r.stdout.trim() : ''
  return found && existsSync(found) ? found : undefined
}

/**
 * Finds a Chromium for playwright-core (CHROMIUM_PATH, then the usual names on PATH). When there
 * is none and we are root on a Debian-like machine, installs Debian's `chromium` with apt-get
 * (the npm registry and Debian's packages are what a fresh machine reaches; playwright's own
 * browser download does not work there). Never throws: the caller decides to skip or fail.
 */
export function findOrInstallChromium(env: NodeJS.ProcessEnv = process.env): ChromiumLookup {
  if (env.CHROMIUM_PATH) {
    return existsSync(env.CHROMIUM_PATH)
      ? { path: env.CHROMIUM_PATH, reason: 'CHROMIUM_PATH' }
      : { reason: `CHROMIUM_PATH=${env.CHROMIUM_PATH} does not exist` }
  }
  const find = () => CANDIDATES.map(onPath).find(Boolean)
  const found = find()
  if (found) return { path: found, reason: 'on PATH' }
  const hint =
    "install Debian's package (as root: apt-get update && apt-get install -y chromium) or set CHROMIUM_PATH"
  if (process.getuid?.() !== 0 || !onPath('apt-get')) return { reason: `no Chromium found; ${hint}` }
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, {
      stdio: 'ignore',
      timeout: 600_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0
  console.warn('[browser] no Chromium found: installing Debian package chromium with apt-get')
  if (
    !(
      apt(['install', '-y', '-qq', 'chromium']) ||
      (apt(['update', '-qq']) && apt(['install', '-y', '-qq', 'chromium']))
    )
  ) {
    return { reason: `no Chromium found and apt-get install chromium failed; ${hint}` }
  }
  const installed = find()
  return installed
    ? { path: installed, reason: 'installed with apt-get' }
    : { reason: `apt-get installed chromium but it is not on PATH; ${hint}` }
}
