// Props are checked in the constructors: a bad config fails at `new`, with the construct, the prop
// and the reason in the message, before any Terraform is written.
import { TerraformStack, Testing } from 'cdktn'
import { describe, expect, it } from 'vitest'
import {
  AppFleet,
  Cache,
  cidrSubnet,
  Database,
  EdgeCache,
  InvalidPropsError,
  LoadBalancer,
  Messaging,
  Monitoring,
  Network,
  parseCidr,
} from '../src/index.js'
import { buildStack } from './helpers.js'

const scope = () => new TerraformStack(Testing.app(), 'stack')
const net = {
  name: 'tk',
  region: 'ap-northeast-2',
  availabilityZones: ['ap-northeast-2a', 'ap-northeast-2c'],
}
const fleet = {
  name: 'tk',
  region: 'ap-northeast-2',
  subnetIds: ['a', 'b'],
  securityGroupId: 'sg',
  targetGroupArns: ['tg'],
  repositoryUrl: 'x',
  repositoryArn: 'y',
  database: { host: 'h', readerHost: 'r', secretArn: 's' },
  cache: { host: 'h', secretArn: 's' },
  jwtSecretArn: 'j',
}
const data = {
  name: 'tk',
  subnetIds: ['a', 'b'],
  securityGroupId: 'sg',
  availabilityZones: net.availabilityZones,
}

