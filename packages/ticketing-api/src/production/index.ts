import { createInventoryCache } from '@ticketing/inventory-cache'
import { createSeatLock } from '@ticketing/seat-lock'
import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Config } from '../config.js'
import type { Metrics } from '../metrics/index.js'
import { mysqlPlugin } from '../plugins/mysql.js'
import { redisPlugin } from '../plugins/redis.js'
import type { Backend } from '../ports/index.js'
import { createInventoryEventCache } from './cache.js'
import { runMigrations } from './migrations.js'
import { createMysqlStore, purgeIdempotency } from './mysql-store.js'
import { createRedisIdempotency } from './redis-idempotency.js'
import { createSeatLockAdmission } from './seat-lock-admission.js'

/** Idempotency answers are kept this long (the contract promises at least 24 h). */
const IDEMPOTENCY_RETENTION_HOURS = 25

/**
 * Production: migrations at start-up, the mysql2 pools and ioredis clients (one plugin each),
 * composed into MySQL store + seat-lock admission + inventory-cache.
 */
export async function registerProduction(app: FastifyInstance, config: Config) {
  const db = config.database!
  const redisConfig = config.redis!
  await runMigrations(db.url, app.log)
  await app.register(mysqlPlugin, db)
  await app.register(redisPlugin, { redis: redisConfig })

  const createBackend = async (_app: FastifyInstance, metrics: Metrics): Promise<Backend> => {
    const { client, subscriber, quorum } = app.redis
    // Quorum mode (REDIS_QUORUM_NODES): GA admission is a Redlock quorum over independent nodes;
    // everything else (cache, pub/sub, rate limit, seat holds) stays on the main client.
    const lock = createSeatLock({
      redis: quorum ?? client,
      prefix: `${redisConfig.keyPrefix}:lock`,
      defaultTtlMs: config.holdTtlMs,
      maxQuantityPerHold: 100,
    })
    lock.on('error', (err: unknown) => app.log.warn({ err }, 'seat-lock error'))
    const inventory = createInventoryCache({
      redis: client,
      subscriber,
      namespace: `${redisConfig.keyPrefix}:inv`,
    })
    inventory.on('error', (err: unknown) => app.log.warn({ err }, 'inventory-cache error'))
    // CacheHitRatio is a Percent metric: the average of 100 per hit and 0 per miss.
    inventory.on('hit', () => metrics.observe('CacheHitRatio', 100))
    inventory.on('miss', () => metrics.observe('CacheHitRatio', 0))
    lock.on('conflicted', () => metrics.increment('LockConflicts'))
    const store = createMysqlStore(app.mysql)
    const purge = setInterval(
      () => {
        purgeIdempotency(app.mysql.writer, IDEMPOTENCY_RETENTION_HOURS).catch(() => {})
      },
      60 * 60 * 1000,
    )
    purge.unref()
    const claims = createRedisIdempotency({
      redis: client,
      prefix: `${redisConfig.keyPrefix}:idem`,
      store,
      db: app.mysql.writer,
      retentionMs: IDEMPOTENCY_RETENTION_HOURS * 3600 * 1000,
      log: app.log,
    })
    const admission = createSeatLockAdmission(lock)
    const cache = createInventoryEventCache(inventory)
    return {
      mode: 'production',
      store,
      admission,
      cache,
      claims,
      async health() {
        const [database, redis, quorumUp] = await Promise.all([
          store.ping().then(
            () => true,
            () => false,
          ),
          withTimeout(client.ping(), 1000).then(
            (r) => r === 'PONG',
            () => false,
          ),
          quorum ? quorumHealthy(quorum) : true,
        ])
        // Without a majority of quorum nodes no seat can be admitted: not ready.
        return { database, redis: redis && quorumUp }
      },
      async close() {
        clearInterval(purge)
        await Promise.allSettled([admission.close(), cache.close()])
      },
    }
  }
  return { createBackend, rateLimitRedis: app.redis.client as Redis }
}

/** True when a majority of the quorum nodes answers PING within 1 s. */
async function quorumHealthy(nodes: Redis[]): Promise<boolean> {
  const answers = await Promise.all(
    nodes.map((n) =>
      withTimeout(n.ping(), 1000).then(
        (r) => r === 'PONG',
        () => false,
      ),
    ),
  )
  return answers.filter(Boolean).length > nodes.length / 2
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref()),
  ])
}
