import { DataAwsSecretsmanagerRandomPassword } from '@cdktn/provider-aws/lib/data-aws-secretsmanager-random-password/index.js'
import { SecretsmanagerSecret } from '@cdktn/provider-aws/lib/secretsmanager-secret/index.js'
import { SecretsmanagerSecretVersion } from '@cdktn/provider-aws/lib/secretsmanager-secret-version/index.js'
import { Aspects, dependable, TerraformOutput, TerraformStack } from 'cdktn'
import { Construct } from 'constructs'
import { AppFleet } from './app-fleet.js'
import { Cache, type SafeEvictionPolicy } from './cache.js'
import { Database, type DatabaseProps } from './database.js'
import { EdgeCache, type EdgeCacheOptions } from './edge-cache.js'
import { LoadBalancer } from './load-balancer.js'
import { Messaging } from './messaging.js'
import { DEFAULT_METRICS_NAMESPACE } from './metrics.js'
import { Monitoring } from './monitoring.js'
import { type NatMode, Network } from './network.js'
import { TicketingPolicyAspect } from './policies.js'
import { Registry } from './registry.js'
import { SecureBucket } from './secure-bucket.js'
import { validator } from './validate.js'

/** Addresses that are clearly not anyone's inbox: RFC 2606 domains and template leftovers. */
function isPlaceholderEmail(email: string): boolean {
  return (
    /@(example\.(com|org|net)|[^@]*\.(example|invalid|test))$/i.test(email) ||
    /^your[-_.]?e?-?mail@/i.test(email)
  )
}

/** Props of {@link TicketingStack}: the seed's terraform.tfvars, typed, plus the knobs the seed lacked. */
export interface TicketingStackProps {
  /** `project_name` (e.g. `ticketing`). */
  readonly projectName: string
  /** `environment` (e.g. `dev`, `prod`). Names are `<project>-<environment>-...`. */
  readonly environment: string
  /** `region` (e.g. `ap-northeast-2`); the AWS provider must use the same one. */
  readonly region: string
  /** `availability_zones`: two or more. */
  readonly availabilityZones: string[]
  /**
   * `vpc_cidr`.
   * @default '10.0.0.0/16'
   */
  readonly vpcCidr?: string
  /**
   * NAT layout (`enable_nat_gateway = false` maps to 'none', which adds VPC endpoints).
   * @default 'per-az'
   */
  readonly natGateways?: NatMode
  /**
   * `min_size`.
   * @default 2
   */
  readonly minSize?: number
  /**
   * `max_size`.
   * @default 20
   */
  readonly maxSize?: number
  /**
   * `desired_size`.
   * @default minSize
   */
  readonly desiredSize?: number
  /**
   * `auto_scaling_cpu_target`, percent.
   * @default 70
   */
  readonly cpuTargetPercent?: number
  /**
   * App instance type.
   * @default 't3.medium'
   */
  readonly instanceType?: string
  /**
   * `db_instance_class`.
   * @default 'db.t4g.medium'
   */
  readonly dbInstanceClass?: string
  /**
   * `redis_node_type`.
   * @default 'cache.t4g.small'
   */
  readonly redisNodeType?: string
  /**
   * Redis nodes (primary + replicas).
   * @default 2
   */
  readonly redisNodes?: number
  /**
   * Redis `maxmemory-policy`.
   * @default 'volatile-lru'
   */
  readonly redisEvictionPolicy?: SafeEvictionPolicy
  /**
   * `alarm_email`, subscribed to the alert topic. Required in production, and not a placeholder
   * (example.com, your-email@...): alarms nobody receives are no alarms.
   * @default undefined (no subscription; allowed outside production only)
   */
  readonly alarmEmail?: string
  /**
   * A production stack: requires `certificateArn` (buyers' JWTs never cross the internet in clear
   * text) and a real `alarmEmail`, and the policy check then also demands deletion protection and
   * final snapshots on the databases and HTTP listeners that only redirect to HTTPS.
   * @default true when environment is 'prod' or 'production'
   */
  readonly production?: boolean
  /**
   * Tags for the instances and volumes the Auto Scaling group launches (the provider's
   * default_tags do not reach them): pass the same tags as the provider's default_tags.
   * @default {}
   */
  readonly tags?: Record<string, string>
  /**
   * Image tag the fleet runs.
   * @default 'v1.0.0'
   */
  readonly imageTag?: string
  /**
   * ACM certificate for HTTPS (TLS 1.3 policy, HTTP → HTTPS redirect). Required in production.
   * @default undefined (HTTP only, port 443 closed; allowed outside production only)
   */
  readonly certificateArn?: string
  /**
   * WAFv2 web ACL ARN to associate with the ALB.
   * @default undefined
   */
  readonly webAclArn?: string
  /**
   * Protect Aurora (and the ALB) from `terraform destroy`, keep non-empty buckets and repositories.
   * Turn off only for throwaway dev stacks.
   * @default true
   */
  readonly deletionProtection?: boolean
  /**
   * Rotation of the application database user's secret (see {@link DatabaseProps.appUserRotation}).
   * @default undefined (no rotation; this package deploys no Lambda)
   */
  readonly dbAppUserRotation?: DatabaseProps['appUserRotation']
  /**
   * Aurora backup retention, days (7-35).
   * @default 7
   */
  readonly backupRetentionDays?: number
  /**
   * Retention of every log group, days.
   * @default 30
   */
  readonly logRetentionDays?: number
  /**
   * Namespace of the API's custom metrics.
   * @default 'Ticketing'
   */
  readonly metricsNamespace?: string
  /**
   * Put CloudFront ({@link EdgeCache}) in front of the ALB, so the edge answers the waiting room's
   * board and the API sees one board request per second per edge location. `true` takes every
   * default; an object sets them. With `certificateArn`, CloudFront reaches the ALB over HTTPS
   * and needs `originDomainName`: a name on that certificate that points at the ALB. The
   * instances then believe two X-Forwarded-For hops (TRUST_PROXY=2), which rolls the fleet once.
   * @default false (no CloudFront; plans of existing stacks do not change)
   */
  readonly edgeCache?: boolean | EdgeCacheOptions
  /**
   * Add {@link TicketingPolicyAspect} to the enclosing stack, so policy violations fail synth.
   * @default true
   */
  readonly enforcePolicies?: boolean
}

