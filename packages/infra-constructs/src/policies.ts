import { type IAspect, TerraformStack } from 'cdktn'
import type { IConstruct } from 'constructs'
import { PUBLIC_EXPOSURE_TAG } from './security-groups.js'

/** The rules, by id. Each one fails synth when violated. */
export const POLICY_RULES = {
  'world-open-ingress':
    'Only the security group tagged ticketing:exposure=public, attached to a load balancer only, may accept 0.0.0.0/0 or ::/0, and only on 80/443.',
  'literal-secret':
    'No password, token or key appears as a literal in resources, variables or user data: secrets come from Secrets Manager at run time.',
  'unencrypted-store':
    'Aurora/RDS, ElastiCache (at rest and in transit), S3, SQS, SNS, EBS and launch-template volumes are encrypted.',
  imdsv1: 'Launch templates and instances require IMDSv2 (http_tokens = "required").',
  'alarm-without-action': 'Every CloudWatch alarm has at least one alarm action and actions enabled.',
} as const

export type PolicyRule = keyof typeof POLICY_RULES

/** One broken rule, located by Terraform address (`aws_security_group.app_1234`). */
export interface PolicyViolation {
  readonly rule: PolicyRule
  readonly address: string
  readonly message: string
}

type Json = Record<string, unknown>
/** The synthesized (resolved) Terraform JSON of one stack, as `TerraformStack.toTerraform()` returns it. */
export type TerraformJson = Json

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const asArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v])
const isTrue = (v: unknown) => v === true || v === 'true'
const isRef = (v: string) => /^\$\{[^}]*\}$/.test(v.trim())

