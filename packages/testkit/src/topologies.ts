import { once } from 'node:events'
import type { Cluster, Redis } from 'ioredis'
import { type RedisServer, sharedRedis, startRedisCluster, startRedisNodes } from './redis.js'

/**
 * A running Redis topology for a contract suite. `clients` has one client for `single` and
 * `cluster`, and one per node for `quorum`. Fault tests reach the processes through `nodes`.
 */
export interface RedisTopology {
  readonly kind: 'single' | 'quorum' | 'cluster'
  readonly name: string
  readonly clients: Array<Redis | Cluster>
  /** The servers behind it (empty for the shared single node, which tests must never stop). */
  readonly nodes: RedisServer[]
  teardown(): Promise<void>
}

export interface TopologySpec {
  readonly name: string
  readonly kind: RedisTopology['kind']
  start(): Promise<RedisTopology>
}

const single: TopologySpec = {
  name: 'single node',
  kind: 'single',
  async start() {
    const client = sharedRedis()
    return {
      kind: 'single',
      name: this.name,
      clients: [client],
      nodes: [],
      teardown: async () => void client.disconnect(),
    }
  },
}

function quorum(n: number): TopologySpec {
  return {
    name: `quorum of ${n}`,
    kind: 'quorum',
    async start() {
      const nodes = await startRedisNodes(n)
      // Fail fast when a node is down (no offline queue), as a quorum client should.
      const clients = nodes.map((s) => s.client({ maxRetriesPerRequest: 0, enableOfflineQueue: false }))
      await Promise.all(clients.map((c) => (c.status === 'ready' ? undefined : once(c, 'ready'))))
      return {
        kind: 'quorum',
        name: this.name,
        clients,
        nodes,
        teardown: async () => void (await Promise.all(nodes.map((s) => s.stop()))),
      }
    },
  }
}

const cluster: TopologySpec = {
  name: 'cluster of 3 masters',
  kind: 'cluster',
  async start() {
    const handle = await startRedisCluster(3)
    const client = handle.client()
    await client.ping()
    return {
      kind: 'cluster',
      name: this.name,
      clients: [client],
      nodes: handle.nodes,
      teardown: () => handle.stop(),
    }
  },
}

/**
 * The topologies every Redis contract suite runs on, in one place:
 * `describe.each(redisTopologies())('on $name', (spec) => …)`.
 */
export function redisTopologies(
  kinds: Array<'single' | 'quorum3' | 'quorum5' | 'cluster'> = ['single', 'quorum3', 'quorum5', 'cluster'],
): TopologySpec[] {
  const all = { single, quorum3: quorum(3), quorum5: quorum(5), cluster }
  return kinds.map((k) => all[k])
}
