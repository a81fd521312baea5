import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group/index.js'
import { DataAwsSecretsmanagerRandomPassword } from '@cdktn/provider-aws/lib/data-aws-secretsmanager-random-password/index.js'
import { ElasticacheParameterGroup } from '@cdktn/provider-aws/lib/elasticache-parameter-group/index.js'
import { ElasticacheReplicationGroup } from '@cdktn/provider-aws/lib/elasticache-replication-group/index.js'
import { ElasticacheSubnetGroup } from '@cdktn/provider-aws/lib/elasticache-subnet-group/index.js'
import { SecretsmanagerSecret } from '@cdktn/provider-aws/lib/secretsmanager-secret/index.js'
import { SecretsmanagerSecretVersion } from '@cdktn/provider-aws/lib/secretsmanager-secret-version/index.js'
import { Construct } from 'constructs'
import { validator } from './validate.js'

/** Eviction policies that can never evict a seat hold or lock key that has a TTL-less owner record. */
export type SafeEvictionPolicy = 'volatile-lru' | 'volatile-lfu' | 'volatile-ttl' | 'noeviction'

/** Props of {@link Cache}. */
export interface CacheProps {
  /** Name prefix; the replication group id is `<name>-redis` (at most 40 characters). */
  readonly name: string
  /** Cache subnets, at least two AZs. */
  readonly subnetIds: string[]
  /** Security group of the nodes (ingress from the app only). */
  readonly securityGroupId: string
  /** AZs for the primary and replicas, in order. */
  readonly availabilityZones: string[]
  /**
   * Node type.
   * @default 'cache.t4g.small'
   */
  readonly nodeType?: string
  /**
   * Nodes in the group (1 primary + replicas). At least 2 for automatic failover.
   * @default 2
   */
  readonly nodes?: number
  /**
   * Redis engine version.
   * @default '7.1'
   */
  readonly engineVersion?: string
  /**
   * `maxmemory-policy`. `allkeys-*` is refused: it can evict lock and seat-hold keys, which would
   * let two buyers hold the same seat. `volatile-lru` evicts only keys with a TTL (cache entries).
   * @default 'volatile-lru'
   */
  readonly evictionPolicy?: SafeEvictionPolicy
  /**
   * Daily snapshots kept, 1 to 35.
   * @default 7
   */
  readonly snapshotRetentionDays?: number
  /**
   * KMS key for encryption at rest and the AUTH-token secret; unset uses AWS-managed keys.
   * @default undefined
   */
  readonly kmsKeyArn?: string
  /**
   * Retention of the slow-log and engine-log groups, in days.
   * @default 30
   */
  readonly logRetentionDays?: number
}

/**
 * ElastiCache Redis replication group: Multi-AZ with automatic failover, ≥ 2 nodes, encrypted at
 * rest and in transit (clients must use `rediss://`), an AUTH token generated into Secrets Manager
 * (never in config), a lock-safe eviction policy, daily snapshots and slow/engine log delivery.
 *
 * The token is drawn once by `aws_secretsmanager_random_password`; `ignore_changes` keeps the first
 * value, since that data source draws a fresh one on every plan. Terraform state holds it
 * (sensitive), so keep state in an encrypted backend. Rotate it through Secrets Manager plus
 * `auth_token_update_strategy`.
 */