const WORLD = new Set(['0.0.0.0/0', '::/0'])
const PUBLIC_PORTS = new Set([80, 443])
/** Resource types that must never carry the public security group. */
const NON_LB_SG_USERS = [
  'aws_launch_template',
  'aws_instance',
  'aws_rds_cluster',
  'aws_db_instance',
  'aws_elasticache_replication_group',
  'aws_vpc_endpoint',
  'aws_lambda_function',
  'aws_ecs_service',
]
/** Argument names whose value is a secret and so must be a reference, never a literal. */
const SECRET_KEYS = new Set([
  'password',
  'master_password',
  'master_password_wo',
  'auth_token',
  'secret_string',
  'secret_string_wo',
  'secret_binary',
  'private_key',
  'secret_key',
  'access_key',
  'token',
])
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\bAKIA[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [
    /\b[A-Z0-9_]*(PASSWORD|SECRET|TOKEN|PASSWD)[A-Z0-9_]*=(?!["']?\$)(?!\s|$)\S+/,
    'a secret assigned literally',
  ],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:[^@\s$/]+@/, 'credentials inside a URL'],
]

/** Decodes launch-template user data: `${base64encode("...")}` or a base64 literal. */
export function decodeUserData(value: string): string {
  const m = /^\$\{base64encode\(("(?:[^"\\]|\\.)*")\)\}$/s.exec(value)
  if (m?.[1]) return JSON.parse(m[1]) as string
  if (isRef(value)) return value
  return Buffer.from(value, 'base64').toString('utf8')
}

function* resources(json: Json): Generator<[type: string, name: string, body: Json]> {
  const all = isObj(json.resource) ? json.resource : {}
  for (const [type, byName] of Object.entries(all)) {
    if (!isObj(byName)) continue
    for (const [name, body] of Object.entries(byName)) if (isObj(body)) yield [type, name, body]
  }
}

function* strings(value: unknown, path: string[] = []): Generator<[path: string[], value: string]> {
  if (typeof value === 'string') yield [path, value]
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* strings(v, [...path, String(i)])
  else if (isObj(value)) for (const [k, v] of Object.entries(value)) yield* strings(v, [...path, k])
}

function worldOpenIngress(json: Json, out: PolicyViolation[]) {
  const publicSgs = new Set<string>()
  for (const [type, name, body] of resources(json)) {
    if (type === 'aws_security_group' && isObj(body.tags) && body.tags[PUBLIC_EXPOSURE_TAG] === 'public') {
      publicSgs.add(name)
    }
  }
  const sgOf = (ref: unknown) =>
    typeof ref === 'string' ? /aws_security_group\.([\w-]+)\.id/.exec(ref)?.[1] : undefined
  const check = (address: string, sg: string | undefined, cidrs: unknown[], from: unknown, to: unknown) => {
    const open = cidrs.filter((c) => typeof c === 'string' && WORLD.has(c))
    if (open.length === 0) return
    if (!sg || !publicSgs.has(sg)) {
      out.push({
        rule: 'world-open-ingress',
        address,
        message: `ingress from ${open.join(', ')} on a non-public security group`,
      })
    } else if (!(from === to && PUBLIC_PORTS.has(Number(from)))) {
      out.push({
        rule: 'world-open-ingress',
        address,
        message: `world-open ingress on ports ${from}-${to}; only 80 and 443 are allowed`,
      })
    }
  }
  for (const [type, name, body] of resources(json)) {
    const address = `${type}.${name}`
    if (type === 'aws_vpc_security_group_ingress_rule') {
      check(
        address,
        sgOf(body.security_group_id),
        [body.cidr_ipv4, body.cidr_ipv6],
        body.from_port,
        body.to_port,
      )
    } else if (type === 'aws_security_group_rule' && body.type === 'ingress') {
      check(
        address,
        sgOf(body.security_group_id),
        [...asArray(body.cidr_blocks), ...asArray(body.ipv6_cidr_blocks)],
        body.from_port,
        body.to_port,
      )
    } else if (type === 'aws_security_group') {
      for (const rule of asArray(body.ingress).filter(isObj)) {
        check(
          address,
          name,
          [...asArray(rule.cidr_blocks), ...asArray(rule.ipv6_cidr_blocks)],
          rule.from_port,
          rule.to_port,
        )
      }
    } else if (NON_LB_SG_USERS.includes(type)) {
      const text = JSON.stringify(body)
      for (const sg of publicSgs) {
        if (text.includes(`aws_security_group.${sg}.`)) {
          out.push({
            rule: 'world-open-ingress',
            address,
            message: `uses the internet-facing security group ${sg}; only load balancers may`,
          })
        }
      }
    }
  }
}

function literalSecrets(json: Json, out: PolicyViolation[]) {
  const scan = (address: string, value: unknown) => {
    for (const [path, raw] of strings(value)) {
      const key = path.filter((p) => !/^\d+$/.test(p)).at(-1) ?? ''
      if (SECRET_KEYS.has(key) && raw !== '' && !isRef(raw)) {
        out.push({
          rule: 'literal-secret',
          address,
          message: `${path.join('.')} is a literal; reference a secret instead`,
        })
        continue
      }
      const text = key === 'user_data' ? decodeUserData(raw) : raw
      for (const [re, what] of SECRET_PATTERNS) {
        if (re.test(text))
          out.push({ rule: 'literal-secret', address, message: `${path.join('.')} contains ${what}` })
      }
    }
  }
  for (const [type, name, body] of resources(json)) scan(`${type}.${name}`, body)
  for (const section of ['data', 'provider', 'locals', 'output']) {
    if (isObj(json[section])) scan(section, json[section])
  }
  if (isObj(json.variable)) {
    for (const [name, body] of Object.entries(json.variable)) {
      if (/password|secret|token|private_key/i.test(name) && isObj(body) && body.default !== undefined) {
        out.push({
          rule: 'literal-secret',
          address: `var.${name}`,
          message: 'a secret variable must not have a default value',
        })
      }
    }
  }
}

function unencryptedStores(json: Json, out: PolicyViolation[]) {
  const encryptedBuckets = new Set<string>()
  for (const [type, , body] of resources(json)) {
    if (type === 'aws_s3_bucket_server_side_encryption_configuration' && typeof body.bucket === 'string') {
      const m = /aws_s3_bucket\.([\w-]+)\./.exec(body.bucket)
      if (m?.[1]) encryptedBuckets.add(m[1])
    }
  }
  const fail = (address: string, message: string) => out.push({ rule: 'unencrypted-store', address, message })
  for (const [type, name, body] of resources(json)) {
    const address = `${type}.${name}`
    switch (type) {
      case 'aws_rds_cluster':
      case 'aws_db_instance':
        if (!isTrue(body.storage_encrypted)) fail(address, 'storage_encrypted must be true')
        break
      case 'aws_elasticache_replication_group':
        if (!isTrue(body.at_rest_encryption_enabled)) fail(address, 'at_rest_encryption_enabled must be true')
        if (!isTrue(body.transit_encryption_enabled)) fail(address, 'transit_encryption_enabled must be true')
        break
      case 'aws_s3_bucket':
        if (!encryptedBuckets.has(name) && !body.server_side_encryption_configuration) {
          fail(address, 'no aws_s3_bucket_server_side_encryption_configuration for this bucket')
        }
        break
      case 'aws_sqs_queue':
        if (!isTrue(body.sqs_managed_sse_enabled) && !body.kms_master_key_id)
          fail(address, 'enable SSE-SQS or SSE-KMS')
        break
      case 'aws_sns_topic':
        if (!body.kms_master_key_id) fail(address, 'kms_master_key_id must be set')
        break
      case 'aws_ebs_volume':
        if (!isTrue(body.encrypted)) fail(address, 'encrypted must be true')
        break
      case 'aws_launch_template':
        for (const bdm of asArray(body.block_device_mappings).filter(isObj)) {
          const ebs = asArray(bdm.ebs).filter(isObj)[0]
          if (ebs && !isTrue(ebs.encrypted))
            fail(address, `volume ${String(bdm.device_name)} must be encrypted`)
        }
        break
    }
  }
}

function imdsV1(json: Json, out: PolicyViolation[]) {
  for (const [type, name, body] of resources(json)) {
    if (type !== 'aws_launch_template' && type !== 'aws_instance') continue
    const opts = asArray(body.metadata_options).filter(isObj)[0]
    if (opts?.http_tokens !== 'required') {
      out.push({
        rule: 'imdsv1',
        address: `${type}.${name}`,
        message: 'metadata_options.http_tokens must be "required" (IMDSv2)',
      })
    }
  }
}

function alarmsWithoutAction(json: Json, out: PolicyViolation[]) {
  for (const [type, name, body] of resources(json)) {
    if (type !== 'aws_cloudwatch_metric_alarm' && type !== 'aws_cloudwatch_composite_alarm') continue
    if (asArray(body.alarm_actions).length === 0 || body.actions_enabled === false) {
      out.push({
        rule: 'alarm-without-action',
        address: `${type}.${name}`,
        message: 'alarm has no enabled alarm_actions: nobody would hear it',
      })
    }
  }
}

/** Runs every rule over a stack's resolved Terraform JSON. Pure: usable on any cdk.tf.json. */
export function checkTicketingPolicies(json: TerraformJson): PolicyViolation[] {
  const out: PolicyViolation[] = []
  worldOpenIngress(json, out)
  literalSecrets(json, out)
  unencryptedStores(json, out)
  imdsV1(json, out)
  alarmsWithoutAction(json, out)
  return out
}

/**
 * Aspect that makes the policy rules fail synth: added to a stack (TicketingStack does it for its
 * own stack), it registers a validation that checks the whole synthesized stack, including
 * resources added outside the constructs.
 *
 * ```ts
 * Aspects.of(stack).add(new TicketingPolicyAspect())
 * ```
 */
export class TicketingPolicyAspect implements IAspect {
  private readonly seen = new WeakSet<TerraformStack>()

  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node) || this.seen.has(node)) return
    this.seen.add(node)
    const stack = node
    stack.node.addValidation({
      validate: () =>
        checkTicketingPolicies(stack.toTerraform() as TerraformJson).map(
          (v) => `[policy:${v.rule}] ${v.address}: ${v.message}`,
        ),
    })
  }
}