function rejects(make: () => unknown, prop: string, message: RegExp) {
  let error: unknown
  try {
    make()
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(InvalidPropsError)
  expect(error).toMatchObject({ code: 'E_INVALID_PROPS', prop })
  expect((error as Error).message).toMatch(message)
}

describe('constructor validation', () => {
  it.each([
    ['10.0.0.0/33', /not a valid IPv4 CIDR/],
    ['10.0.0.1/16', /not a valid IPv4 CIDR/],
    ['300.0.0.0/16', /not a valid IPv4 CIDR/],
    ['10.0.0.0', /not a valid IPv4 CIDR/],
    ['10.0.0.0/8', /between \/16 and \/24/],
  ])('Network rejects vpcCidr %s', (vpcCidr, message) => {
    rejects(() => new Network(scope(), 'n', { ...net, vpcCidr }), 'vpcCidr', message)
  })

  it('Database rejects an app user that is the master user, a bad user name, and a bad rotation period', () => {
    rejects(
      () => new Database(scope(), 'd', { ...data, appUsername: 'ticketing_admin' }),
      'appUsername',
      /differ from masterUsername/,
    )
    rejects(() => new Database(scope(), 'd', { ...data, appUsername: "app'; --" }), 'appUsername', /letters/)
    rejects(
      () =>
        new Database(scope(), 'd', {
          ...data,
          appUserRotation: {
            lambdaArn: 'arn:aws:lambda:ap-northeast-2:123456789012:function:rotate',
            everyDays: 0,
          },
        }),
      'appUserRotation.everyDays',
      /1/,
    )
  })

  it('Monitoring rejects a queue-stalled window outside 1-60 minutes', () => {
    const mon = {
      name: 'tk',
      region: 'ap-northeast-2',
      alarmTopicArn: 'arn:aws:sns:ap-northeast-2:1:t',
      loadBalancerArnSuffix: 'app/tk/1',
      targetGroupArnSuffix: 'targetgroup/tk/2',
      autoScalingGroupName: 'tk-asg',
      dbClusterIdentifier: 'tk-aurora',
      cacheClusterIds: ['tk-redis-001'],
    }
    for (const queueStalledMinutes of [0, 61, 2.5]) {
      rejects(() => new Monitoring(scope(), 'm', { ...mon, queueStalledMinutes }), 'queueStalledMinutes', /./)
    }
  })

  it('Network rejects a single AZ, duplicates and non-AZ names', () => {
    rejects(
      () => new Network(scope(), 'n', { ...net, availabilityZones: ['ap-northeast-2a'] }),
      'availabilityZones',
      /at least 2/,
    )
    rejects(
      () => new Network(scope(), 'n', { ...net, availabilityZones: ['ap-northeast-2a', 'ap-northeast-2a'] }),
      'availabilityZones',
      /distinct/,
    )
    rejects(
      () => new Network(scope(), 'n', { ...net, availabilityZones: ['a', 'b'] }),
      'availabilityZones',
      /availability zone/,
    )
  })

  it('Network rejects subnets that do not fit and an unknown NAT mode', () => {
    rejects(
      () => new Network(scope(), 'n', { ...net, vpcCidr: '10.0.0.0/24', subnetNewBits: 8 }),
      'subnetNewBits',
      /\/28/,
    )
    rejects(() => new Network(scope(), 'n', { ...net, subnetNewBits: 2 }), 'subnetNewBits', /need 6/)
    rejects(() => new Network(scope(), 'n', { ...net, natGateways: 'two' as never }), 'natGateways', /one of/)
    rejects(() => new Network(scope(), 'n', { ...net, name: 'Bad_Name' }), 'name', /lowercase/)
    rejects(
      () => new Network(scope(), 'n', { ...net, logRetentionDays: 10 }),
      'logRetentionDays',
      /not a CloudWatch Logs retention/,
    )
  })

  it('AppFleet rejects min > max, desired outside the range, a silly CPU target', () => {
    rejects(
      () => new AppFleet(scope(), 'f', { ...fleet, minSize: 5, maxSize: 2 }),
      'minSize',
      /greater than maxSize/,
    )
    rejects(() => new AppFleet(scope(), 'f', { ...fleet, desiredCapacity: 30 }), 'desiredCapacity', /outside/)
    rejects(
      () => new AppFleet(scope(), 'f', { ...fleet, cpuTargetPercent: 100 }),
      'cpuTargetPercent',
      /\[10, 95\]/,
    )
    rejects(() => new AppFleet(scope(), 'f', { ...fleet, subnetIds: ['one'] }), 'subnetIds', /2 AZs/)
    rejects(() => new AppFleet(scope(), 'f', { ...fleet, imageTag: 'bad tag' }), 'imageTag', /image tag/)
  })

  it('Cache refuses allkeys-* eviction, a single node and old engines', () => {
    rejects(
      () => new Cache(scope(), 'c', { ...data, evictionPolicy: 'allkeys-lru' as never }),
      'evictionPolicy',
      /evict lock/,
    )
    rejects(() => new Cache(scope(), 'c', { ...data, nodes: 1 }), 'nodes', /\[2, 6\]/)
    rejects(() => new Cache(scope(), 'c', { ...data, engineVersion: '5.0.6' }), 'engineVersion', /Redis 6\+/)
  })

  it('Database refuses < 7 days of backups, a single AZ, a non-RDS instance class', () => {
    rejects(
      () => new Database(scope(), 'd', { ...data, backupRetentionDays: 1 }),
      'backupRetentionDays',
      /\[7, 35\]/,
    )
    rejects(
      () => new Database(scope(), 'd', { ...data, availabilityZones: ['ap-northeast-2a'] }),
      'availabilityZones',
      /at least 2/,
    )
    rejects(
      () => new Database(scope(), 'd', { ...data, instanceClass: 't3.medium' }),
      'instanceClass',
      /db\.\*/,
    )
  })

  it('LoadBalancer refuses a TLS policy without TLS 1.3 and names too long for an ALB', () => {
    const lb = { name: 'tk', vpcId: 'v', subnetIds: ['a', 'b'], securityGroupId: 'sg' }
    rejects(
      () => new LoadBalancer(scope(), 'l', { ...lb, sslPolicy: 'ELBSecurityPolicy-2016-08' }),
      'sslPolicy',
      /TLS 1.3/,
    )
    rejects(() => new LoadBalancer(scope(), 'l', { ...lb, name: 'a'.repeat(25) }), 'name', /longer than 24/)
  })

  it('EdgeCache refuses a regional WAF or certificate, aliases without a certificate, bad TTLs and origins', () => {
    const edge = { name: 'tk', originDomainName: 'tk-alb-1.ap-northeast-2.elb.amazonaws.com' }
    const make = (extra: object) => () => new EdgeCache(scope(), 'e', { ...edge, ...extra })
    const usCert = 'arn:aws:acm:us-east-1:123456789012:certificate/abc-1'
    rejects(
      make({ webAclArn: 'arn:aws:wafv2:ap-northeast-2:123456789012:regional/webacl/tk/abc' }),
      'webAclArn',
      /CLOUDFRONT-scope/,
    )
    rejects(
      make({ certificateArn: 'arn:aws:acm:ap-northeast-2:123456789012:certificate/abc', aliases: ['a.dev'] }),
      'certificateArn',
      /us-east-1/,
    )
    rejects(make({ aliases: ['tickets.dev'] }), 'aliases', /needs certificateArn/)
    rejects(make({ certificateArn: usCert }), 'certificateArn', /only on aliases/)
    rejects(make({ certificateArn: usCert, aliases: ['not a host'] }), 'aliases', /not a host name/)
    rejects(make({ certificateArn: usCert, aliases: ['a.dev', 'a.dev'] }), 'aliases', /duplicates/)
    rejects(make({ boardMaxTtlSeconds: 300 }), 'boardMaxTtlSeconds', /\[1, 60\]/)
    rejects(make({ boardDefaultTtlSeconds: 10 }), 'boardDefaultTtlSeconds', /\[0, 5\]/)
    rejects(make({ errorCachingMinTtlSeconds: -1 }), 'errorCachingMinTtlSeconds', /\[0, 60\]/)
    rejects(make({ boardPathPattern: 'api/board' }), 'boardPathPattern', /start with \//)
    rejects(make({ priceClass: 'PriceClass_50' }), 'priceClass', /one of PriceClass_All/)
    rejects(make({ originDomainName: 'https://tickets.dev/api' }), 'originDomainName', /host name/)
    rejects(make({ originDomainName: '' }), 'originDomainName', /non-empty/)
    // Over HTTPS, the ALB's own name is on no certificate of yours: CloudFront would answer 502.
    rejects(make({ originProtocol: 'https-only' }), 'originDomainName', /502/)
    expect(make({ originProtocol: 'https-only', originDomainName: 'origin.tickets.dev' })).not.toThrow()
  })

  it('TicketingStack with a certificate needs the edge origin name that certificate covers', () => {
    const cert = 'arn:aws:acm:ap-northeast-2:123456789012:certificate/abc'
    rejects(() => buildStack({ certificateArn: cert, edgeCache: true }), 'edgeCache', /originDomainName/)
    expect(() =>
      buildStack({ certificateArn: cert, edgeCache: { originDomainName: 'origin.tickets.dev' } }),
    ).not.toThrow()
    rejects(() => buildStack({ edgeCache: { boardMaxTtlSeconds: 0 } }), 'boardMaxTtlSeconds', /\[1, 60\]/)
  })

  it('AppFleet takes 1-3 trusted proxies, and TRUST_PROXY only through them', () => {
    rejects(
      () => new AppFleet(scope(), 'f', { ...fleet, trustedProxyHops: 0 }),
      'trustedProxyHops',
      /\[1, 3\]/,
    )
    rejects(
      () => new AppFleet(scope(), 'f', { ...fleet, environment: { TRUST_PROXY: '5' } }),
      'environment',
      /trustedProxyHops/,
    )
  })

  it('Messaging refuses a malformed alarm email', () => {
    rejects(
      () => new Messaging(scope(), 'm', { name: 'tk', alarmEmail: 'not-an-email' }),
      'alarmEmail',
      /email/,
    )
  })

  it('TicketingStack validates through to its parts', () => {
    rejects(() => buildStack({ minSize: 3, maxSize: 2 }), 'minSize', /greater than maxSize/)
    rejects(() => buildStack({ availabilityZones: ['ap-northeast-2a'] }), 'availabilityZones', /at least 2/)
    rejects(() => buildStack({ environment: 'production-eu' }), 'environment', /longer than 8/)
  })
})

describe('cidr helpers', () => {
  it('parse and carve like Terraform cidrsubnet()', () => {
    const vpc = parseCidr('10.0.0.0/16')!
    expect(cidrSubnet(vpc, 8, 0)).toBe('10.0.0.0/24')
    expect(cidrSubnet(vpc, 8, 255)).toBe('10.0.255.0/24')
    expect(cidrSubnet(parseCidr('172.16.0.0/20')!, 4, 3)).toBe('172.16.3.0/24')
    expect(() => cidrSubnet(vpc, 8, 256)).toThrow(RangeError)
    expect(parseCidr('10.0.0.1/16')).toBeUndefined()
  })
})