export class Cache extends Construct {
  readonly replicationGroup: ElasticacheReplicationGroup
  /** JSON-free secret whose SecretString is the Redis AUTH token. */
  readonly authTokenSecret: SecretsmanagerSecret
  readonly parameterGroup: ElasticacheParameterGroup
  /** `<name>-redis`. */
  readonly replicationGroupId: string
  /** CloudWatch `CacheClusterId` of every node (`<id>-001`, `<id>-002`, ...). */
  readonly memberClusterIds: string[]
  readonly port = 6379

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id)
    const v = validator('Cache')
    const name = v.name('name', props.name, 34)
    if (props.subnetIds.length < 2) v.fail('subnetIds', 'need subnets in at least 2 AZs')
    const azs = v.azs('availabilityZones', props.availabilityZones)
    const nodes = v.int('nodes', props.nodes ?? 2, 2, 6)
    const policy = props.evictionPolicy ?? 'volatile-lru'
    if (String(policy).startsWith('allkeys-')) {
      v.fail(
        'evictionPolicy',
        `"${policy}" can evict lock and seat-hold keys; use volatile-lru or noeviction`,
      )
    }
    v.oneOf('evictionPolicy', policy, ['volatile-lru', 'volatile-lfu', 'volatile-ttl', 'noeviction'])
    const snapshots = v.int('snapshotRetentionDays', props.snapshotRetentionDays ?? 7, 1, 35)
    const logRetention = v.retention('logRetentionDays', props.logRetentionDays ?? 30)
    const engineVersion = props.engineVersion ?? '7.1'
    const major = /^(\d+)\./.exec(engineVersion)?.[1]
    if (!major || Number(major) < 6)
      v.fail('engineVersion', `"${engineVersion}" is not a Redis 6+ version like 7.1`)
    this.replicationGroupId = `${name}-redis`
    this.memberClusterIds = Array.from(
      { length: nodes },
      (_, i) => `${this.replicationGroupId}-${String(i + 1).padStart(3, '0')}`,
    )

    const subnetGroup = new ElasticacheSubnetGroup(this, 'subnets', {
      name: `${name}-redis`,
      subnetIds: props.subnetIds,
    })
    this.parameterGroup = new ElasticacheParameterGroup(this, 'params', {
      name: `${name}-redis${major}`,
      family: `redis${major}`,
      description: `maxmemory-policy ${policy}: never evicts keys without a TTL (locks, holds)`,
      parameter: [{ name: 'maxmemory-policy', value: policy }],
    })

    this.authTokenSecret = new SecretsmanagerSecret(this, 'auth-token', {
      name: `${name}/redis/auth-token`,
      description: `AUTH token of ${this.replicationGroupId}`,
      ...(props.kmsKeyArn ? { kmsKeyId: props.kmsKeyArn } : {}),
      recoveryWindowInDays: 7,
    })
    // ElastiCache AUTH tokens: 16-128 printable characters, no spaces, '@', '"' or '/'.
    const random = new DataAwsSecretsmanagerRandomPassword(this, 'auth-token-random', {
      passwordLength: 64,
      excludePunctuation: true,
    })
    const version = new SecretsmanagerSecretVersion(this, 'auth-token-value', {
      secretId: this.authTokenSecret.id,
      secretString: random.randomPassword,
      lifecycle: { ignoreChanges: ['secret_string'] },
    })

    const slowLog = new CloudwatchLogGroup(this, 'slow-log', {
      name: `/ticketing/${name}/redis/slow-log`,
      retentionInDays: logRetention,
    })
    const engineLog = new CloudwatchLogGroup(this, 'engine-log', {
      name: `/ticketing/${name}/redis/engine-log`,
      retentionInDays: logRetention,
    })

    this.replicationGroup = new ElasticacheReplicationGroup(this, 'redis', {
      replicationGroupId: this.replicationGroupId,
      description: `Seat locks and inventory cache for ${name}`,
      engine: 'redis',
      engineVersion,
      nodeType: props.nodeType ?? 'cache.t4g.small',
      numCacheClusters: nodes,
      port: this.port,
      parameterGroupName: this.parameterGroup.name,
      subnetGroupName: subnetGroup.name,
      securityGroupIds: [props.securityGroupId],
      preferredCacheClusterAzs: Array.from({ length: nodes }, (_, i) => azs[i % azs.length]!),
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      atRestEncryptionEnabled: 'true',
      transitEncryptionEnabled: true,
      ...(props.kmsKeyArn ? { kmsKeyId: props.kmsKeyArn } : {}),
      authToken: version.secretString,
      authTokenUpdateStrategy: 'ROTATE',
      snapshotRetentionLimit: snapshots,
      snapshotWindow: '16:00-17:00',
      maintenanceWindow: 'sun:19:30-sun:20:30',
      autoMinorVersionUpgrade: 'true',
      applyImmediately: false,
      logDeliveryConfiguration: [
        {
          destination: slowLog.name,
          destinationType: 'cloudwatch-logs',
          logFormat: 'json',
          logType: 'slow-log',
        },
        {
          destination: engineLog.name,
          destinationType: 'cloudwatch-logs',
          logFormat: 'json',
          logType: 'engine-log',
        },
      ],
      tags: { Name: this.replicationGroupId },
      lifecycle: { ignoreChanges: ['auth_token'] },
    })
  }
}
