import { AutoscalingGroup } from '@cdktn/provider-aws/lib/autoscaling-group/index.js'
import { AutoscalingPolicy } from '@cdktn/provider-aws/lib/autoscaling-policy/index.js'
import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group/index.js'
import { IamInstanceProfile } from '@cdktn/provider-aws/lib/iam-instance-profile/index.js'
import { IamRole } from '@cdktn/provider-aws/lib/iam-role/index.js'
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy/index.js'
import { IamRolePolicyAttachment } from '@cdktn/provider-aws/lib/iam-role-policy-attachment/index.js'
import { LaunchTemplate } from '@cdktn/provider-aws/lib/launch-template/index.js'
import { Fn, Token } from 'cdktn'
import { Construct } from 'constructs'
import { renderUserData } from './user-data.js'
import { validator } from './validate.js'

/** Where the app finds Aurora; the password stays in Secrets Manager. */
export interface AppDatabaseBinding {
  readonly host: string
  readonly readerHost: string
  /** @default 3306 */
  readonly port?: number
  /** @default 'ticketing' */
  readonly name?: string
  /** Secret with `{"username","password"}` of the application's own user (not the master user). */
  readonly secretArn: string
}

/** Where the app finds Redis; the AUTH token stays in Secrets Manager. */
export interface AppCacheBinding {
  readonly host: string
  /** @default 6379 */
  readonly port?: number
  /** Secret whose SecretString is the AUTH token. */
  readonly secretArn: string
}

/** Props of {@link AppFleet}. */
export interface AppFleetProps {
  /** Name prefix: `<name>-app` template, `<name>-asg` group. */
  readonly name: string
  readonly region: string
  /** Private app subnets in at least two AZs. */
  readonly subnetIds: string[]
  readonly securityGroupId: string
  /** Target groups the instances register with (ELB health checks gate them). */
  readonly targetGroupArns: string[]
  /** ECR repository URL (the real one, from the Registry construct). */
  readonly repositoryUrl: string
  /** ECR repository ARN, for a pull-only policy scoped to it. */
  readonly repositoryArn: string
  readonly database: AppDatabaseBinding
  readonly cache: AppCacheBinding
  /** Secret whose SecretString signs JWTs (AUTH_MODE=jwt). */
  readonly jwtSecretArn: string
  /**
   * Image tag to run. The repository has immutable tags: push a new tag and change this to roll out
   * (the launch template changes, and instance refresh replaces the fleet).
   * @default 'v1.0.0'
   */
  readonly imageTag?: string
  /**
   * Instance type. Graviton types (t4g, m7g, ...) switch the AMI to arm64.
   * @default 't3.medium'
   */
  readonly instanceType?: string
  /**
   * SSM parameter of the AMI, resolved at launch (`resolve:ssm:`), so every refresh gets a patched AMI.
   * @default Amazon Linux 2023 for the instance type's architecture
   */
  readonly amiSsmParameter?: string
  /**
   * ASG minimum size.
   * @default 2
   */
  readonly minSize?: number
  /**
   * ASG maximum size.
   * @default 20
   */
  readonly maxSize?: number
  /**
   * Initial desired capacity (afterwards owned by the scaling policy).
   * @default minSize
   */
  readonly desiredCapacity?: number
  /**
   * Average CPU the target-tracking policy aims for, in percent.
   * @default 70
   */
  readonly cpuTargetPercent?: number
  /**
   * Encrypted gp3 root volume size, GiB.
   * @default 20
   */
  readonly rootVolumeGb?: number
  /**
   * Port the container listens on.
   * @default 8080
   */
  readonly appPort?: number
  /**
   * CloudWatch namespace of the app's custom metrics (CLOUDWATCH_NAMESPACE); PutMetricData is
   * allowed only there.
   * @default 'Ticketing'
   */
  readonly cloudwatchNamespace?: string
  /**
   * Retention of the container log group, in days.
   * @default 30
   */
  readonly logRetentionDays?: number
  /**
   * Seconds after launch before ELB health checks count.
   * @default 300
   */
  readonly healthCheckGracePeriod?: number
  /**
   * Healthy capacity kept during an instance refresh, in percent. 100 launches each replacement
   * before its predecessor leaves (with 2 instances, 90% would take one down first).
   * @default 100
   */
  readonly refreshMinHealthyPercent?: number
  /**
   * Capacity allowed during an instance refresh, in percent of the desired size (100-200): room
   * for the replacements that `refreshMinHealthyPercent` 100 launches first.
   * @default 200
   */
  readonly refreshMaxHealthyPercent?: number
  /**
   * Tags for the instances and volumes the group launches (through the launch template's
   * tag_specifications; the provider's default_tags never reach them), besides `Name`.
   * @default {}
   */
  readonly tags?: Record<string, string>
  /**
   * SQS queue the app may send to / consume from.
   * @default undefined
   */
  readonly queueArn?: string
  /**
   * Extra non-secret container environment variables.
   * @default {}
   */
  readonly environment?: Record<string, string>
  /**
   * Proxies in front of the app whose X-Forwarded-For entries it believes (TRUST_PROXY), 1-3:
   * 1 for the ALB, 2 with CloudFront ({@link EdgeCache}) in front of it. One too few and every
   * client of a proxy shares its address (and its rate-limit budget); one too many and a client
   * can name itself.
   * @default 1
   */
  readonly trustedProxyHops?: number
}

