// The stack's switches: NAT none (VPC endpoints), single NAT, HTTPS with redirect, WAF, prod sizes.
// Each variant is synthesized once, and the reference walker runs on every one.
import { beforeAll, describe, expect, it } from 'vitest'
import { checkTicketingPolicies, INTERFACE_ENDPOINTS } from '../src/index.js'
import {
  buildStack,
  type Json,
  named,
  only,
  ref,
  resources,
  synthJson,
  synthTicketing,
  unknownAttributes,
  unresolvedReferences,
} from './helpers.js'

const CERT = 'arn:aws:acm:ap-northeast-2:123456789012:certificate/abc'
const WAF = 'arn:aws:wafv2:ap-northeast-2:123456789012:regional/webacl/tk/abc'

describe('natGateways: none', () => {
  let json: Json
  beforeAll(() => {
    json = synthTicketing({ natGateways: 'none' }).json
  })
  it('adds interface endpoints for ECR, logs, SSM, Secrets Manager (and the S3 gateway)', () => {
    expect(resources(json, 'aws_nat_gateway')).toEqual([])
    expect(resources(json, 'aws_route').filter(([, r]) => r.nat_gateway_id)).toEqual([])
    const services = resources(json, 'aws_vpc_endpoint').map(([, e]) => e.service_name)
    for (const s of ['s3', ...INTERFACE_ENDPOINTS])
      expect(services).toContain(`com.amazonaws.ap-northeast-2.${s}`)
    const ecr = resources(json, 'aws_vpc_endpoint').find(([, e]) => e.service_name.endsWith('ecr.dkr'))![1]
    expect(ecr).toMatchObject({ vpc_endpoint_type: 'Interface', private_dns_enabled: true })
    expect(ecr.security_group_ids).toEqual([ref(json, 'aws_security_group', 'sg_endpoints', 'id')])
    expect(unresolvedReferences(json)).toEqual([])
    expect(checkTicketingPolicies(json)).toEqual([])
  })
})

describe('natGateways: single', () => {
  it('routes both app tiers through one NAT', () => {
    const { json } = synthTicketing({ natGateways: 'single' })
    expect(resources(json, 'aws_nat_gateway')).toHaveLength(1)
    const nat = ref(json, 'aws_nat_gateway', 'nat-0', 'id')
    expect(named(json, 'aws_route', 'app-default-0').nat_gateway_id).toBe(nat)
    expect(named(json, 'aws_route', 'app-default-1').nat_gateway_id).toBe(nat)
    expect(unresolvedReferences(json)).toEqual([])
  })
})

describe('certificate + WAF + prod sizing', () => {
  let json: Json
  beforeAll(() => {
    json = synthTicketing({
      environment: 'prod',
      certificateArn: CERT,
      alarmEmail: 'oncall@tickets.dev',
      webAclArn: WAF,
      availabilityZones: ['ap-northeast-2a', 'ap-northeast-2b', 'ap-northeast-2c'],
      instanceType: 'm7g.large',
      minSize: 3,
      maxSize: 30,
      desiredSize: 6,
      cpuTargetPercent: 60,
      redisNodes: 3,
      redisEvictionPolicy: 'noeviction',
      dbInstanceClass: 'db.r7g.large',
    }).json
  })

  it('HTTPS with a TLS 1.3 policy, HTTP redirects to it, WAF associated', () => {
    const https = named(json, 'aws_lb_listener', '_https_')
    expect(https).toMatchObject({
      port: 443,
      protocol: 'HTTPS',
      ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      certificate_arn: CERT,
    })
    expect(https.default_action[0]).toMatchObject({ type: 'forward' })
    const http = named(json, 'aws_lb_listener', '_http_')
    expect(http.default_action[0]).toMatchObject({
      type: 'redirect',
      redirect: { protocol: 'HTTPS', port: '443', status_code: 'HTTP_301' },
    })
    expect(only(json, 'aws_wafv2_web_acl_association')).toEqual({
      resource_arn: ref(json, 'aws_lb', 'alb', 'arn'),
      web_acl_arn: WAF,
    })
  })

  it('three AZs, Graviton AMI, bigger fleet, noeviction, three Redis nodes', () => {
    expect(resources(json, 'aws_subnet')).toHaveLength(9)
    expect(resources(json, 'aws_nat_gateway')).toHaveLength(3)
    expect(only(json, 'aws_launch_template').image_id).toMatch(/al2023-ami-kernel-default-arm64$/)
    expect(only(json, 'aws_autoscaling_group')).toMatchObject({
      min_size: 3,
      max_size: 30,
      desired_capacity: 6,
    })
    expect(only(json, 'aws_autoscaling_policy').target_tracking_configuration.target_value).toBe(60)
    expect(only(json, 'aws_elasticache_parameter_group').parameter).toEqual([
      { name: 'maxmemory-policy', value: 'noeviction' },
    ])
    expect(only(json, 'aws_elasticache_replication_group').num_cache_clusters).toBe(3)
    expect(
      resources(json, 'aws_cloudwatch_metric_alarm').filter(([n]) => n.includes('redis-memory')),
    ).toHaveLength(3)
    expect(named(json, 'aws_rds_cluster_instance', 'writer').instance_class).toBe('db.r7g.large')
    expect(unresolvedReferences(json)).toEqual([])
    expect(checkTicketingPolicies(json)).toEqual([])
  })
})

describe('deletionProtection: false (throwaway dev)', () => {
  it('turns off protection and lets destroy empty the buckets and the repository', () => {
    const { json } = synthTicketing({ deletionProtection: false })
    expect(only(json, 'aws_rds_cluster').deletion_protection).toBe(false)
    // A final snapshot is still taken.
    expect(only(json, 'aws_rds_cluster').skip_final_snapshot).toBe(false)
    expect(only(json, 'aws_ecr_repository').force_delete).toBe(true)
    expect(resources(json, 'aws_s3_bucket').every(([, b]) => b.force_destroy === true)).toBe(true)
  })
})

describe('reference walker', () => {
  it('catches a dangling reference and a leaked shell variable', () => {
    const dollar = '$'
    const json: Json = {
      resource: {
        aws_s3_bucket: { b: { bucket: 'x' } },
        aws_instance: {
          i: {
            ami: `${dollar}{aws_ami.gone.id}`,
            user_data: `echo ${dollar}{HOME} ${dollar}{aws_s3_bucket.b.id} ${dollar}{var.nope}`,
          },
        },
      },
    }
    expect(unresolvedReferences(json)).toEqual(['aws_ami.gone', `bare ${dollar}{HOME}`, 'var.nope'])
  })

  it('catches an attribute the resource type does not have', () => {
    const { stack, ticketing } = buildStack()
    const alb = ticketing.loadBalancer.alb
    const dollar = '$'
    ticketing.monitoring.alarms[0]!.addOverride(
      'alarm_description',
      `${dollar}{${alb.terraformResourceType}.${alb.friendlyUniqueId}.arn_sufix}`,
    )
    expect(unknownAttributes(stack, synthJson(stack))).toEqual([`aws_lb.${alb.friendlyUniqueId}.arn_sufix`])
  })
})
