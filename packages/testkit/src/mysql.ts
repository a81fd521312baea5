import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import mysql from 'mysql2/promise'
import { freePort, type Spawned, spawnServer, waitFor } from './processes.js'

const run = promisify(execFile)

/** The shared MariaDB of the machine (or TEST_DATABASE_URL). */
export const sharedDatabaseUrl = process.env.TEST_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test'

export interface TestDatabase {
  readonly name: string
  /** mysql://… URL of the fresh database. */
  readonly url: string
  /** Drops the database. */
  drop(): Promise<void>
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/**
 * Creates a fresh, uniquely named database on a MariaDB server (the shared one by default),
 * so that test files running in parallel never share tables.
 */
export async function createTestDatabase(serverUrl = sharedDatabaseUrl, label = 't'): Promise<TestDatabase> {
  const name = `${label}_${randomBytes(5).toString('hex')}`
  const admin = await mysql.createConnection(withDatabase(serverUrl, ''))
  try {
    await admin.query(`CREATE DATABASE \`${name}\``)
  } finally {
    await admin.end()
  }
  return {
    name,
    url: withDatabase(serverUrl, name),
    async drop() {
      const conn = await mysql.createConnection(withDatabase(serverUrl, ''))
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``)
      } finally {
        await conn.end()
      }
    },
  }
}

export interface MariaDbServer {
  readonly port: number
  /** mysql://root@127.0.0.1:PORT/test */
  readonly url: string
  readonly process: Spawned
  /** SIGKILL, keeping the data directory for `restart`. */
  kill(): Promise<void>
  /** Starts mariadbd again on the same port and data directory; waits until it answers. */
  restart(): Promise<void>
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>
}

/** Options of `startMariaDb`. */
export interface StartMariaDbOptions {
  /**
   * Extra mariadbd arguments appended to the defaults, e.g. `['--performance-schema=ON']` to
   * count statements per digest (the on-sale benchmark does).
   * @default []
   */
  args?: string[]
}

/**
 * Starts a dedicated mariadbd on its own port, socket and data directory (never the shared one),
 * with root and an empty password, and a `test` database.
 */
export async function startMariaDb(options: StartMariaDbOptions = {}): Promise<MariaDbServer> {
  const dir = await mkdtemp(join(tmpdir(), 'testkit-mariadb-'))
  const datadir = join(dir, 'data')
  const socket = join(dir, 'mysqld.sock')
  const port = await freePort()
  await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${datadir}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--user=root',
  ])
  const args = [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--pid-file=${join(dir, 'mysqld.pid')}`,
    '--user=root',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=64M',
    '--innodb-log-file-size=48M',
    '--innodb-flush-log-at-trx-commit=2',
    '--max-connections=500',
    // As the shared server (Debian's default): latin1 would break utf8mb4 foreign keys.
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    ...(options.args ?? []),
  ]
  let proc = spawnServer('/usr/sbin/mariadbd', args)
  const url = `mysql://root@127.0.0.1:${port}/test`
  const ready = async () => {
    await waitFor(
      `mariadbd on port ${port}`,
      async () => {
        const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' })
        await conn.query('CREATE DATABASE IF NOT EXISTS test')
        await conn.end()
        return true
      },
      60_000,
      200,
    ).catch((e) => {
      throw new Error(`${e.message}\n${proc.output()}`)
    })
  }
  try {
    await ready()
  } catch (error) {
    await proc.kill()
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  return {
    port,
    url,
    get process() {
      return proc
    },
    async kill() {
      await proc.kill()
    },
    async restart() {
      await proc.kill()
      proc = spawnServer('/usr/sbin/mariadbd', args)
      await ready()
    },
    async stop() {
      await proc.stop(15_000)
      await rm(dir, { recursive: true, force: true })
    },
  }
}
