// Each policy rule, broken on purpose inside an otherwise valid TicketingStack: synth must fail
// with that rule's id. A fresh stack per case (about half a second each).
import { CloudwatchMetricAlarm } from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm/index.js'
import { LaunchConfiguration } from '@cdktn/provider-aws/lib/launch-configuration/index.js'
import { LaunchTemplate } from '@cdktn/provider-aws/lib/launch-template/index.js'
import { SecretsmanagerSecretVersion } from '@cdktn/provider-aws/lib/secretsmanager-secret-version/index.js'
import { SecurityGroup } from '@cdktn/provider-aws/lib/security-group/index.js'
import { SqsQueue } from '@cdktn/provider-aws/lib/sqs-queue/index.js'
import { Vpc } from '@cdktn/provider-aws/lib/vpc/index.js'
import { VpcSecurityGroupEgressRule } from '@cdktn/provider-aws/lib/vpc-security-group-egress-rule/index.js'
import { VpcSecurityGroupIngressRule } from '@cdktn/provider-aws/lib/vpc-security-group-ingress-rule/index.js'
import { Aspects, Fn, TerraformStack, TerraformVariable, Testing } from 'cdktn'
import { describe, expect, it } from 'vitest'
import {
  checkTicketingPolicies,
  POLICY_RULES,
  TicketingPolicyAspect,
  type TicketingStackProps,
} from '../src/index.js'
import { buildStack, synthJson } from './helpers.js'

