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
    app.decorate('redis', { client, subscriber })
    app.addHook('onClose', async () => {
      await Promise.allSettled([client.quit(), subscriber.quit()])
    })
  },
  { name: 'redis' },
)
