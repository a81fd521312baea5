// The example app: config presets and overrides, a snapshot of the synthesized dev stack, and the
// real `npm run synth` entry point writing cdktf.out/stacks/<stack>/cdk.tf.json offline.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { checkTicketingPolicies } from '@ticketing/infra-constructs'
import { App, Testing } from 'cdktn'
import { beforeAll, describe, expect, it } from 'vitest'
import { DEV, DeployConfigError, loadConfig, PROD } from '../config.js'
import { buildDeployStack } from '../stack.js'

const run = promisify(execFile)
/** What prod needs on top of its preset: a certificate and a real inbox. */
const PROD_ENV = {
  TICKETING_ENV: 'prod',
  TICKETING_CERTIFICATE_ARN:
    'arn:aws:acm:ap-northeast-2:123456789012:certificate/0b3c1d5e-1111-2222-3333-444455556666',
  TICKETING_ALARM_EMAIL: 'oncall@tickets.invalid.dev',
}
const here = join(import.meta.dirname, '..')

describe('config', () => {
  it('defaults to the cheap dev preset that mirrors the seed tfvars', () => {
    const c = loadConfig({})
    expect(c).toEqual(DEV)
    expect(c).toMatchObject({
      projectName: 'ticketing',
      environment: 'dev',
      region: 'ap-northeast-2',
      vpcCidr: '10.0.0.0/16',
    })
  })

  it('prod is opt-in and overrides stack up: preset < JSON file < env', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-config-'))
    const file = join(dir, 'prod.json')
    writeFileSync(file, JSON.stringify({ maxSize: 12, tags: { Team: 'tickets' } }))
    const c = loadConfig({
      ...PROD_ENV,
      TICKETING_CONFIG: file,
      TICKETING_MAX_SIZE: '16',
      TICKETING_IMAGE_TAG: 'v2.0.0',
    })
    expect(c).toMatchObject({
      ...PROD,
      maxSize: 16,
      tags: { Team: 'tickets' },
      imageTag: 'v2.0.0',
      alarmEmail: PROD_ENV.TICKETING_ALARM_EMAIL,
      certificateArn: PROD_ENV.TICKETING_CERTIFICATE_ARN,
    })
  })

  it('prod refuses to load without a certificate or with a placeholder alarm e-mail', () => {
    expect(() => loadConfig({ ...PROD_ENV, TICKETING_CERTIFICATE_ARN: '' })).toThrow(/certificateArn.*HTTPS/)
    expect(() => loadConfig({ ...PROD_ENV, TICKETING_ALARM_EMAIL: 'your-email@example.com' })).toThrow(
      /alarmEmail/,
    )
    expect(() => loadConfig({ TICKETING_ENV: 'prod' })).toThrow(DeployConfigError)
  })

  it('derives AZs from a new region unless given', () => {
    expect(loadConfig({ TICKETING_REGION: 'eu-west-1' }).availabilityZones).toEqual([
      'eu-west-1a',
      'eu-west-1c',
    ])
  })

  it('rejects unknown presets, keys and malformed values with the key in the message', () => {
    expect(() => loadConfig({ TICKETING_ENV: 'qa' })).toThrow(DeployConfigError)
    expect(() => loadConfig({ TICKETING_MIN_SIZE: 'two' })).toThrow(/TICKETING_MIN_SIZE/)
    expect(() => loadConfig({ TICKETING_ENABLE_NAT_GATEWAY: 'yes' })).toThrow(/true\/false/)
    const dir = mkdtempSync(join(tmpdir(), 'deploy-config-'))
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ db_master_password: 'YourSecurePassword123!' }))
    expect(() => loadConfig({ TICKETING_CONFIG: join(dir, 'bad.json') })).toThrow(
      /db_master_password: unknown key/,
    )
  })
})

