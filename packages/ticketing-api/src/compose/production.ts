// Production: migrations at start-up, the client plugins (mysql2 pools, ioredis clients), and
// every port over them — one SeatLock, one InventoryCache, one set of clients — then the
// features and the reconciler. This file says what runs in production.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { createInventoryCache } from '@ticketing/inventory-cache'
import { createSeatLock } from '@ticketing/seat-lock'
import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Config } from '../config.js'
import { secretsManagerCredentials, withCredentials } from '../infra/credentials.js'
import { createMetrics, type Metrics } from '../infra/metrics/index.js'
import { runMigrations } from '../infra/migrations.js'
import { mysqlPlugin } from '../infra/mysql.js'
import { redisPlugin } from '../infra/redis.js'
import { createRedisQueues } from '../queue/adapters/redis/queue-store.js'
import { createMysqlSalesStore, purgeKeys } from '../sales/adapters/mysql/store.js'
import { createSeatLockGate } from '../sales/adapters/redis/admission.js'
import { createInventoryEventCache } from '../sales/adapters/redis/event-cache.js'
import { createRedisKeyClaims } from '../sales/adapters/redis/key-claims.js'
import { createMysqlSeatingStore } from '../seating/adapters/mysql/store.js'
import { createRedisBus } from '../seating/adapters/redis/bus.js'
import { createRedisHoldIndex } from '../seating/adapters/redis/hold-index.js'
import { createSeatLockLocker } from '../seating/adapters/redis/locker.js'
import { createSnapshotCache, SNAPSHOT_MAX_STALE_MS } from '../seating/adapters/redis/snapshot-cache.js'
import { type Composition, composeFeatures, type Ports, type WrapPorts } from './composition.js'

/** Idempotency answers are kept this long (the contract promises at least 24 h). */
const KEY_RETENTION_HOURS = 25
/** Most units or seats in one admission or hold (MAX_SEATS_PER_HOLD caps seat holds below it). */
const MAX_UNITS_PER_LOCK = 100

