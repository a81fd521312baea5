// `terraform init && terraform validate` on synthesized stacks, against whatever hashicorp/aws
// provider this machine holds offline (test/terraform.ts finds the binary and a mirror, and pins
// the provider to the mirror's version for the check: the constructs target AWS provider 6, a
// mirror may hold an older major, and validate then checks every argument and block against that
// provider's schema). Skipped, saying why, only where there is no binary or no mirror.
import { Testing } from 'cdktn'
import { describe, expect, it } from 'vitest'
import { buildStack, type Json } from './helpers.js'
import { findTerraformSetup, terraformValidator } from './terraform.js'

const setup = findTerraformSetup()
const reason = 'reason' in setup ? setup.reason : undefined
if (reason) console.warn(`[terraform-validate] SKIPPED: ${reason}`)
else if ('mirror' in setup) {
  console.info(
    `[terraform-validate] ${setup.version}, hashicorp/aws ${setup.mirror.version} from ${setup.mirror.path}`,
  )
}

const PROD = {
  environment: 'prod',
  certificateArn: 'arn:aws:acm:ap-northeast-2:123456789012:certificate/0b3c1d5e-1111-2222-3333-444455556666',
  alarmEmail: 'oncall@tickets.dev',
}

describe.skipIf(reason !== undefined)('terraform validate', () => {
  const validate = 'mirror' in setup ? terraformValidator(setup) : () => ({ valid: false, errors: [] })
  const check = (props: Parameters<typeof buildStack>[0]) => {
    const { stack } = buildStack(props)
    const result = validate(JSON.parse(Testing.synth(stack, true)) as Json)
    expect(result.errors).toEqual([])
    expect(result.valid).toBe(true)
  }

  it('the default (dev) stack is valid Terraform', () => check({}), 300_000)
  it('the production stack (HTTPS, protection) is valid Terraform', () => check(PROD), 120_000)
  it(
    'the app user secret with rotation is valid Terraform',
    () =>
      check({
        dbAppUserRotation: {
          lambdaArn:
            'arn:aws:lambda:ap-northeast-2:123456789012:function:SecretsManagerRDSMySQLRotationSingleUser',
        },
      }),
    120_000,
  )
  it('catches what the provider schema rejects (so a pass means something)', () => {
    const { stack, ticketing } = buildStack({})
    ticketing.loadBalancer.alb.addOverride('no_such_argument', true)
    const result = validate(JSON.parse(Testing.synth(stack, true)) as Json)
    expect(result.valid).toBe(false)
    expect(result.errors.join('\n')).toMatch(/no_such_argument/)
  }, 120_000)
  it(
    'the stack with CloudFront in front (edgeCache) is valid Terraform',
    () => check({ edgeCache: true }),
    120_000,
  )
  it(
    'the production stack with CloudFront over HTTPS, aliases and a WAF is valid Terraform',
    () =>
      check({
        ...PROD,
        edgeCache: {
          originDomainName: 'origin.tickets.dev',
          certificateArn:
            'arn:aws:acm:us-east-1:123456789012:certificate/0b3c1d5e-1111-2222-3333-444455556666',
          aliases: ['tickets.dev'],
          webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/tk-edge/a1b2c3',
        },
      }),
    120_000,
  )
  it(
    'the stack without NAT (interface endpoints) is valid Terraform',
    () => check({ natGateways: 'none' }),
    120_000,
  )
})