/**
 * Launch template + Auto Scaling Group. IMDSv2 only (hop limit 2, so the container can reach it),
 * encrypted gp3 root volume, AMI from SSM, user data that pulls from the real ECR repository and
 * fetches secrets at boot, ELB health checks, CPU target tracking, and the template pinned to
 * `latest_version` so instance refresh (with auto-rollback) runs on every change.
 */
export class AppFleet extends Construct {
  readonly role: IamRole
  readonly launchTemplate: LaunchTemplate
  readonly autoScalingGroup: AutoscalingGroup
  readonly scalingPolicy: AutoscalingPolicy
  readonly logGroup: CloudwatchLogGroup
  /** The boot script before base64 (contains Terraform references, no secrets). */
  readonly userDataScript: string
  readonly autoScalingGroupName: string

  constructor(scope: Construct, id: string, props: AppFleetProps) {
    super(scope, id)
    const v = validator('AppFleet')
    const name = v.name('name', props.name, 40)
    if (props.subnetIds.length < 2) v.fail('subnetIds', 'need subnets in at least 2 AZs')
    if (props.targetGroupArns.length === 0) v.fail('targetGroupArns', 'need at least one target group')
    const minSize = v.int('minSize', props.minSize ?? 2, 0, 1000)
    const maxSize = v.int('maxSize', props.maxSize ?? 20, 1, 1000)
    if (minSize > maxSize) v.fail('minSize', `minSize ${minSize} is greater than maxSize ${maxSize}`)
    const desired = v.int('desiredCapacity', props.desiredCapacity ?? minSize, 0, 1000)
    if (desired < minSize || desired > maxSize) {
      v.fail('desiredCapacity', `${desired} is outside [minSize ${minSize}, maxSize ${maxSize}]`)
    }
    const cpuTarget = v.number('cpuTargetPercent', props.cpuTargetPercent ?? 70, 10, 95)
    const rootGb = v.int('rootVolumeGb', props.rootVolumeGb ?? 20, 8, 16384)
    const appPort = v.int('appPort', props.appPort ?? 8080, 1, 65535)
    const retention = v.retention('logRetentionDays', props.logRetentionDays ?? 30)
    const grace = v.int('healthCheckGracePeriod', props.healthCheckGracePeriod ?? 300, 0, 7200)
    const minHealthy = v.int('refreshMinHealthyPercent', props.refreshMinHealthyPercent ?? 100, 0, 100)
    const maxHealthy = v.int('refreshMaxHealthyPercent', props.refreshMaxHealthyPercent ?? 200, 100, 200)
    if (minHealthy === 100 && maxHealthy === 100) {
      v.fail(
        'refreshMaxHealthyPercent',
        'with refreshMinHealthyPercent 100 it must exceed 100, or no instance can be replaced',
      )
    }
    const trustProxyHops = v.int('trustedProxyHops', props.trustedProxyHops ?? 1, 1, 3)
    if (props.environment && 'TRUST_PROXY' in props.environment) {
      v.fail('environment', 'TRUST_PROXY is set by trustedProxyHops')
    }
    const launchTags = { ...props.tags, Name: `${name}-app` }
    const instanceType = props.instanceType ?? 't3.medium'
    if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType))
      v.fail('instanceType', `"${instanceType}" is not an EC2 instance type`)
    const imageTag = props.imageTag ?? 'v1.0.0'
    if (!/^[\w][\w.-]{0,127}$/.test(imageTag)) v.fail('imageTag', `"${imageTag}" is not a valid image tag`)
    const namespace = props.cloudwatchNamespace ?? 'Ticketing'
    const graviton = /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType)
    const ami =
      props.amiSsmParameter ??
      `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${graviton ? 'arm64' : 'x86_64'}`
    this.autoScalingGroupName = `${name}-asg`

    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/ticketing/${name}/app`,
      retentionInDays: retention,
    })

    this.role = new IamRole(this, 'role', {
      name: `${name}-app`,
      description: 'Ticketing API instances: ECR pull, its secrets, its log group and metric namespace, SSM',
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    })
    // Session Manager instead of SSH. This managed policy has no resource-level alternative.
    new IamRolePolicyAttachment(this, 'ssm', {
      role: this.role.name,
      policyArn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
    })
    const statements: object[] = [
      // GetAuthorizationToken has no resource-level permissions: AWS requires "*".
      { Sid: 'EcrAuth', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Sid: 'EcrPull',
        Effect: 'Allow',
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        Resource: props.repositoryArn,
      },
      {
        Sid: 'ReadOwnSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: [props.database.secretArn, props.cache.secretArn, props.jwtSecretArn],
      },
      {
        Sid: 'ContainerLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        Resource: `${this.logGroup.arn}:*`,
      },
      // Metrics have no ARNs; the namespace condition is the narrowest scope AWS offers.
      {
        Sid: 'OwnMetrics',
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': namespace } },
      },
    ]
    if (props.queueArn) {
      statements.push({
        Sid: 'WorkQueue',
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        Resource: props.queueArn,
      })
    }
    new IamRolePolicy(this, 'policy', {
      role: this.role.id,
      name: 'ticketing-api',
      policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    })
    const profile = new IamInstanceProfile(this, 'profile', { name: `${name}-app`, role: this.role.name })

    this.userDataScript = renderUserData({
      region: props.region,
      repositoryUrl: props.repositoryUrl,
      imageTag,
      appPort,
      databaseHost: props.database.host,
      databaseReaderHost: props.database.readerHost,
      databasePort: props.database.port ?? 3306,
      databaseName: props.database.name ?? 'ticketing',
      databaseSecretArn: props.database.secretArn,
      redisHost: props.cache.host,
      redisPort: props.cache.port ?? 6379,
      redisSecretArn: props.cache.secretArn,
      jwtSecretArn: props.jwtSecretArn,
      cloudwatchNamespace: namespace,
      logGroupName: this.logGroup.name,
      extraEnv: props.environment ?? {},
      trustProxyHops,
    })

    this.launchTemplate = new LaunchTemplate(this, 'template', {
      name: `${name}-app`,
      description: 'Ticketing API on Amazon Linux 2023 + Docker',
      imageId: `resolve:ssm:${ami}`,
      instanceType,
      iamInstanceProfile: { arn: profile.arn },
      vpcSecurityGroupIds: [props.securityGroupId],
      updateDefaultVersion: true,
      // Fn arguments are HCL string literals: CDK Terrain escapes newlines and `${`, we escape \ and ".
      userData: Fn.base64encode(this.userDataScript.replace(/\\/g, '\\\\').replace(/"/g, '\\"')),
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpTokens: 'required',
        httpPutResponseHopLimit: 2,
        instanceMetadataTags: 'enabled',
      },
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          ebs: {
            volumeSize: rootGb,
            volumeType: 'gp3',
            encrypted: 'true',
            deleteOnTermination: 'true',
          },
        },
      ],
      monitoring: { enabled: true },
      tagSpecifications: [
        { resourceType: 'instance', tags: launchTags },
        { resourceType: 'volume', tags: launchTags },
        { resourceType: 'network-interface', tags: launchTags },
      ],
      tags: { Name: `${name}-app` },
    })

    this.autoScalingGroup = new AutoscalingGroup(this, 'asg', {
      name: this.autoScalingGroupName,
      minSize,
      maxSize,
      desiredCapacity: desired,
      vpcZoneIdentifier: props.subnetIds,
      targetGroupArns: props.targetGroupArns,
      healthCheckType: 'ELB',
      healthCheckGracePeriod: grace,
      defaultInstanceWarmup: grace,
      // A concrete version number, never $Latest: a new version changes the ASG, which starts a refresh.
      launchTemplate: {
        id: this.launchTemplate.id,
        version: Token.asString(this.launchTemplate.latestVersion),
      },
      instanceRefresh: {
        strategy: 'Rolling',
        preferences: {
          minHealthyPercentage: minHealthy,
          maxHealthyPercentage: maxHealthy,
          instanceWarmup: String(grace),
          autoRollback: true,
        },
      },
      enabledMetrics: [
        'GroupMinSize',
        'GroupMaxSize',
        'GroupDesiredCapacity',
        'GroupInServiceInstances',
        'GroupPendingInstances',
        'GroupTerminatingInstances',
        'GroupTotalInstances',
      ],
      metricsGranularity: '1Minute',
      tag: [{ key: 'Name', value: `${name}-app`, propagateAtLaunch: true }],
      // After creation the scaling policy owns the desired capacity; an apply must not reset it.
      lifecycle: { ignoreChanges: ['desired_capacity'] },
    })

    this.scalingPolicy = new AutoscalingPolicy(this, 'cpu-target', {
      name: `${name}-cpu-${cpuTarget}`,
      autoscalingGroupName: this.autoScalingGroup.name,
      policyType: 'TargetTrackingScaling',
      estimatedInstanceWarmup: grace,
      targetTrackingConfiguration: {
        targetValue: cpuTarget,
        predefinedMetricSpecification: { predefinedMetricType: 'ASGAverageCPUUtilization' },
      },
    })
  }
}
