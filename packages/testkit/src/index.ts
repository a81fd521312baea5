export {
  createTestDatabase,
  type MariaDbServer,
  sharedDatabaseUrl,
  startMariaDb,
  type TestDatabase,
} from './mysql.js'
export { freePort, type Spawned, spawnServer, waitFor } from './processes.js'
export {
  type RedisClusterHandle,
  type RedisServer,
  sharedRedis,
  sharedRedisUrl,
  startRedis,
  startRedisCluster,
  startRedisNodes,
  uniquePrefix,
} from './redis.js'
export { type RedisTopology, redisTopologies, type TopologySpec } from './topologies.js'
