// The constructs used on their own (Testing.synthScope), outside TicketingStack.
import { Testing } from 'cdktn'
import { describe, expect, it } from 'vitest'
import { Messaging, Monitoring, type MonitoringProps, Network, Registry, SecureBucket } from '../src/index.js'
import { type Json, only, resources } from './helpers.js'

const synth = (fn: Parameters<typeof Testing.synthScope>[0]): Json => JSON.parse(Testing.synthScope(fn))

describe('building blocks alone', () => {
  it('Network with a /20, three AZs and no NAT carves /26 subnets and adds endpoints', () => {
    const json = synth((scope) => {
      new Network(scope, 'net', {
        name: 'solo',
        region: 'eu-west-1',
        availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
        vpcCidr: '172.16.0.0/20',
        subnetNewBits: 6,
        natGateways: 'none',
        flowLogs: false,
      })
    })
    const cidrs = resources(json, 'aws_subnet')
      .map(([, s]) => s.cidr_block)
      .sort()
    expect(cidrs).toHaveLength(9)
    expect(cidrs).toContain('172.16.0.0/26')
    expect(cidrs).toContain('172.16.2.0/26')
    expect(resources(json, 'aws_flow_log')).toEqual([])
    expect(resources(json, 'aws_vpc_endpoint').length).toBeGreaterThan(1)
  })

  it('Registry can be made mutable and KMS-encrypted', () => {
    const json = synth((scope) => {
      new Registry(scope, 'r', {
        name: 'solo',
        immutableTags: false,
        kmsKeyArn: 'arn:aws:kms:eu-west-1:1:key/k',
        keepImages: 5,
      })
    })
    const repo = only(json, 'aws_ecr_repository')
    expect(repo.image_tag_mutability).toBe('MUTABLE')
    expect(repo.encryption_configuration).toEqual([
      { encryption_type: 'KMS', kms_key: 'arn:aws:kms:eu-west-1:1:key/k' },
    ])
    expect(JSON.parse(only(json, 'aws_ecr_lifecycle_policy').policy).rules[1].selection.countNumber).toBe(5)
  })

  it('SecureBucket with a KMS key uses SSE-KMS with a bucket key', () => {
    const json = synth((scope) => {
      new SecureBucket(scope, 'b', {
        namePrefix: 'solo-data',
        kmsKeyArn: 'arn:aws:kms:eu-west-1:1:key/k',
        expireAfterDays: 30,
      })
    })
    expect(only(json, 'aws_s3_bucket_server_side_encryption_configuration').rule[0]).toEqual({
      apply_server_side_encryption_by_default: {
        kms_master_key_id: 'arn:aws:kms:eu-west-1:1:key/k',
        sse_algorithm: 'aws:kms',
      },
      bucket_key_enabled: true,
    })
    expect(only(json, 'aws_s3_bucket_lifecycle_configuration').rule[0].expiration).toEqual([{ days: 30 }])
  })

  it('Messaging without an email creates no subscription', () => {
    const json = synth((scope) => {
      new Messaging(scope, 'm', { name: 'solo' })
    })
    expect(resources(json, 'aws_sns_topic_subscription')).toEqual([])
    expect(resources(json, 'aws_sqs_queue')).toHaveLength(2)
  })

  it('Monitoring charts a custom metric list in a custom namespace', () => {
    const json = synth((scope) => {
      new Monitoring(scope, 'mon', {
        name: 'solo',
        region: 'eu-west-1',
        alarmTopicArn: 'arn:aws:sns:eu-west-1:1:t',
        loadBalancerArnSuffix: 'app/solo/1',
        targetGroupArnSuffix: 'targetgroup/solo/2',
        autoScalingGroupName: 'solo-asg',
        dbClusterIdentifier: 'solo-aurora',
        cacheClusterIds: ['solo-redis-001'],
        metricsNamespace: 'Shop',
        customMetrics: [{ name: 'Orders', unit: 'Count', stat: 'Sum', doc: 'orders' }],
      })
    })
    const body = JSON.parse(only(json, 'aws_cloudwatch_dashboard').dashboard_body)
    const metrics = body.widgets.flatMap((w: Json) => w.properties.metrics)
    expect(metrics).toContainEqual(['Shop', 'Orders'])
    expect(metrics.some((m: string[]) => m[0] === 'Ticketing')).toBe(false)
    expect(
      resources(json, 'aws_cloudwatch_metric_alarm').every(
        ([, a]) => a.alarm_actions[0] === 'arn:aws:sns:eu-west-1:1:t',
      ),
    ).toBe(true)
  })

  it('Monitoring: the waiting room follows the namespace and stall window, and can be left out', () => {
    const monitoring = (extra: Partial<MonitoringProps>) =>
      synth((scope) => {
        new Monitoring(scope, 'mon', {
          name: 'solo',
          region: 'eu-west-1',
          alarmTopicArn: 'arn:aws:sns:eu-west-1:1:t',
          loadBalancerArnSuffix: 'app/solo/1',
          targetGroupArnSuffix: 'targetgroup/solo/2',
          autoScalingGroupName: 'solo-asg',
          dbClusterIdentifier: 'solo-aurora',
          cacheClusterIds: ['solo-redis-001'],
          metricsNamespace: 'Shop',
          ...extra,
        })
      })
    const stalled = (json: Json) =>
      resources(json, 'aws_cloudwatch_metric_alarm')
        .map(([, a]) => a)
        .find((a) => a.alarm_name === 'solo-queue-stalled')
    const five = monitoring({ queueStalledMinutes: 5 })
    expect(stalled(five)).toMatchObject({ evaluation_periods: 5, datapoints_to_alarm: 5 })
    const queries: Json[] = stalled(five)!.metric_query
    expect(queries.filter((q) => q.metric).map((q) => q.metric.namespace)).toEqual(['Shop', 'Shop'])
    const metrics = JSON.parse(only(five, 'aws_cloudwatch_dashboard').dashboard_body).widgets.flatMap(
      (w: Json) => w.properties.metrics,
    )
    expect(metrics).toContainEqual(['Shop', 'QueueLength'])

    const without = monitoring({ waitingRoom: false })
    expect(stalled(without)).toBeUndefined()
    expect(only(without, 'aws_cloudwatch_dashboard').dashboard_body).not.toContain('Queue')
  })
})
