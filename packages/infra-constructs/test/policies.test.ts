// Each policy rule, broken on purpose inside an otherwise valid TicketingStack: synth must fail
// with that rule's id. A fresh stack per case (about half a second each).
import { CloudwatchMetricAlarm } from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm/index.js'
import { LaunchTemplate } from '@cdktn/provider-aws/lib/launch-template/index.js'
import { SecretsmanagerSecretVersion } from '@cdktn/provider-aws/lib/secretsmanager-secret-version/index.js'
import { SecurityGroup } from '@cdktn/provider-aws/lib/security-group/index.js'
import { SqsQueue } from '@cdktn/provider-aws/lib/sqs-queue/index.js'
import { VpcSecurityGroupIngressRule } from '@cdktn/provider-aws/lib/vpc-security-group-ingress-rule/index.js'
import { Aspects, Fn, TerraformStack, TerraformVariable, Testing } from 'cdktn'
import { describe, expect, it } from 'vitest'
import { checkTicketingPolicies, type POLICY_RULES, TicketingPolicyAspect } from '../src/index.js'
import { buildStack, synthJson } from './helpers.js'

type Built = ReturnType<typeof buildStack>
const breaks: [string, keyof typeof POLICY_RULES, (b: Built) => void][] = [
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
]

describe('policy rules fail synth', () => {
  it.each(breaks)('%s → %s', (_title, rule, breakIt) => {
    const built = buildStack()
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