type Built = ReturnType<typeof buildStack>
/** What a production stack needs to synth at all. */
const PROD: Partial<TicketingStackProps> = {
  environment: 'prod',
  certificateArn: 'arn:aws:acm:ap-northeast-2:123456789012:certificate/0b3c1d5e-1111-2222-3333-444455556666',
  alarmEmail: 'oncall@tickets.dev',
}
const userData = (b: Built, script: string) => {
  b.ticketing.appFleet.launchTemplate.userData = script
}
const breaks: [string, keyof typeof POLICY_RULES, (b: Built) => void, Partial<TicketingStackProps>?][] = [
  [
    'SSH open to the world on the app group',
    'world-open-ingress',
    ({ ticketing }) => {
      new VpcSecurityGroupIngressRule(ticketing, 'ssh', {
        securityGroupId: ticketing.network.securityGroups.app.id,
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        cidrIpv4: '0.0.0.0/0',
      })
    },
  ],
  [
    'the ALB group opened on 8080',
    'world-open-ingress',
    ({ ticketing }) => {
      new VpcSecurityGroupIngressRule(ticketing, 'alt-port', {
        securityGroupId: ticketing.network.securityGroups.alb.id,
        ipProtocol: 'tcp',
        fromPort: 8080,
        toPort: 8080,
        cidrIpv6: '::/0',
      })
    },
  ],
  [
    'an inline world-open ingress block on a new group',
    'world-open-ingress',
    ({ ticketing }) => {
      new SecurityGroup(ticketing, 'legacy', {
        vpcId: ticketing.network.vpc.id,
        ingress: [{ fromPort: 3306, toPort: 3306, protocol: 'tcp', cidrBlocks: ['0.0.0.0/0'] }],
      })
    },
  ],
  [
    'the public ALB group attached to the instances',
    'world-open-ingress',
    ({ ticketing }) => {
      ticketing.appFleet.launchTemplate.addOverride('vpc_security_group_ids', [
        ticketing.network.securityGroups.alb.id,
      ])
    },
  ],
  [
    'a plaintext secret version',
    'literal-secret',
    ({ ticketing }) => {
      new SecretsmanagerSecretVersion(ticketing, 'plain', {
        secretId: ticketing.jwtSecret.id,
        secretString: 'hunter2hunter2',
      })
    },
  ],
  [
    'a literal password inside a jsonencode()d secret version',
    'literal-secret',
    ({ ticketing }) => {
      new SecretsmanagerSecretVersion(ticketing, 'plain-json', {
        secretId: ticketing.database.appSecret.id,
        secretString: Fn.jsonencode({ username: 'ticketing_app', password: 'YourSecurePassword123' }),
      })
    },
  ],
  [
    'a master_password on Aurora',
    'literal-secret',
    ({ ticketing }) => {
      ticketing.database.cluster.addOverride('master_password', 'YourSecurePassword123!')
    },
  ],
  [
    'a password variable with a default (the seed tfvars)',
    'literal-secret',
    ({ stack }) => {
      new TerraformVariable(stack, 'db_master_password', {
        type: 'string',
        default: 'YourSecurePassword123!',
      })
    },
  ],
  [
    'Aurora storage unencrypted',
    'unencrypted-store',
    ({ ticketing }) => {
      ticketing.database.cluster.addOverride('storage_encrypted', false)
    },
  ],
  [
    'Redis without TLS in transit',
    'unencrypted-store',
    ({ ticketing }) => {
      ticketing.cache.replicationGroup.addOverride('transit_encryption_enabled', false)
    },
  ],
  [
    'an unencrypted SQS queue',
    'unencrypted-store',
    ({ ticketing }) => {
      new SqsQueue(ticketing, 'plain-queue', { name: 'plain', sqsManagedSseEnabled: false })
    },
  ],
  [
    'an unencrypted root volume',
    'unencrypted-store',
    ({ ticketing }) => {
      ticketing.appFleet.launchTemplate.addOverride('block_device_mappings.0.ebs.encrypted', 'false')
    },
  ],
  [
    'IMDSv1 allowed',
    'imdsv1',
    ({ ticketing }) => {
      ticketing.appFleet.launchTemplate.addOverride('metadata_options.http_tokens', 'optional')
    },
  ],
  [
    'an alarm nobody hears',
    'alarm-without-action',
    ({ ticketing }) => {
      new CloudwatchMetricAlarm(ticketing, 'silent', {
        alarmName: 'silent',
        namespace: 'AWS/EC2',
        metricName: 'CPUUtilization',
        comparisonOperator: 'GreaterThanThreshold',
        evaluationPeriods: 1,
        period: 60,
        statistic: 'Average',
        threshold: 90,
      })
    },
  ],
  [
    'an alarm with actions disabled',
    'alarm-without-action',
    ({ ticketing }) => {
      ticketing.monitoring.alarms[0]!.addOverride('actions_enabled', false)
    },
  ],
  [
    'a lower-case secret in plain-text (not base64) user data',
    'literal-secret',
    (b) => userData(b, '#!/bin/bash\nexport jwt_secret=s3cr3t-value-42\n'),
  ],
  [
    'a MySQL password on the command line in user data',
    'literal-secret',
    (b) => userData(b, Fn.base64encode('#!/bin/bash\nmysql -uadmin -pYourSecure123 ticketing < seed.sql\n')),
  ],
  [
    'a YAML secret in cloud-init user data',
    'literal-secret',
    (b) =>
      userData(
        b,
        Buffer.from(
          '#cloud-config\nwrite_files:\n  - content: \'redis_auth_token: "fake-redis-token"\'\n',
        ).toString('base64'),
      ),
  ],
  [
    'a secret passed as a flag in user data',
    'literal-secret',
    (b) => userData(b, Fn.base64encode('#!/bin/bash\n/opt/app/bin/start --token abcdef123456\n')),
  ],
  [
    'the alert topic on the AWS-managed alias/aws/sns key',
    'sns-aws-managed-key',
    ({ ticketing }) => {
      ticketing.messaging.alertTopic.addOverride('kms_master_key_id', 'alias/aws/sns')
    },
  ],
  [
    'an ALB alarm on the full load-balancer ARN (the seed guide)',
    'alarm-dimension-arn',
    ({ ticketing }) => {
      ticketing.monitoring.alarms[0]!.addOverride('dimensions', {
        LoadBalancer: ticketing.loadBalancer.alb.arn,
      })
    },
  ],
  [
    'an ALB alarm on a literal target-group ARN',
    'alarm-dimension-arn',
    ({ ticketing }) => {
      ticketing.monitoring.alarms[0]!.addOverride('dimensions', {
        TargetGroup:
          'arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:targetgroup/tg/0123456789abcdef',
      })
    },
  ],
  [
    'deletion_protection = false in prod',
    'prod-unprotected-database',
    () => {},
    { ...PROD, deletionProtection: false },
  ],
  [
    'skip_final_snapshot = true in prod',
    'prod-unprotected-database',
    ({ ticketing }) => {
      ticketing.database.cluster.addOverride('skip_final_snapshot', true)
    },
    PROD,
  ],
  [
    'an HTTP listener that forwards in prod',
    'prod-plain-http',
    ({ ticketing }) => {
      ticketing.loadBalancer.httpListener.addOverride('default_action', [
        { type: 'forward', target_group_arn: ticketing.loadBalancer.targetGroup.arn },
      ])
    },
    PROD,
  ],
  [
    'all traffic out to the world from the app group',
    'world-open-egress',
    ({ ticketing }) => {
      new VpcSecurityGroupEgressRule(ticketing, 'all-out', {
        securityGroupId: ticketing.network.securityGroups.app.id,
        ipProtocol: '-1',
        cidrIpv4: '0.0.0.0/0',
      })
    },
  ],
  [
    'an inline world-open egress block',
    'world-open-egress',
    ({ ticketing }) => {
      new SecurityGroup(ticketing, 'chatty', {
        vpcId: ticketing.network.vpc.id,
        egress: [{ fromPort: 0, toPort: 0, protocol: '-1', ipv6CidrBlocks: ['::/0'] }],
      })
    },
  ],
  [
    'an aws_launch_configuration',
    'launch-configuration',
    ({ ticketing }) => {
      new LaunchConfiguration(ticketing, 'legacy', {
        imageId: 'ami-0123456789abcdef0',
        instanceType: 't3.micro',
        metadataOptions: { httpTokens: 'required' },
      })
    },
  ],
  [
    '443 opened on the ALB with no HTTPS listener',
    'open-port-without-listener',
    ({ ticketing }) => {
      new VpcSecurityGroupIngressRule(ticketing, 'https-nobody', {
        securityGroupId: ticketing.network.securityGroups.alb.id,
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: '0.0.0.0/0',
      })
    },
  ],
  [
    'rules on the default security group',
    'default-security-group',
    ({ ticketing }) => {
      ticketing.network.defaultSecurityGroup.addOverride('ingress', [
        { protocol: '-1', self: true, from_port: 0, to_port: 0 },
      ])
    },
  ],
  [
    'a VPC whose default security group is left unmanaged',
    'default-security-group',
    ({ ticketing }) => {
      new Vpc(ticketing, 'other-vpc', { cidrBlock: '10.9.0.0/16' })
    },
  ],
]

