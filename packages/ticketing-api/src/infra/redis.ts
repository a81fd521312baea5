import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Cluster, Redis, type RedisOptions } from 'ioredis'
import type { Config } from '../config.js'

declare module 'fastify' {
  interface FastifyInstance {
    redis: {
      /** Commands (seat-lock, cache L2, rate limit). */
      client: Redis | Cluster
      /** Pub/sub only (the cache's cross-instance L1 invalidation). */
      subscriber: Redis | Cluster
      /** REDIS_QUORUM_NODES: one client per independent node (GA admission), else undefined. */
      quorum?: Redis[]
    }
  }
}

const COMMON: RedisOptions = {
  // Fail fast when Redis is down: the request becomes a 503, it does not hang.
  maxRetriesPerRequest: 1,
  enableOfflineQueue: true,
  connectTimeout: 5000,
  enableAutoPipelining: true,
}

function connect(redis: NonNullable<Config['redis']>): Redis | Cluster {
  if (redis.clusterNodes) {
    const tls = redis.url?.startsWith('rediss://') ? { tls: {} } : {}
    return new Cluster(redis.clusterNodes, {
      redisOptions: { ...COMMON, ...tls },
      enableAutoPipelining: true,
    })
  }
  return new Redis(redis.url!, COMMON)
}

/**
 * Quorum nodes must fail fast: a dead node answers nothing, and a call waiting on it would stall
 * every admission until it reconnects. No offline queue, no per-request retry, and a command
 * timeout well below the request deadline; the majority of live nodes decides meanwhile.
 */
const QUORUM: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 1000,
  connectTimeout: 2000,
  // Keep trying a dead node, at most every second, so it rejoins the quorum when it is back.
  retryStrategy: (times) => Math.min(times * 100, 1000),
}

/** Waits until a majority of the quorum clients is connected, or `ms` has passed. */
async function majorityReady(clients: Redis[], ms: number): Promise<void> {
  const need = Math.floor(clients.length / 2) + 1
  const deadline = Date.now() + ms
  while (clients.filter((c) => c.status === 'ready').length < need && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** The ioredis clients (single node, rediss://, or cluster), quit on close. */
export const redisPlugin = fp(
  async (app: FastifyInstance, opts: { redis: NonNullable<Config['redis']> }) => {
    const client = connect(opts.redis)
    const subscriber = connect(opts.redis)
    for (const [name, c] of [
      ['redis', client],
      ['redis subscriber', subscriber],
    ] as const) {
      // Errors surface on the commands that fail; this listener only keeps them out of crashes.
      c.on('error', (err) => app.log.warn({ err: err.message }, `${name} connection error`))
    }
    const quorum = opts.redis.quorumNodes?.map((url, i) => {
      const c = new Redis(url, QUORUM)
      c.on('error', (err) => app.log.warn({ err: err.message }, `redis quorum node ${i + 1} error`))
      return c
    })
    // With no offline queue, a command sent before the connection is up fails: start once a
    // majority is connected (a node down at start-up only costs the connect timeout).
    if (quorum) await majorityReady(quorum, QUORUM.connectTimeout! + 1000)
    app.decorate('redis', { client, subscriber, quorum })
    app.addHook('onClose', async () => {
      await Promise.allSettled([client.quit(), subscriber.quit()])
      // quit() would wait for a dead node; disconnect() closes at once (no command is pending
      // that matters: the admission was closed before).
      for (const c of quorum ?? []) c.disconnect()
    })
  },
  { name: 'redis' },
)
