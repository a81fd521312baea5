// Property assertions for every default of the composed stack. The stack is synthesized once
// (with validations, so the policy aspect runs) and every test reads the same JSON.
import { beforeAll, describe, expect, it } from 'vitest'
import {
  auroraMysqlFamily,
  checkTicketingPolicies,
  DEFAULT_AURORA_MYSQL_VERSION,
  TICKETING_METRICS,
  WAITING_ROOM_METRICS,
} from '../src/index.js'
import {
  buildStack,
  countReferences,
  type Json,
  named,
  only,
  ref,
  resources,
  synthTicketing,
  unknownAttributes,
  unresolvedReferences,
} from './helpers.js'

let json: Json
let built: ReturnType<typeof synthTicketing>
beforeAll(() => {
  built = synthTicketing()
  json = built.json
})

describe('TicketingStack defaults', () => {
  it('passes its own policy rules and every reference resolves', () => {
    expect(checkTicketingPolicies(json)).toEqual([])
    expect(countReferences(json)).toBeGreaterThan(150)
    expect(unresolvedReferences(json)).toEqual([])
    // ...and every attribute read off them exists on that resource type.
    expect(unknownAttributes(built.stack, json)).toEqual([])
  })

  it('network: VPC, 3 tiers x 2 AZs, IGW, NAT per AZ, isolated DB subnets, flow logs', () => {
    expect(only(json, 'aws_vpc')).toMatchObject({ cidr_block: '10.0.0.0/16', enable_dns_hostnames: true })
    const subnets = resources(json, 'aws_subnet').map(([, s]) => s)
    expect(subnets).toHaveLength(6)
    const byTier = (tier: string) => subnets.filter((s) => s.tags['ticketing:tier'] === tier)
    expect(byTier('public').map((s) => [s.cidr_block, s.availability_zone])).toEqual([
      ['10.0.0.0/24', 'ap-northeast-2a'],
      ['10.0.1.0/24', 'ap-northeast-2c'],
    ])
    expect(byTier('app').map((s) => s.cidr_block)).toEqual(['10.0.2.0/24', '10.0.3.0/24'])
    expect(byTier('db').map((s) => s.cidr_block)).toEqual(['10.0.4.0/24', '10.0.5.0/24'])
    expect(subnets.every((s) => s.map_public_ip_on_launch === false)).toBe(true)
    expect(resources(json, 'aws_internet_gateway')).toHaveLength(1)
    expect(resources(json, 'aws_nat_gateway')).toHaveLength(2)
    // Each app route table sends 0.0.0.0/0 to the NAT of its own AZ.
    expect(named(json, 'aws_route', 'app-default-0').nat_gateway_id).toBe(
      ref(json, 'aws_nat_gateway', 'nat-0', 'id'),
    )
    expect(named(json, 'aws_route', 'app-default-1').nat_gateway_id).toBe(
      ref(json, 'aws_nat_gateway', 'nat-1', 'id'),
    )
    // No route out of the database tier.
    const dbRt = ref(json, 'aws_route_table', 'db-rt', 'id')
    expect(resources(json, 'aws_route').filter(([, r]) => r.route_table_id === dbRt)).toEqual([])
    // Only the free S3 gateway endpoint when NAT exists.
    expect(resources(json, 'aws_vpc_endpoint').map(([, e]) => e.vpc_endpoint_type)).toEqual(['Gateway'])
    expect(only(json, 'aws_flow_log')).toMatchObject({
      traffic_type: 'ALL',
      log_destination_type: 'cloud-watch-logs',
    })
  })

  it('security groups: only the ALB is world-open, on 80 (443 only with HTTPS); the rest chain by group reference', () => {
    const ingress = resources(json, 'aws_vpc_security_group_ingress_rule').map(([, r]) => r)
    const world = ingress.filter((r) => r.cidr_ipv4 === '0.0.0.0/0')
    // No certificate, no HTTPS listener: 443 stays closed (an open port with nothing behind it).
    expect(world.map((r) => r.from_port).sort()).toEqual([80])
    expect(new Set(world.map((r) => r.security_group_id))).toEqual(
      new Set([ref(json, 'aws_security_group', 'sg_alb', 'id')]),
    )
    const sg = (k: string) => ref(json, 'aws_security_group', `sg_${k}_`, 'id')
    const link = (to: string, from: string, port: number) =>
      ingress.find(
        (r) =>
          r.security_group_id === sg(to) &&
          r.referenced_security_group_id === sg(from) &&
          r.from_port === port,
      )
    expect(link('app', 'alb', 8080)).toBeDefined()
    expect(link('db', 'app', 3306)).toBeDefined()
    expect(link('redis', 'app', 6379)).toBeDefined()
    expect(ingress.some((r) => r.from_port === 22)).toBe(false)
  })

  it('aurora: managed password, encrypted, protected, 7-day backups, final snapshot, IAM auth, logs, TLS-only', () => {
    const c = only(json, 'aws_rds_cluster')
    expect(c).toMatchObject({
      engine: 'aurora-mysql',
      manage_master_user_password: true,
      storage_encrypted: true,
      deletion_protection: true,
      backup_retention_period: 7,
      skip_final_snapshot: false,
      final_snapshot_identifier: 'ticketing-dev-aurora-final',
      iam_database_authentication_enabled: true,
      enabled_cloudwatch_logs_exports: ['audit', 'error', 'slowquery'],
      database_name: 'ticketing',
      copy_tags_to_snapshot: true,
    })
    expect(c.master_password).toBeUndefined()
    const params = only(json, 'aws_rds_cluster_parameter_group')
    expect(params.family).toBe('aurora-mysql8.0')
    expect(params.parameter).toContainEqual({ name: 'require_secure_transport', value: 'ON' })
    const instances = resources(json, 'aws_rds_cluster_instance').map(([, i]) => i)
    expect(named(json, 'aws_rds_cluster_instance', 'writer').availability_zone).toBe('ap-northeast-2a')
    expect(named(json, 'aws_rds_cluster_instance', 'reader-1').availability_zone).toBe('ap-northeast-2c')
    expect(
      instances.every((i) => i.performance_insights_enabled === true && i.publicly_accessible === false),
    ).toBe(true)
    expect(instances.map((i) => i.instance_class)).toEqual(['db.t4g.medium', 'db.t4g.medium'])
    // The reader is created after the writer, so the writer really is the writer.
    expect(named(json, 'aws_rds_cluster_instance', 'reader-1').depends_on).toContain(
      ref(json, 'aws_rds_cluster_instance', 'writer', 'id').replace(/^\$\{|\.id\}$/g, ''),
    )
    // Log groups exist before RDS creates them with no expiry.
    const rdsLogs = resources(json, 'aws_cloudwatch_log_group').filter(([, g]) =>
      g.name.startsWith('/aws/rds/cluster/'),
    )
    expect(rdsLogs).toHaveLength(3)
  })

  it('redis: Multi-AZ failover, 2 nodes, encrypted both ways, AUTH from Secrets Manager, volatile-lru, snapshots, slow log', () => {
    const rg = only(json, 'aws_elasticache_replication_group')
    expect(rg).toMatchObject({
      replication_group_id: 'ticketing-dev-redis',
      automatic_failover_enabled: true,
      multi_az_enabled: true,
      num_cache_clusters: 2,
      at_rest_encryption_enabled: 'true',
      transit_encryption_enabled: true,
      snapshot_retention_limit: 7,
      preferred_cache_cluster_azs: ['ap-northeast-2a', 'ap-northeast-2c'],
    })
    expect(rg.auth_token).toBe(
      ref(json, 'aws_secretsmanager_secret_version', 'auth-token-value', 'secret_string'),
    )
    expect(rg.log_delivery_configuration.map((l: Json) => l.log_type)).toEqual(['slow-log', 'engine-log'])
    const pg = only(json, 'aws_elasticache_parameter_group')
    expect(pg.parameter).toEqual([{ name: 'maxmemory-policy', value: 'volatile-lru' }])
    expect(pg.family).toBe('redis7')
  })

  it('alb: drop invalid headers, access logs to an SSE-S3 bucket with ELB delivery, target group on 8080 /api/health', () => {
    const alb = only(json, 'aws_lb')
    expect(alb).toMatchObject({
      drop_invalid_header_fields: true,
      internal: false,
      load_balancer_type: 'application',
    })
    expect(alb.access_logs).toMatchObject({ enabled: true, prefix: 'alb' })
    expect(alb.security_groups).toEqual([ref(json, 'aws_security_group', 'sg_alb', 'id')])
    const tg = only(json, 'aws_lb_target_group')
    expect(tg).toMatchObject({ port: 8080, protocol: 'HTTP' })
    expect(tg.health_check).toMatchObject({ path: '/api/health', matcher: '200' })
    const logBucket = alb.access_logs.bucket.replace(/^\$\{aws_s3_bucket\.|\.id\}$/g, '')
    const sse = resources(json, 'aws_s3_bucket_server_side_encryption_configuration').find(([, c]) =>
      c.bucket.includes(logBucket),
    )
    expect(sse?.[1].rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe('AES256')
    const policy = resources(json, 'aws_s3_bucket_policy').find(([, p]) => p.bucket.includes(logBucket))![1]
    const doc = JSON.parse(policy.policy)
    expect(doc.Statement.map((s: Json) => s.Sid)).toEqual(['DenyInsecureTransport', 'ElbLogDelivery'])
    // Without a certificate: HTTP forwards (the seed's first deploy); no WAF unless asked.
    expect(only(json, 'aws_lb_listener')).toMatchObject({ port: 80, protocol: 'HTTP' })
    expect(resources(json, 'aws_wafv2_web_acl_association')).toEqual([])
  })

  it('launch template: IMDSv2 hop 2, encrypted gp3, AMI via resolve:ssm, the app SG only', () => {
    const lt = only(json, 'aws_launch_template')
    expect(lt.metadata_options).toMatchObject({
      http_tokens: 'required',
      http_put_response_hop_limit: 2,
      http_endpoint: 'enabled',
    })
    expect(lt.block_device_mappings[0].ebs).toMatchObject({ encrypted: 'true', volume_type: 'gp3' })
    expect(lt.image_id).toBe(
      'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    )
    expect(lt.instance_type).toBe('t3.medium')
    expect(lt.key_name).toBeUndefined()
    expect(lt.vpc_security_group_ids).toEqual([ref(json, 'aws_security_group', 'sg_app_', 'id')])
  })

  it('asg: 2-20 over both app subnets, ELB health checks, pinned latest_version, refresh with rollback, CPU 70%', () => {
    const asg = only(json, 'aws_autoscaling_group')
    expect(asg).toMatchObject({ min_size: 2, max_size: 20, desired_capacity: 2, health_check_type: 'ELB' })
    expect(asg.vpc_zone_identifier).toHaveLength(2)
    expect(asg.launch_template.version).toBe(ref(json, 'aws_launch_template', 'template', 'latest_version'))
    expect(asg.launch_template.version).not.toContain('$Latest')
    expect(asg.instance_refresh).toMatchObject({ strategy: 'Rolling', preferences: { auto_rollback: true } })
    expect(asg.target_group_arns).toEqual([ref(json, 'aws_lb_target_group', 'tg', 'arn')])
    expect(asg.enabled_metrics).toContain('GroupInServiceInstances')
    // Instances boot only once Aurora and Redis exist.
    expect(asg.depends_on.some((d: string) => d.startsWith('aws_rds_cluster_instance.'))).toBe(true)
    expect(asg.depends_on.some((d: string) => d.startsWith('aws_elasticache_replication_group.'))).toBe(true)
    const policy = only(json, 'aws_autoscaling_policy')
    expect(policy.policy_type).toBe('TargetTrackingScaling')
    expect(policy.target_tracking_configuration).toMatchObject({
      target_value: 70,
      predefined_metric_specification: { predefined_metric_type: 'ASGAverageCPUUtilization' },
    })
  })

  it('ecr: scan on push, immutable tags, lifecycle policy', () => {
    expect(only(json, 'aws_ecr_repository')).toMatchObject({
      name: 'ticketing-dev',
      image_tag_mutability: 'IMMUTABLE',
      image_scanning_configuration: { scan_on_push: true },
    })
    const rules = JSON.parse(only(json, 'aws_ecr_lifecycle_policy').policy).rules
    expect(rules).toHaveLength(2)
  })

  it('s3: both buckets versioned, encrypted, TLS-only, public access blocked', () => {
    const buckets = resources(json, 'aws_s3_bucket')
    expect(buckets).toHaveLength(2)
    for (const [name] of buckets) {
      const about = (type: string) =>
        resources(json, type).find(([, r]) => r.bucket === `\${aws_s3_bucket.${name}.id}`)?.[1]
      expect(about('aws_s3_bucket_versioning')?.versioning_configuration.status).toBe('Enabled')
      expect(about('aws_s3_bucket_server_side_encryption_configuration')).toBeDefined()
      expect(about('aws_s3_bucket_public_access_block')).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      })
      const doc = JSON.parse(about('aws_s3_bucket_policy')!.policy)
      expect(doc.Statement[0]).toMatchObject({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      })
    }
  })

  it('sqs: SSE and a DLQ; sns: CMK that CloudWatch may use, email subscription', () => {
    const queue = named(json, 'aws_sqs_queue', 'messaging_queue')
    expect(queue.sqs_managed_sse_enabled).toBe(true)
    expect(JSON.parse(queue.redrive_policy)).toEqual({
      deadLetterTargetArn: ref(json, 'aws_sqs_queue', 'messaging_dlq', 'arn'),
      maxReceiveCount: 5,
    })
    expect(named(json, 'aws_sqs_queue', 'messaging_dlq').sqs_managed_sse_enabled).toBe(true)
    expect(only(json, 'aws_sns_topic').kms_master_key_id).toBe(ref(json, 'aws_kms_key', 'key', 'arn'))
    const key = only(json, 'aws_kms_key')
    expect(key.enable_key_rotation).toBe(true)
    const cw = JSON.parse(key.policy).Statement.find(
      (s: Json) => s.Principal?.Service === 'cloudwatch.amazonaws.com',
    )
    expect(cw.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*'])
    expect(only(json, 'aws_sns_topic_subscription')).toMatchObject({
      protocol: 'email',
      endpoint: 'ops@example.com',
    })
  })

  it('iam: no ReadOnly managed policies, no "*" resource where an ARN is known', () => {
    const attachments = resources(json, 'aws_iam_role_policy_attachment').map(([, a]) => a.policy_arn)
    expect(attachments).toEqual(['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore'])
    const app = JSON.parse(named(json, 'aws_iam_role_policy', 'app_policy').policy)
    const wildcard = app.Statement.filter(
      (s: Json) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')),
    )
    // Only the two actions AWS offers no resource-level permissions for.
    expect(wildcard.map((s: Json) => s.Action)).toEqual([
      'ecr:GetAuthorizationToken',
      'cloudwatch:PutMetricData',
    ])
    expect(app.Statement.find((s: Json) => s.Sid === 'OwnMetrics').Condition).toEqual({
      StringEquals: { 'cloudwatch:namespace': 'Ticketing' },
    })
    const secrets = app.Statement.find((s: Json) => s.Sid === 'ReadOwnSecrets').Resource
    // Exactly the app's own three secrets: its database user's, Redis AUTH and the JWT key.
    expect([...secrets].sort()).toEqual(
      [
        ref(json, 'aws_secretsmanager_secret', 'app-user', 'arn'),
        ref(json, 'aws_secretsmanager_secret', 'auth-token', 'arn'),
        ref(json, 'aws_secretsmanager_secret', 'jwt-secret', 'arn'),
      ].sort(),
    )
    // The master user's secret appears in no statement of the instance role.
    expect(JSON.stringify(app)).not.toContain('master_user_secret')
    expect(
      app.Statement.filter((s: Json) => JSON.stringify(s.Action).includes('secretsmanager')),
    ).toHaveLength(1)
  })

  it('database user: the app connects as its own user, whose secret is generated, rotatable and not the master', () => {
    const secret = named(json, 'aws_secretsmanager_secret', 'app-user')
    expect(secret).toMatchObject({ name: 'ticketing-dev/aurora/app-user', recovery_window_in_days: 7 })
    const version = named(json, 'aws_secretsmanager_secret_version', 'app-user-value')
    expect(version.secret_id).toBe(ref(json, 'aws_secretsmanager_secret', 'app-user', 'id'))
    expect(version.lifecycle).toEqual({ ignore_changes: ['secret_string'] })
    // The JSON AWS's RDS rotation functions expect, with a generated password (a reference).
    const [randomName, random] = Object.entries(json.data.aws_secretsmanager_random_password as Json).find(
      ([n]) => n.includes('app-user-random'),
    )!
    expect(random).toMatchObject({ password_length: 40, exclude_punctuation: true })
    const value = version.secret_string as string
    expect(value).toMatch(/^\$\{jsonencode\(\{/)
    for (const part of [
      '"engine" = "mysql"',
      '"username" = "ticketing_app"',
      '"dbname" = "ticketing"',
      '"port" = 3306',
      `"host" = ${ref(json, 'aws_rds_cluster', 'cluster', 'endpoint').slice(2, -1)}`,
      `"password" = data.aws_secretsmanager_random_password.${randomName}.random_password`,
    ]) {
      expect(value).toContain(part)
    }
    // No rotation unless a rotation function is given: this package deploys no Lambda.
    expect(resources(json, 'aws_secretsmanager_secret_rotation')).toEqual([])
    expect(only(json, 'aws_rds_cluster').master_username).toBe('ticketing_admin')
    expect(json.output.db_app_secret_arn.value).toBe(
      ref(json, 'aws_secretsmanager_secret', 'app-user', 'arn'),
    )
    expect(json.output.db_secret_arn.value).toBe(
      ref(json, 'aws_rds_cluster', 'cluster', 'master_user_secret[0].secret_arn'),
    )
  })

  it('monitoring: dashboard with ALB/EC2/Aurora/Redis/ASG and the API metrics; alarms on arn_suffix to SNS', () => {
    const body = JSON.parse(only(json, 'aws_cloudwatch_dashboard').dashboard_body)
    const metrics = body.widgets
      .flatMap((w: Json) => w.properties.metrics)
      .map((m: unknown[]) => `${m[0]}/${m[1]}`)
    for (const m of [
      'AWS/ApplicationELB/HealthyHostCount',
      'AWS/ApplicationELB/RequestCount',
      'AWS/ApplicationELB/HTTPCode_Target_5XX_Count',
      'AWS/ApplicationELB/TargetResponseTime',
      'AWS/EC2/CPUUtilization',
      'AWS/RDS/DatabaseConnections',
      'AWS/RDS/CPUUtilization',
      'AWS/ElastiCache/DatabaseMemoryUsagePercentage',
      'AWS/ElastiCache/EngineCPUUtilization',
      'AWS/AutoScaling/GroupInServiceInstances',
      ...TICKETING_METRICS.map((c) => `Ticketing/${c.name}`),
      ...WAITING_ROOM_METRICS.map((c) => `Ticketing/${c.name}`),
    ]) {
      expect(metrics).toContain(m)
    }
    const alarms = resources(json, 'aws_cloudwatch_metric_alarm').map(([, a]) => a)
    const topic = ref(json, 'aws_sns_topic', 'alerts', 'arn')
    expect(alarms.every((a) => a.alarm_actions?.[0] === topic)).toBe(true)
    const byName = Object.fromEntries(alarms.map((a) => [a.alarm_name, a]))
    expect(Object.keys(byName).sort()).toEqual(
      [
        'ticketing-dev-db-cpu',
        'ticketing-dev-dlq-not-empty',
        'ticketing-dev-high-cpu',
        'ticketing-dev-http-5xx-rate',
        'ticketing-dev-redis-memory-1',
        'ticketing-dev-redis-memory-2',
        'ticketing-dev-unhealthy-hosts',
        'ticketing-dev-queue-stalled',
      ].sort(),
    )
    // arn_suffix, never the full ARN: CloudWatch would silently match nothing.
    expect(byName['ticketing-dev-unhealthy-hosts'].dimensions).toEqual({
      LoadBalancer: ref(json, 'aws_lb', 'alb', 'arn_suffix'),
      TargetGroup: ref(json, 'aws_lb_target_group', 'tg', 'arn_suffix'),
    })
    const rate = byName['ticketing-dev-http-5xx-rate'].metric_query
    expect(rate.find((q: Json) => q.id === 'requests').metric.dimensions.LoadBalancer).toBe(
      ref(json, 'aws_lb', 'alb', 'arn_suffix'),
    )
    expect(byName['ticketing-dev-redis-memory-1'].dimensions).toEqual({
      CacheClusterId: 'ticketing-dev-redis-001',
    })
    expect(byName['ticketing-dev-db-cpu'].dimensions).toEqual({ DBClusterIdentifier: 'ticketing-dev-aurora' })
  })

  it('waiting room: four widgets (length max, admissions, wait p50/p99, abandoned turns) and a "queue stalled" alarm', () => {
    const body = JSON.parse(only(json, 'aws_cloudwatch_dashboard').dashboard_body)
    const widget = (title: string) =>
      body.widgets.find((w: Json) => w.properties.title.startsWith(title)).properties
    expect(widget('Waiting room: people waiting')).toMatchObject({
      stat: 'Maximum',
      metrics: [['Ticketing', 'QueueLength']],
    })
    expect(widget('Waiting room: admissions')).toMatchObject({
      stat: 'Sum',
      metrics: [['Ticketing', 'QueueAdmissions']],
    })
    expect(widget('Waiting room: wait').metrics).toEqual([
      ['Ticketing', 'QueueWait', { stat: 'p50' }],
      ['Ticketing', 'QueueWait', { stat: 'p99' }],
    ])
    expect(widget('Waiting room: abandoned turns')).toMatchObject({
      stat: 'Sum',
      metrics: [['Ticketing', 'QueueAbandonedTurns']],
    })
    // One row of four, below everything else.
    const row = body.widgets.filter((w: Json) => w.properties.title.startsWith('Waiting room'))
    expect(new Set(row.map((w: Json) => w.y)).size).toBe(1)
    expect(row.map((w: Json) => [w.x, w.width])).toEqual([
      [0, 6],
      [6, 6],
      [12, 6],
      [18, 6],
    ])
    expect(Math.max(...body.widgets.map((w: Json) => w.y))).toBe(row[0].y)

    const alarm = resources(json, 'aws_cloudwatch_metric_alarm')
      .map(([, a]) => a)
      .find((a) => a.alarm_name === 'ticketing-dev-queue-stalled')!
    // Breaching = waiting > 0 and no admission in that minute; three such minutes in a row.
    expect(alarm).toMatchObject({
      evaluation_periods: 3,
      datapoints_to_alarm: 3,
      threshold: 0,
      comparison_operator: 'GreaterThanThreshold',
      treat_missing_data: 'notBreaching',
      alarm_actions: [ref(json, 'aws_sns_topic', 'alerts', 'arn')],
      ok_actions: [ref(json, 'aws_sns_topic', 'alerts', 'arn')],
    })
    expect(alarm.metric_name).toBeUndefined()
    const queries = Object.fromEntries(alarm.metric_query.map((q: Json) => [q.id, q]))
    expect(queries.stalled).toMatchObject({
      expression: 'IF(FILL(waiting, 0) > 0 AND FILL(admitted, 0) == 0, 1, 0)',
      return_data: true,
    })
    expect(queries.waiting).toMatchObject({
      return_data: false,
      metric: { namespace: 'Ticketing', metric_name: 'QueueLength', period: 60, stat: 'Maximum' },
    })
    expect(queries.admitted).toMatchObject({
      return_data: false,
      metric: { namespace: 'Ticketing', metric_name: 'QueueAdmissions', period: 60, stat: 'Sum' },
    })
    // The API publishes without dimensions: a dimension here would match no metric.
    expect(queries.waiting.metric.dimensions).toBeUndefined()
    expect(queries.admitted.metric.dimensions).toBeUndefined()
  })

  it('every log group has a retention', () => {
    const groups = resources(json, 'aws_cloudwatch_log_group').map(([, g]) => g)
    expect(groups.length).toBeGreaterThanOrEqual(7)
    expect(groups.filter((g) => !(g.retention_in_days > 0))).toEqual([])
  })

  it('outputs have the seed names', () => {
    expect(json.output).toMatchObject({
      alb_dns_name: { value: ref(json, 'aws_lb', 'alb', 'dns_name') },
      db_endpoint: { value: ref(json, 'aws_rds_cluster', 'cluster', 'endpoint') },
      db_reader_endpoint: { value: ref(json, 'aws_rds_cluster', 'cluster', 'reader_endpoint') },
      redis_endpoint: {
        value: ref(json, 'aws_elasticache_replication_group', 'redis', 'primary_endpoint_address'),
      },
      ecr_repository_url: { value: ref(json, 'aws_ecr_repository', 'repo', 'repository_url') },
    })
  })
})

describe('the application database user', () => {
  it('rotates when given a rotation function: on schedule, not at creation (the user is bootstrapped after apply)', () => {
    const lambdaArn =
      'arn:aws:lambda:ap-northeast-2:123456789012:function:SecretsManagerRDSMySQLRotationSingleUser'
    const { json } = synthTicketing({ dbAppUserRotation: { lambdaArn, everyDays: 14 } })
    expect(only(json, 'aws_secretsmanager_secret_rotation')).toEqual({
      secret_id: ref(json, 'aws_secretsmanager_secret', 'app-user', 'id'),
      rotation_lambda_arn: lambdaArn,
      rotation_rules: { automatically_after_days: 14 },
      rotate_immediately: false,
    })
  })
})

describe('what first production users need', () => {
  const prod = {
    environment: 'prod',
    certificateArn:
      'arn:aws:acm:ap-northeast-2:123456789012:certificate/0b3c1d5e-1111-2222-3333-444455556666',
    alarmEmail: 'oncall@tickets.dev',
  }

  it('a production stack requires a certificate and a real alarm e-mail', () => {
    expect(() => buildStack({ ...prod, certificateArn: undefined })).toThrow(/certificateArn.*HTTPS/)
    expect(() => buildStack({ ...prod, alarmEmail: 'your-email@example.com' })).toThrow(/alarmEmail/)
    expect(() => buildStack({ ...prod, alarmEmail: undefined })).toThrow(/alarmEmail/)
  })

  it('with HTTPS, 443 opens on the ALB group', () => {
    const { json } = synthTicketing(prod)
    const world = resources(json, 'aws_vpc_security_group_ingress_rule')
      .map(([, r]) => r)
      .filter((r) => r.cidr_ipv4 === '0.0.0.0/0')
    expect(world.map((r) => r.from_port).sort()).toEqual([443, 80])
  })

  it('instance refresh keeps full capacity: min 100%, max 200%', () => {
    const { json } = synthTicketing()
    expect(only(json, 'aws_autoscaling_group').instance_refresh.preferences).toMatchObject({
      min_healthy_percentage: 100,
      max_healthy_percentage: 200,
    })
  })

  it('instances, volumes and interfaces launched by the group carry the stack tags', () => {
    const tags = { Project: 'Ticketing', Environment: 'dev', CostCenter: 'tix' }
    const { json } = synthTicketing({ tags })
    const specs = only(json, 'aws_launch_template').tag_specifications
    expect(specs.map((s: Json) => s.resource_type).sort()).toEqual([
      'instance',
      'network-interface',
      'volume',
    ])
    for (const spec of specs) expect(spec.tags).toEqual({ ...tags, Name: 'ticketing-dev-app' })
  })

  it('no unused security group: the endpoints group exists only with interface endpoints', () => {
    const groups = (json: Json) => resources(json, 'aws_security_group').map(([n]) => n)
    expect(groups(synthTicketing().json).some((n) => n.includes('endpoints'))).toBe(false)
    expect(groups(synthTicketing({ natGateways: 'none' }).json).some((n) => n.includes('endpoints'))).toBe(
      true,
    )
  })

  it('the default security group is managed, with no rules', () => {
    const { json } = synthTicketing()
    const sg = only(json, 'aws_default_security_group')
    expect(sg.vpc_id).toBe(ref(json, 'aws_vpc', 'vpc', 'id'))
    expect(sg.ingress).toBeUndefined()
    expect(sg.egress).toBeUndefined()
  })

  it('the parameter-group family follows the pinned engine version', () => {
    expect(auroraMysqlFamily(DEFAULT_AURORA_MYSQL_VERSION)).toBe('aurora-mysql8.0')
    expect(auroraMysqlFamily('8.4.mysql_aurora.4.0.0')).toBe('aurora-mysql8.4')
    expect(auroraMysqlFamily('8.0')).toBeUndefined()
    const { json } = synthTicketing()
    expect(only(json, 'aws_rds_cluster').engine_version).toBe(DEFAULT_AURORA_MYSQL_VERSION)
    expect(only(json, 'aws_rds_cluster_parameter_group').family).toBe('aurora-mysql8.0')
  })
})