describe('policy rules fail synth', () => {
  it.each(breaks)('%s → %s', (_title, rule, breakIt, props) => {
    const built = buildStack(props)
    breakIt(built)
    expect(() => Testing.synth(built.stack, true)).toThrow(new RegExp(`\\[policy:${rule}\\]`))
  })

  it('the seed: a DB password in user data → literal-secret', () => {
    const built = buildStack()
    const fleet = built.ticketing.appFleet
    // What the seed's user data did: the password templated into the docker run line.
    fleet.launchTemplate.userData = Buffer.from(
      '#!/bin/bash\ndocker run -e SPRING_DATASOURCE_PASSWORD=YourSecurePassword123! app\n',
    ).toString('base64')
    expect(() => Testing.synth(built.stack, true)).toThrow(
      /\[policy:literal-secret\].*user_data contains a secret/,
    )
  })

  it('credentials inside a URL in base64encode()d user data → literal-secret', () => {
    const stack = new TerraformStack(Testing.app(), 'plain')
    new LaunchTemplate(stack, 'lt', {
      userData: Fn.base64encode('#!/bin/bash\nexport DATABASE_URL=mysql://admin:pw1234@db:3306/ticketing\n'),
      metadataOptions: { httpTokens: 'required' },
    })
    const violations = checkTicketingPolicies(JSON.parse(Testing.synth(stack)))
    expect(violations).toEqual([
      expect.objectContaining({
        rule: 'literal-secret',
        message: expect.stringMatching(/credentials inside a URL/),
      }),
    ])
  })

  it('leaves a compliant stack alone, and reports nothing for it', () => {
    const built = buildStack()
    const json = synthJson(built.stack)
    expect(checkTicketingPolicies(json)).toEqual([])
  })

  it('leaves a compliant production stack alone, production rules included', () => {
    const json = synthJson(buildStack(PROD).stack)
    expect(checkTicketingPolicies(json, { production: true })).toEqual([])
  })

  it('every rule has a test that breaks it on purpose', () => {
    expect(new Set(breaks.map(([, rule]) => rule))).toEqual(new Set(Object.keys(POLICY_RULES)))
  })

  it('works as a standalone aspect on any stack', () => {
    const stack = new TerraformStack(Testing.app(), 'plain')
    Aspects.of(stack).add(new TicketingPolicyAspect())
    new SqsQueue(stack, 'q', { name: 'q' })
    const violations = checkTicketingPolicies(JSON.parse(Testing.synth(stack)))
    expect(violations).toEqual([
      expect.objectContaining({
        rule: 'unencrypted-store',
        address: expect.stringMatching(/^aws_sqs_queue\./),
      }),
    ])
  })

  it('can be turned off (enforcePolicies: false) for the rare stack that must break a rule', () => {
    const built = buildStack({ enforcePolicies: false })
    built.ticketing.appFleet.launchTemplate.addOverride('metadata_options.http_tokens', 'optional')
    expect(() => Testing.synth(built.stack, true)).not.toThrow()
  })
})
