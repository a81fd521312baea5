import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import mysql from 'mysql2/promise'
import { freePort, type Spawned, spawnServer, waitFor } from './processes.js'
import { requireTool } from './tools.js'

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

/** Opens a connection to `url`, runs `work`, and always closes it. */
export async function withConnection<T>(
  url: string,
  work: (conn: mysql.Connection) => Promise<T>,
): Promise<T> {
  const conn = await mysql.createConnection(url)
  try {
    return await work(conn)
  } finally {
    await conn.end()
  }
}

const asAdmin = <T>(serverUrl: string, work: (conn: mysql.Connection) => Promise<T>) =>
  withConnection(withDatabase(serverUrl, ''), work)

/**
 * Creates a fresh, uniquely named database on a MariaDB server (the shared one by default),
 * so that test files running in parallel never share tables.
 */
export async function createTestDatabase(serverUrl = sharedDatabaseUrl, label = 't'): Promise<TestDatabase> {
  const name = `${label}_${randomBytes(5).toString('hex')}`
  await asAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE \`${name}\``))
  return {
    name,
    url: withDatabase(serverUrl, name),
    async drop() {
      await asAdmin(serverUrl, (conn) => conn.query(`DROP DATABASE IF EXISTS \`${name}\``))
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
  /**
   * The server's `server_id`; give each server of a replication topology its own.
   * @default 1
   */
  serverId?: number
  /**
   * Writes a binary log (`--log-bin`, row format, `log_slave_updates`), as a replication
   * primary, or a replica that may be promoted, needs. Without it the binary log is off (faster).
   * @default false
   */
  logBin?: boolean
  /** Starts with `read_only=1` (an Aurora reader; users without READ ONLY ADMIN cannot write). @default false */
  readOnly?: boolean
}

/**
 * Starts a dedicated mariadbd on its own port, socket and data directory (never the shared one),
 * with root and an empty password, and a `test` database.
 */
export async function startMariaDb(options: StartMariaDbOptions = {}): Promise<MariaDbServer> {
  const mariadbd = requireTool('mariadbd', 'mariadb-server')
  const installDb = requireTool('mariadb-install-db', 'mariadb-server')
  const dir = await mkdtemp(join(tmpdir(), 'testkit-mariadb-'))
  const datadir = join(dir, 'data')
  const socket = join(dir, 'mysqld.sock')
  const port = await freePort()
  // A temporary directory of its own: several servers bootstrapping at once in the shared /tmp
  // collided on their internal temporary tables ("#sql-temptable-…": install-db aborted with
  // "Unknown table 'mysql.tmp_user_sys'", once in mariadbd's signal 11).
  const tmp = join(dir, 'tmp')
  await mkdir(tmp)
  await run(installDb, [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--tmpdir=${tmp}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--user=root',
  ])
  const args = [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--tmpdir=${tmp}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--pid-file=${join(dir, 'mysqld.pid')}`,
    '--user=root',
    `--server-id=${options.serverId ?? 1}`,
    ...(options.logBin
      ? [`--log-bin=${join(dir, 'binlog')}`, '--binlog-format=ROW', '--log-slave-updates=ON']
      : ['--skip-log-bin']),
    ...(options.readOnly ? ['--read-only=ON'] : []),
    '--innodb-buffer-pool-size=64M',
    '--innodb-log-file-size=48M',
    '--innodb-flush-log-at-trx-commit=2',
    '--max-connections=500',
    // As the shared server (Debian's default): latin1 would break utf8mb4 foreign keys.
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    ...(options.args ?? []),
  ]
  let proc = spawnServer(mariadbd, args)
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
      proc = spawnServer(mariadbd, args)
      await ready()
    },
    async stop() {
      await proc.stop(15_000)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** A MariaDB user made for a test, whose password can be rotated. */
export interface DbUser {
  readonly user: string
  /** The current password (changes with `rotate`). */
  readonly password: string
  /** mysql://user:password@host:port/database with the current password. */
  readonly url: string
  /**
   * Changes the password (ALTER USER … IDENTIFIED BY), as a Secrets Manager rotation does, and
   * returns the new one. Connections already open stay open; new ones need the new password.
   */
  rotate(newPassword?: string): Promise<string>
  /** Drops the user. */
  drop(): Promise<void>
}

/** Options of `createDbUser`. */
export interface CreateDbUserOptions {
  /** Database the user may use (all privileges on it, none global: no SUPER, no READ ONLY ADMIN). */
  database: string
  /** An admin URL of the server (root). @default sharedDatabaseUrl */
  serverUrl?: string
  /** @default 'app_' + random hex, so engineers sharing a server never collide */
  user?: string
  /** @default random hex */
  password?: string
}

const randomPassword = () => randomBytes(12).toString('hex')

/**
 * Creates a non-admin user `user`@'%' with the privileges an application has (Aurora's app
 * user): everything on one database and nothing global, so `read_only=1` applies to it (MySQL
 * error 1290 on writes) while it does not apply to root. For the credential-rotation tests.
 */
export async function createDbUser(options: CreateDbUserOptions): Promise<DbUser> {
  const serverUrl = options.serverUrl ?? sharedDatabaseUrl
  const user = options.user ?? `app_${randomBytes(4).toString('hex')}`
  let password = options.password ?? randomPassword()
  if (!/^\w+$/.test(user) || !/^\w+$/.test(options.database)) {
    throw new Error('createDbUser: user and database must be word characters')
  }
  await asAdmin(serverUrl, async (conn) => {
    await conn.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [user, password])
    await conn.query(`GRANT ALL PRIVILEGES ON \`${options.database}\`.* TO ?@'%'`, [user])
  })
  const urlFor = () => {
    const u = new URL(withDatabase(serverUrl, options.database))
    u.username = user
    u.password = password
    return u.toString()
  }
  return {
    user,
    get password() {
      return password
    },
    get url() {
      return urlFor()
    },
    async rotate(next = randomPassword()) {
      await asAdmin(serverUrl, (conn) => conn.query(`ALTER USER ?@'%' IDENTIFIED BY ?`, [user, next]))
      password = next
      return next
    },
    async drop() {
      await asAdmin(serverUrl, (conn) => conn.query(`DROP USER IF EXISTS ?@'%'`, [user]))
    },
  }
}
