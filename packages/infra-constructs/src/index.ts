export { type AppCacheBinding, type AppDatabaseBinding, AppFleet, type AppFleetProps } from './app-fleet.js'
export { Cache, type CacheProps, type SafeEvictionPolicy } from './cache.js'
export { auroraMysqlFamily, Database, type DatabaseProps, DEFAULT_AURORA_MYSQL_VERSION } from './database.js'
export {
  EdgeCache,
  type EdgeCacheOptions,
  type EdgeCacheProps,
  type EdgePriceClass,
  MANAGED_EDGE_POLICIES,
  QUEUE_BOARD_PATH_PATTERN,
} from './edge-cache.js'
export { InvalidPropsError } from './errors.js'
export { LoadBalancer, type LoadBalancerProps } from './load-balancer.js'
export { Messaging, type MessagingProps } from './messaging.js'
export {
  DEFAULT_METRICS_NAMESPACE,
  TICKETING_METRICS,
  type TicketingMetric,
  WAITING_ROOM_METRICS,
} from './metrics.js'
export { Monitoring, type MonitoringProps } from './monitoring.js'
export { INTERFACE_ENDPOINTS, type NatMode, Network, type NetworkProps } from './network.js'
export {
  checkTicketingPolicies,
  decodeUserData,
  POLICY_RULES,
  type PolicyOptions,
  type PolicyRule,
  type PolicyViolation,
  type TerraformJson,
  TicketingPolicyAspect,
} from './policies.js'
export { Registry, type RegistryProps } from './registry.js'
export { type PolicyStatement, SecureBucket, type SecureBucketProps } from './secure-bucket.js'
export { PUBLIC_EXPOSURE_TAG, SecurityGroups, type SecurityGroupsProps } from './security-groups.js'
export { TicketingStack, type TicketingStackProps } from './ticketing-stack.js'
export { renderUserData, type UserDataInput } from './user-data.js'
export { cidrSubnet, formatCidr, type Ipv4Cidr, parseCidr } from './validate.js'
