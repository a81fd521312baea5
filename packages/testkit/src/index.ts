export { type ChromiumLookup, findOrInstallChromium } from './browser.js'
export { type ForkedScript, forkScript } from './fork.js'
export {
  createTestDatabase,
  type MariaDbServer,
  sharedDatabaseUrl,
  startMariaDb,
  type TestDatabase,
} from './mysql.js'
export { freePort, type Spawned, type SpawnOptions, spawnServer, waitFor } from './processes.js'
export { type DelayProxy, type DelayProxyOptions, startDelayProxy } from './proxy.js'
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
