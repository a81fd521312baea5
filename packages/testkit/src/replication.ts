import {
  createDbUser,
  type DbUser,
  type MariaDbServer,
  type StartMariaDbOptions,
  startMariaDb,
  withConnection,
} from './mysql.js'
import { type DelayProxy, startDelayProxy } from './proxy.js'

/** Options of `startReplicatedMariaDb`. */
export interface ReplicatedMariaDbOptions {
  /** Extra mariadbd arguments for both servers. @default [] */
  args?: StartMariaDbOptions['args']
  /** Name of the application user created on the writer (replicated to the reader). @default 'app' */
  appUser?: string
}

/** Options of `failover`. */
export interface FailoverOptions {
  /**
   * Cuts the connections open through the endpoint. Aurora does not: a DNS endpoint moving leaves
   * pooled connections on the old writer, which then answer writes with error 1290
   * (read-only), and that is what the service must survive.
   * @default false
   */
  dropConnections?: boolean
  /** How long to wait for the reader to apply everything the old writer committed. @default 30_000 */
  catchUpTimeoutMs?: number
}

/** A writer and a reader with GTID replication, behind a cluster endpoint that follows the writer. */
export interface ReplicatedMariaDb {
  /** The current writer (changes at `failover`). */
  readonly writer: MariaDbServer
  /** The current reader (`read_only=1`). */
  readonly reader: MariaDbServer
  /** The TCP endpoint that follows the writer (Aurora's cluster endpoint); a `startDelayProxy`. */
  readonly endpoint: DelayProxy
  /** The application user (no SUPER, no READ ONLY ADMIN), on database `test`. */
  readonly app: DbUser
  /** The app user's URL, with its password, through the endpoint, database `test`: what the service is given as DATABASE_URL. */
  readonly url: string
  /** mysql://root@127.0.0.1:ENDPOINT/test, for admin work on the current writer. */
  readonly rootUrl: string
  /** Waits until the reader has applied everything the writer has committed so far. */
  waitInSync(timeoutMs?: number): Promise<void>
  /**
   * An Aurora-style writer failover: the old writer turns `read_only=1` (pooled connections to
   * it get error 1290 on writes), the reader catches up, is promoted (STOP SLAVE; RESET SLAVE
   * ALL; read_only=0), and the endpoint moves to it. Afterwards the old writer stays read-only
   * and out of replication.
   */
  failover(options?: FailoverOptions): Promise<void>
  /** Stops both servers (by pid) and the endpoint. */
  stop(): Promise<void>
}

type Row = Record<string, unknown>

async function replicaStatus(url: string): Promise<Row | undefined> {
  return withConnection(url, async (conn) => {
    const [rows] = await conn.query('SHOW SLAVE STATUS')
    return (rows as Row[])[0]
  })
}

/**
 * Starts two dedicated mariadbd servers (binary log on, distinct server ids) as a GTID
 * primary + replica (`CHANGE MASTER TO … MASTER_USE_GTID=slave_pos`), a TCP endpoint in front
 * of the primary, and an `app` user; waits until replication runs. Models Aurora MySQL's
 * writer + reader for failover tests (Aurora's storage is shared, so no committed write is lost
 * in its failover: `failover()` waits for the reader to catch up to keep that true here).
 */
export async function startReplicatedMariaDb(
  options: ReplicatedMariaDbOptions = {},
): Promise<ReplicatedMariaDb> {
  const started: MariaDbServer[] = []
  let endpoint: DelayProxy | undefined
  const stopAll = async () => {
    await endpoint?.close()
    await Promise.allSettled(started.map((s) => s.stop()))
  }
  try {
    const [primary, replica] = (await Promise.all(
      [
        { serverId: 1, readOnly: false },
        { serverId: 2, readOnly: true },
      ].map(async (o) => {
        const server = await startMariaDb({ ...o, logBin: true, args: options.args })
        started.push(server)
        return server
      }),
    )) as [MariaDbServer, MariaDbServer]
    await withConnection(replica.url, async (conn) => {
      // The replica's own start-up statements must not count as transactions of its own.
      await conn.query('RESET MASTER')
      await conn.query(`SET GLOBAL gtid_slave_pos = ''`)
      await conn.query(
        `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=?, MASTER_USER='root', MASTER_PASSWORD='',
         MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos`,
        [primary.port],
      )
      await conn.query('START SLAVE')
    })
    endpoint = await startDelayProxy({ targetPort: primary.port })
    const proxy = endpoint
    let writer = primary
    let reader = replica
    const rootUrl = `mysql://root@127.0.0.1:${proxy.port}/test`
    const app = await createDbUser({ serverUrl: rootUrl, database: 'test', user: options.appUser ?? 'app' })

    const waitInSync = async (timeoutMs = 30_000) => {
      const [position] = await withConnection(writer.url, async (conn) => {
        const [rows] = await conn.query('SELECT @@gtid_binlog_pos AS pos')
        return (rows as Array<{ pos: string }>).map((r) => r.pos)
      })
      const waited = await withConnection(reader.url, async (conn) => {
        const [rows] = await conn.query('SELECT MASTER_GTID_WAIT(?, ?) AS r', [position, timeoutMs / 1000])
        return (rows as Array<{ r: number }>)[0]?.r
      })
      if (waited !== 0) {
        const status = await replicaStatus(reader.url)
        throw new Error(
          `replica did not reach ${position} within ${timeoutMs} ms: IO ${status?.Slave_IO_Running}, ` +
            `SQL ${status?.Slave_SQL_Running}, ${status?.Last_IO_Error || status?.Last_SQL_Error || 'no error'}`,
        )
      }
    }
    await waitInSync()

    return {
      get writer() {
        return writer
      },
      get reader() {
        return reader
      },
      endpoint: proxy,
      app,
      get url() {
        return app.url
      },
      rootUrl,
      waitInSync,
      async failover(failoverOptions = {}) {
        const old = writer
        await withConnection(old.url, (conn) => conn.query('SET GLOBAL read_only = 1'))
        await waitInSync(failoverOptions.catchUpTimeoutMs)
        await withConnection(reader.url, async (conn) => {
          await conn.query('STOP SLAVE')
          await conn.query('RESET SLAVE ALL')
          await conn.query('SET GLOBAL read_only = 0')
        })
        writer = reader
        reader = old
        proxy.retarget(writer.port, { keepConnections: !failoverOptions.dropConnections })
      },
      stop: stopAll,
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}
