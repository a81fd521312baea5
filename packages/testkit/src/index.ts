export { type ChromiumLookup, findOrInstallChromium } from './browser.js'
export {
  type ClientPool,
  type ClientPoolOptions,
  createClientPool,
  type SimulatedClient,
  sourceAddress,
} from './clients.js'
export {
  type Fleet,
  type FleetInstance,
  type FleetOptions,
  type InstanceEnv,
  startFleet,
} from './fleet.js'
export { type ForkedScript, forkScript } from './fork.js'
export { bearerFor, type MintJwtOptions, mintJwt, signJwt } from './jwt.js'
export {
  type AccessLogEntry,
  type AccessLogOptions,
  type BackendAddress,
  type BackendStatus,
  type EdgeCacheOptions,
  type LoadBalancer,
  type LoadBalancerOptions,
  startLoadBalancer,
} from './load-balancer.js'
export {
  type CreateDbUserOptions,
  createDbUser,
  createTestDatabase,
  type DbUser,
  type MariaDbServer,
  type StartMariaDbOptions,
  sharedDatabaseUrl,
  startMariaDb,
  type TestDatabase,
} from './mysql.js'
export {
  freePort,
  type Spawned,
  type SpawnOptions,
  spawnServer,
  waitFor,
  waitForProcess,
} from './processes.js'
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
export {
  type FailoverOptions,
  type ReplicatedMariaDb,
  type ReplicatedMariaDbOptions,
  startReplicatedMariaDb,
} from './replication.js'
export {
  type FakeSecretsManager,
  type FakeSecretsManagerOptions,
  startFakeSecretsManager,
} from './secrets-manager.js'
export { requireTool } from './tools.js'
export { type RedisTopology, redisTopologies, type TopologySpec } from './topologies.js'
