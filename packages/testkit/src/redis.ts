import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'
import { freePort, type Spawned, spawnServer, waitFor } from './processes.js'

const run = promisify(execFile)

/** The shared Redis of the machine (or TEST_REDIS_URL). Tests must not FLUSHALL it. */
export const sharedRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A client of the shared Redis. The caller quits it. */
export function sharedRedis(): Redis {
  return new Redis(sharedRedisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 })
}

/** A fresh prefix, so that tests sharing one Redis never see each other's keys. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomBytes(4).toString('hex')}`
}

export interface RedisServer {
  readonly port: number
  readonly url: string
  readonly process: Spawned
  /** A new client of this server (closed by `stop`, or by the caller with `quit`). */
  client(options?: RedisOptions): Redis
  /** SIGKILL (a crash); the port stays reserved for `restart`. */
  kill(): Promise<void>
  /** Starts a fresh, empty server on the same port (no persistence). */
  restart(): Promise<void>
  stop(): Promise<void>
}

function redisArgs(port: number, extra: string[]): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--protected-mode',
    'no',
    '--dir',
    '/tmp',
    '--dbfilename',
    `testkit-${port}.rdb`,
    ...extra,
  ]
}

async function ping(port: number): Promise<boolean> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null })
  probe.on('error', () => {})
  try {
    await probe.connect()
    return (await probe.ping()) === 'PONG'
  } finally {
    probe.disconnect()
  }
}

/** Starts one redis-server on a free port (or `port`), and waits until it answers. */
export async function startRedis(options: { port?: number; args?: string[] } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort())
  const extra = options.args ?? []
  const clients = new Set<Redis>()
  let proc = spawnServer('redis-server', redisArgs(port, extra))
  const ready = () =>
    waitFor(`redis-server on port ${port}`, () => ping(port), 20_000).catch((e) => {
      throw new Error(`${e.message}\n${proc.output()}`)
    })
  await ready()
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get process() {
      return proc
    },
    client(clientOptions = {}) {
      const client = new Redis({ host: '127.0.0.1', port, ...clientOptions })
      client.on('error', () => {})
      clients.add(client)
      return client
    },
    async kill() {
      await proc.kill()
    },
    async restart() {
      await proc.kill()
      proc = spawnServer('redis-server', redisArgs(port, extra))
      await ready()
    },
    async stop() {
      for (const c of clients) c.disconnect()
      clients.clear()
      await proc.stop()
    },
  }
  return server
}

/** N independent redis-servers: the quorum (Redlock) topology. */
export async function startRedisNodes(count: number): Promise<RedisServer[]> {
  const servers: RedisServer[] = []
  try {
    for (let i = 0; i < count; i++) servers.push(await startRedis())
    return servers
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()))
    throw error
  }
}

export interface RedisClusterHandle {
  readonly nodes: RedisServer[]
  /** A new cluster client (closed by `stop`). */
  client(options?: ClusterOptions): Cluster
  stop(): Promise<void>
}

/** Starts `masters` cluster-enabled redis-servers and joins them with `redis-cli --cluster create`. */
export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  const nodes: RedisServer[] = []
  const clients = new Set<Cluster>()
  const stop = async () => {
    for (const c of clients) c.disconnect()
    await Promise.all(nodes.map((n) => n.stop()))
  }
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort()
      nodes.push(
        await startRedis({
          port,
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `/tmp/testkit-cluster-${port}-${Date.now()}.conf`,
            '--cluster-node-timeout',
            '2000',
          ],
        }),
      )
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ])
    await waitFor('cluster_state:ok on every node', async () => {
      for (const n of nodes) {
        const { stdout } = await run('redis-cli', ['-p', String(n.port), 'cluster', 'info'])
        if (!stdout.includes('cluster_state:ok')) return false
      }
      return true
    })
  } catch (error) {
    await stop()
    throw error
  }
  return {
    nodes,
    client(options = {}) {
      const client = new Cluster(
        nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
        { ...options },
      )
      client.on('error', () => {})
      clients.add(client)
      return client
    },
    stop,
  }
}
