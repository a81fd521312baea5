// `npm start`: build once if the API has never been built, then run it. With neither
// DATABASE_URL nor REDIS_URL set, the API runs in embedded mode (no Redis or MySQL needed).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const server = join(root, 'packages/ticketing-api/dist/server.js')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

if (!existsSync(server)) {
  console.log('start: building the packages first (one time)…')
  const build = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
}
const run = spawnSync(process.execPath, [server], { cwd: root, stdio: 'inherit' })
process.exit(run.status ?? 0)