/**
 * The whole HA stack of the seed, composed: Network → Database, Cache, Registry, Messaging,
 * LoadBalancer → AppFleet → Monitoring, a backup bucket, a JWT secret, and the seed's outputs with
 * static names (`alb_dns_name`, `db_endpoint`, `db_reader_endpoint`, `redis_endpoint`,
 * `ecr_repository_url`).
 */
export class TicketingStack extends Construct {
  readonly network: Network
  readonly database: Database
  readonly cache: Cache
  readonly registry: Registry
  readonly messaging: Messaging
  readonly loadBalancer: LoadBalancer
  readonly appFleet: AppFleet
  readonly monitoring: Monitoring
  readonly backupBucket: SecureBucket
  readonly jwtSecret: SecretsmanagerSecret
  /** CloudFront in front of the ALB, when `edgeCache` asks for it. */
  readonly edgeCache?: EdgeCache
  /** `<project>-<environment>`, the prefix of every name. */
  readonly prefix: string

  constructor(scope: Construct, id: string, props: TicketingStackProps) {
    super(scope, id)
    const v = validator('TicketingStack')
    v.name('projectName', props.projectName, 16)
    v.name('environment', props.environment, 8)
    const name = `${props.projectName}-${props.environment}`
    this.prefix = name
    const production = props.production ?? ['prod', 'production'].includes(props.environment)
    if (production) {
      if (!props.certificateArn) {
        v.fail('certificateArn', 'a production stack serves HTTPS only: give an ACM certificate ARN')
      }
      if (!props.alarmEmail || isPlaceholderEmail(props.alarmEmail)) {
        v.fail('alarmEmail', `a production stack needs a real alarm e-mail, got "${props.alarmEmail ?? ''}"`)
      }
    }
    const edge = props.edgeCache === true ? {} : props.edgeCache || undefined
    if (edge && props.certificateArn && !edge.originDomainName) {
      v.fail(
        'edgeCache',
        "with certificateArn CloudFront reaches the ALB over HTTPS and checks the ALB's certificate against the origin's name, and the ALB's own *.elb.amazonaws.com name is not on it (every request would be a 502): set edgeCache.originDomainName to a name on the certificate that points at the ALB",
      )
    }
    const protect = props.deletionProtection ?? true
    const logRetentionDays = props.logRetentionDays ?? 30
    const namespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE

    this.network = new Network(this, 'network', {
      name,
      region: props.region,
      availabilityZones: props.availabilityZones,
      ...(props.vpcCidr ? { vpcCidr: props.vpcCidr } : {}),
      ...(props.natGateways ? { natGateways: props.natGateways } : {}),
      logRetentionDays,
      https: Boolean(props.certificateArn),
    })
    const azs = this.network.availabilityZones
    const sg = this.network.securityGroups

    this.database = new Database(this, 'database', {
      name,
      subnetIds: this.network.databaseSubnets.map((s) => s.id),
      securityGroupId: sg.database.id,
      availabilityZones: azs,
      ...(props.dbInstanceClass ? { instanceClass: props.dbInstanceClass } : {}),
      deletionProtection: protect,
      ...(props.backupRetentionDays !== undefined ? { backupRetentionDays: props.backupRetentionDays } : {}),
      logRetentionDays,
      ...(props.dbAppUserRotation ? { appUserRotation: props.dbAppUserRotation } : {}),
    })
    this.cache = new Cache(this, 'cache', {
      name,
      subnetIds: this.network.databaseSubnets.map((s) => s.id),
      securityGroupId: sg.cache.id,
      availabilityZones: azs,
      ...(props.redisNodeType ? { nodeType: props.redisNodeType } : {}),
      ...(props.redisNodes !== undefined ? { nodes: props.redisNodes } : {}),
      ...(props.redisEvictionPolicy ? { evictionPolicy: props.redisEvictionPolicy } : {}),
      logRetentionDays,
    })
    this.registry = new Registry(this, 'registry', { name, forceDelete: !protect })
    this.messaging = new Messaging(this, 'messaging', {
      name,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    })
    this.backupBucket = new SecureBucket(this, 'backups', {
      namePrefix: `${name}-backups`,
      forceDestroy: !protect,
    })

    // The API signs its JWTs with this; generated once into Secrets Manager, read at boot.
    this.jwtSecret = new SecretsmanagerSecret(this, 'jwt-secret', {
      name: `${name}/api/jwt-secret`,
      description: 'JWT signing secret of the ticketing API (AUTH_MODE=jwt)',
      recoveryWindowInDays: 7,
    })
    const jwtRandom = new DataAwsSecretsmanagerRandomPassword(this, 'jwt-secret-random', {
      passwordLength: 64,
      excludePunctuation: true,
    })
    new SecretsmanagerSecretVersion(this, 'jwt-secret-value', {
      secretId: this.jwtSecret.id,
      secretString: jwtRandom.randomPassword,
      lifecycle: { ignoreChanges: ['secret_string'] },
    })

    this.loadBalancer = new LoadBalancer(this, 'load-balancer', {
      name,
      vpcId: this.network.vpc.id,
      subnetIds: this.network.publicSubnets.map((s) => s.id),
      securityGroupId: sg.alb.id,
      ...(props.certificateArn ? { certificateArn: props.certificateArn } : {}),
      ...(props.webAclArn ? { webAclArn: props.webAclArn } : {}),
      deletionProtection: protect,
      forceDestroyLogs: !protect,
    })

    this.appFleet = new AppFleet(this, 'app', {
      name,
      region: props.region,
      subnetIds: this.network.appSubnets.map((s) => s.id),
      securityGroupId: sg.app.id,
      targetGroupArns: [this.loadBalancer.targetGroup.arn],
      repositoryUrl: this.registry.repository.repositoryUrl,
      repositoryArn: this.registry.repository.arn,
      database: {
        host: this.database.cluster.endpoint,
        readerHost: this.database.cluster.readerEndpoint,
        name: this.database.databaseName,
        // The app's own user, never the master: the role can read this secret and no other.
        secretArn: this.database.appSecret.arn,
      },
      cache: {
        host: this.cache.replicationGroup.primaryEndpointAddress,
        secretArn: this.cache.authTokenSecret.arn,
      },
      jwtSecretArn: this.jwtSecret.arn,
      queueArn: this.messaging.queue.arn,
      cloudwatchNamespace: namespace,
      logRetentionDays,
      ...(props.imageTag ? { imageTag: props.imageTag } : {}),
      ...(props.instanceType ? { instanceType: props.instanceType } : {}),
      ...(props.minSize !== undefined ? { minSize: props.minSize } : {}),
      ...(props.maxSize !== undefined ? { maxSize: props.maxSize } : {}),
      ...(props.desiredSize !== undefined ? { desiredCapacity: props.desiredSize } : {}),
      ...(props.cpuTargetPercent !== undefined ? { cpuTargetPercent: props.cpuTargetPercent } : {}),
      ...(props.tags ? { tags: props.tags } : {}),
      // CloudFront is one more proxy: the X-Forwarded-For entry it appends names the client, the ALB's the edge.
      trustedProxyHops: edge ? 2 : 1,
      environment: { SQS_QUEUE_URL: this.messaging.queue.url, DATABASE_NAME: this.database.databaseName },
    })
    // Instances should boot only once the stores they connect to exist.
    const asg = this.appFleet.autoScalingGroup
    asg.dependsOn = [
      ...(asg.dependsOn ?? []),
      dependable(this.database.writer),
      dependable(this.cache.replicationGroup),
    ]

    this.monitoring = new Monitoring(this, 'monitoring', {
      name,
      region: props.region,
      alarmTopicArn: this.messaging.alertTopic.arn,
      loadBalancerArnSuffix: this.loadBalancer.alb.arnSuffix,
      targetGroupArnSuffix: this.loadBalancer.targetGroup.arnSuffix,
      autoScalingGroupName: this.appFleet.autoScalingGroupName,
      dbClusterIdentifier: this.database.clusterIdentifier,
      cacheClusterIds: this.cache.memberClusterIds,
      deadLetterQueueName: `${name}-events-dlq`,
      metricsNamespace: namespace,
    })

    if (edge) {
      this.edgeCache = new EdgeCache(this, 'edge', {
        ...edge,
        name,
        originDomainName: edge.originDomainName ?? this.loadBalancer.alb.dnsName,
        originProtocol: props.certificateArn ? 'https-only' : 'http-only',
      })
    }

    const output = (key: string, value: string, description: string) => {
      new TerraformOutput(this, key, { value, description }).overrideLogicalId(key)
    }
    output(
      'alb_dns_name',
      this.loadBalancer.alb.dnsName,
      'Public DNS name of the ALB: curl http://<it>/api/health',
    )
    output('db_endpoint', this.database.cluster.endpoint, 'Aurora writer endpoint')
    output('db_reader_endpoint', this.database.cluster.readerEndpoint, 'Aurora reader endpoint')
    output(
      'redis_endpoint',
      this.cache.replicationGroup.primaryEndpointAddress,
      'Redis primary endpoint (TLS, rediss://)',
    )
    output('ecr_repository_url', this.registry.repository.repositoryUrl, 'docker push target')
    output('asg_name', this.appFleet.autoScalingGroupName, 'Auto Scaling Group name')
    output('alert_topic_arn', this.messaging.alertTopic.arn, 'SNS topic every alarm notifies')
    output(
      'db_secret_arn',
      this.database.masterSecretArn,
      'Secrets Manager secret of the Aurora master user (operators only; the app never reads it)',
    )
    output(
      'db_app_secret_arn',
      this.database.appSecret.arn,
      'Secrets Manager secret of the application database user (what the instances read)',
    )
    output('dashboard_name', this.monitoring.dashboardName, 'CloudWatch dashboard')
    if (this.edgeCache) {
      output(
        'edge_domain_name',
        this.edgeCache.domainName,
        'CloudFront domain name in front of the ALB: curl https://<it>/api/health (point your aliases here)',
      )
    }

    if (props.enforcePolicies ?? true)
      Aspects.of(TerraformStack.of(this)).add(new TicketingPolicyAspect({ production }))
  }
}