export async function composeProduction(
  app: FastifyInstance,
  config: Config,
  wrap?: WrapPorts,
): Promise<Composition> {
  const db = config.database!
  const redisConfig = config.redis!
  const prefix = redisConfig.keyPrefix
  const credentials = db.secret && databaseCredentials(app, db.secret)
  await runMigrations(withCredentials(db.url, await credentials?.get()), app.log)
  await app.register(mysqlPlugin, { ...db, credentials })
  await app.register(redisPlugin, { redis: redisConfig })
  const { client, subscriber, quorum } = app.redis
  const { writer, reader } = app.mysql
  const metrics = createMetrics({ ...config.metrics, log: app.log })
  if (!config.waitingRoom.shared) {
    app.log.warn(
      'WAITING_ROOM_SECRET (or JWT_SECRET) is not set: waiting-room tokens are signed with a per-process key, which other instances refuse. Set it when running more than one instance.',
    )
  }

  // Quorum mode (REDIS_QUORUM_NODES): admissions and seat holds are a Redlock quorum over
  // independent nodes; the cache, pub/sub, hold index and rate limit stay on the main client.
  const lock = createSeatLock({
    redis: quorum ?? client,
    prefix: `${prefix}:lock`,
    defaultTtlMs: config.holdTtlMs,
    maxQuantityPerHold: MAX_UNITS_PER_LOCK,
    maxSeatsPerHold: MAX_UNITS_PER_LOCK,
  })
  lock.on('error', (err: unknown) => app.log.warn({ err }, 'seat-lock error'))
  lock.on('conflicted', () => metrics.increment('LockConflicts'))
  const inventory = createInventoryCache({ redis: client, subscriber, namespace: `${prefix}:inv` })
  inventory.on('error', (err: unknown) => app.log.warn({ err }, 'inventory-cache error'))
  observeCache(inventory, metrics)

  const store = createMysqlSalesStore({ writer, reader })
  const built: Ports = {
    sales: {
      store,
      gate: createSeatLockGate(lock),
      cache: createInventoryEventCache(inventory),
      claims: createRedisKeyClaims({
        redis: client,
        prefix: `${prefix}:idem`,
        fallback: store.keys,
        retentionMs: KEY_RETENTION_HOURS * 3600 * 1000,
        log: app.log,
      }),
    },
    seating: {
      locker: createSeatLockLocker(lock),
      index: createRedisHoldIndex(client, `${prefix}:seatidx`),
      store: createMysqlSeatingStore(writer),
      bus: createRedisBus(client, subscriber, `${prefix}:seating:changes`),
      snapshots: createSnapshotCache(inventory),
      maxStaleMs: SNAPSHOT_MAX_STALE_MS,
    },
    // Waiting rooms: on the main client (single node or Cluster; keys hash-tagged per event).
    queue: { store: createRedisQueues(client, `${prefix}:wr`) },
  }
  const ports = wrap ? wrap(built) : built
  const features = composeFeatures(ports, config, metrics, app.log)

  // A crash between admission and commit leaves units admitted until their TTL; a lost Redis
  // leaves no counter. Reconcile once now and then periodically.
  const rebuilt = await features.sales.reconcile()
  app.log.info({ rebuilt }, 'admission counters reconciled from the database')
  const timers = [
    config.reconcileIntervalMs > 0 &&
      setInterval(() => {
        features.sales.reconcile().catch((error) => app.log.warn({ err: error }, 'reconcile failed'))
      }, config.reconcileIntervalMs),
    setInterval(() => {
      purgeKeys(writer, KEY_RETENTION_HOURS).catch(() => {})
    }, 3600_000),
  ].filter((t): t is NodeJS.Timeout => t !== false)
  for (const t of timers) t.unref()

  // Registered after the client plugins: Fastify runs onClose hooks last-in first-out, so
  // every admitted sale is answered before the pools and clients close.
  app.addHook('onClose', async () => {
    for (const t of timers) clearInterval(t)
    await features.close()
    await Promise.allSettled([lock.close(), inventory.close()])
    await metrics.close()
  })

  return {
    mode: 'production',
    ports,
    sales: features.sales,
    seating: features.seating,
    queue: features.queue,
    metrics,
    rateLimitRedis: client as Redis,
    async health() {
      const [database, redis, quorumUp] = await Promise.all([
        store.ping().then(
          () => true,
          () => false,
        ),
        answers(client.ping()),
        quorum ? majorityAnswers(quorum) : true,
      ])
      // Without a majority of quorum nodes no seat can be admitted: not ready.
      return { database, redis: redis && quorumUp }
    },
  }
}

/** The database user's rotating password, from Secrets Manager (DATABASE_SECRET_ID). */
function databaseCredentials(
  app: FastifyInstance,
  secret: { id: string; region: string; endpoint?: string },
) {
  const client = new SecretsManagerClient({ region: secret.region, endpoint: secret.endpoint })
  app.addHook('onClose', async () => client.destroy())
  return secretsManagerCredentials({ client, secretId: secret.id })
}

/** CacheHitRatio is a Percent metric: the average of 100 per hit and 0 per miss. */
function observeCache(inventory: ReturnType<typeof createInventoryCache>, metrics: Metrics) {
  inventory.on('hit', () => metrics.observe('CacheHitRatio', 100))
  inventory.on('miss', () => metrics.observe('CacheHitRatio', 0))
}

/** True when the PING answers PONG within 1 s. */
function answers(ping: Promise<string>): Promise<boolean> {
  return Promise.race([
    ping.then((r) => r === 'PONG'),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1000).unref()),
  ]).catch(() => false)
}

/** True when a majority of the quorum nodes answers PING within 1 s. */
async function majorityAnswers(nodes: Redis[]): Promise<boolean> {
  const up = await Promise.all(nodes.map((n) => answers(n.ping())))
  return up.filter(Boolean).length > nodes.length / 2
}