describe('dev stack', () => {
  let synthesized: string
  // biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON is untyped
  let json: Record<string, any>
  beforeAll(() => {
    const { stack } = buildDeployStack(Testing.app(), loadConfig({}))
    synthesized = Testing.synth(stack, true)
    json = JSON.parse(synthesized)
  })

  it('matches the snapshot', () => {
    expect(synthesized).toMatchSnapshot()
  })

  it('is dev-sized: one NAT, small instances, 2-4 fleet, protection off, tags as default_tags', () => {
    expect(Object.keys(json.resource.aws_nat_gateway)).toHaveLength(1)
    const asg = Object.values(json.resource.aws_autoscaling_group)[0] as Record<string, unknown>
    expect(asg).toMatchObject({ min_size: 2, max_size: 4, desired_capacity: 2 })
    const lt = Object.values(json.resource.aws_launch_template)[0] as Record<string, unknown>
    expect(lt.instance_type).toBe('t3.small')
    expect(
      (Object.values(json.resource.aws_rds_cluster)[0] as Record<string, unknown>).deletion_protection,
    ).toBe(false)
    expect(json.provider.aws[0]).toMatchObject({
      region: 'ap-northeast-2',
      default_tags: [{ tags: DEV.tags }],
    })
    expect(checkTicketingPolicies(json)).toEqual([])
  })

  it('dev serves HTTP on 80 only: 443 stays closed without a listener behind it', () => {
    const ingress = Object.values(json.resource.aws_vpc_security_group_ingress_rule) as Record<
      string,
      unknown
    >[]
    expect(ingress.filter((r) => r.cidr_ipv4 === '0.0.0.0/0').map((r) => r.from_port)).toEqual([80])
  })

  it('prod: NAT per AZ, deletion protection, HTTPS with TLS 1.3 and HTTP redirected, tagged instances', () => {
    const { stack } = buildDeployStack(Testing.app(), loadConfig(PROD_ENV))
    const prod = JSON.parse(Testing.synth(stack, true))
    expect(Object.keys(prod.resource.aws_nat_gateway)).toHaveLength(2)
    expect(
      (Object.values(prod.resource.aws_rds_cluster)[0] as Record<string, unknown>).deletion_protection,
    ).toBe(true)
    // biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON is untyped
    const listeners = Object.values(prod.resource.aws_lb_listener) as Record<string, any>[]
    expect(listeners.find((l) => l.port === 443)).toMatchObject({
      protocol: 'HTTPS',
      ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      certificate_arn: PROD_ENV.TICKETING_CERTIFICATE_ARN,
    })
    expect(listeners.find((l) => l.port === 80)?.default_action[0]).toMatchObject({
      type: 'redirect',
      redirect: { protocol: 'HTTPS', port: '443' },
    })
    // biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON is untyped
    const lt = Object.values(prod.resource.aws_launch_template)[0] as Record<string, any>
    for (const spec of lt.tag_specifications) expect(spec.tags).toMatchObject(PROD.tags)
    expect(checkTicketingPolicies(prod, { production: true })).toEqual([])
  })
})

describe('npm run synth', () => {
  it('refuses to write a stack that breaks a policy rule (here: IMDSv1)', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'cdktf-out-')) })
    const { ticketing } = buildDeployStack(app, loadConfig({}))
    ticketing.appFleet.launchTemplate.addOverride('metadata_options.http_tokens', 'optional')
    expect(() => app.synth()).toThrow(/\[policy:imdsv1\]/)
  })

  it('synthesizes the prod preset too (given its certificate and alarm e-mail)', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdktf-out-'))
    const tsx = join(here, '../../node_modules/.bin/tsx')
    await run(tsx, ['main.ts'], { cwd: here, env: { ...process.env, ...PROD_ENV, CDKTF_OUTDIR: outdir } })
    expect(existsSync(join(outdir, 'stacks/ticketing-prod/cdk.tf.json'))).toBe(true)
  })

  it('writes cdktf.out/stacks/ticketing-dev/cdk.tf.json without network', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdktf-out-'))
    const tsx = join(here, '../../node_modules/.bin/tsx')
    await run(tsx, ['main.ts'], { cwd: here, env: { ...process.env, CDKTF_OUTDIR: outdir } })
    const file = join(outdir, 'stacks/ticketing-dev/cdk.tf.json')
    expect(existsSync(file)).toBe(true)
    const tf = JSON.parse(readFileSync(file, 'utf8'))
    expect(Object.keys(tf.output)).toEqual(
      expect.arrayContaining([
        'alb_dns_name',
        'db_endpoint',
        'db_reader_endpoint',
        'redis_endpoint',
        'ecr_repository_url',
      ]),
    )
    expect(tf.terraform.required_providers.aws.source).toBe('hashicorp/aws')
  })
})
