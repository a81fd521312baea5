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
  'world-open-egress':
    'Egress to 0.0.0.0/0 or ::/0 is allowed on TCP 443 only (AWS APIs, image and package pulls), never on all ports or protocols.',
  'launch-configuration':
    'No aws_launch_configuration: deprecated, it cannot require IMDSv2 for the whole fleet nor take new instance types; use a launch template.',
  'sns-aws-managed-key':
    'SNS topics are not encrypted with the AWS-managed alias/aws/sns key: its key policy cannot be changed, so CloudWatch alarms cannot publish to the topic.',
  'alarm-dimension-arn':
    'ALB alarms name the load balancer and target group by ARN suffix (app/<name>/<id>, targetgroup/<name>/<id>), not the full ARN: a full ARN matches no metric and the alarm never fires.',
  'prod-unprotected-database':
    'In production, Aurora/RDS has deletion_protection = true and skip_final_snapshot is not true.',
  'prod-plain-http':
    'In production, every HTTP listener only redirects to HTTPS: bearer tokens never cross the internet in clear text.',
  'open-port-without-listener':
    'A port opened to the world on the load balancer group has a listener on that port.',
  'default-security-group':
    'Every VPC has its default security group managed (aws_default_security_group) with no ingress or egress rules.',
} as const

/** Options of {@link checkTicketingPolicies} and {@link TicketingPolicyAspect}. */
export interface PolicyOptions {
  /**
   * Also apply the production rules (`prod-unprotected-database`, `prod-plain-http`).
   * @default false
   */
  readonly production?: boolean
}

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
/**
 * A secret argument's value that is an expression, not a literal: a plain reference, or a
 * `jsonencode({...})` object (an RDS-style `{username, password, host, …}` secret) in which no
 * password-, secret- or token-named field is a quoted literal.
 */
const isSecretExpression = (v: string) =>
  isRef(v) ||
  (/^\$\{jsonencode\(\{[\s\S]*\}\)\}$/.test(v.trim()) &&
    !/"[^"]*(password|passwd|secret|token)[^"]*"\s*[=:]\s*"/i.test(v))

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

const USER_DATA_KEYS = new Set(['user_data', 'user_data_base64'])
/** Shapes a secret takes in a boot script (any case, `=` or `:`, flags), on top of SECRET_PATTERNS. */
const USER_DATA_PATTERNS: [RegExp, string][] = [
  [
    /\b[\w-]*(password|passwd|secret|token|api[_-]?key)[\w-]*["']?\s*[:=]\s*["']?(?![$"'\s])[^\s"']{4,}/i,
    'a secret assigned literally',
  ],
  [/--(password|passwd|token|secret|api-key)[= ]+["']?(?![$"'\s])\S+/i, 'a secret passed as a literal flag'],
  [/\bmysql(admin|dump)?\b[^\n]*\s-p(?![\s$"'])\S+/, 'a MySQL password on the command line'],
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

/** Names of the security groups tagged as internet-facing (the load balancer's). */
function publicSecurityGroups(json: Json): Set<string> {
  const names = new Set<string>()
  for (const [type, name, body] of resources(json)) {
    if (type === 'aws_security_group' && isObj(body.tags) && body.tags[PUBLIC_EXPOSURE_TAG] === 'public') {
      names.add(name)
    }
  }
  return names
}

/** The security group name in a `${aws_security_group.<name>.id}` reference. */
const sgOf = (ref: unknown) =>
  typeof ref === 'string' ? /aws_security_group\.([\w-]+)\.id/.exec(ref)?.[1] : undefined

function worldOpenIngress(json: Json, out: PolicyViolation[]) {
  const publicSgs = publicSecurityGroups(json)
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
      if (SECRET_KEYS.has(key) && raw !== '' && !isSecretExpression(raw)) {
        out.push({
          rule: 'literal-secret',
          address,
          message: `${path.join('.')} is a literal; reference a secret instead`,
        })
        continue
      }
      // User data may be plain text, a base64 literal or a base64encode() call: look at both forms.
      const texts = USER_DATA_KEYS.has(key) ? [raw, decodeUserData(raw)] : [raw]
      const patterns = USER_DATA_KEYS.has(key) ? [...SECRET_PATTERNS, ...USER_DATA_PATTERNS] : SECRET_PATTERNS
      const found = patterns.find(([re]) => texts.some((t) => re.test(t)))
      if (found)
        out.push({ rule: 'literal-secret', address, message: `${path.join('.')} contains ${found[1]}` })
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

function worldOpenEgress(json: Json, out: PolicyViolation[]) {
  const check = (address: string, cidrs: unknown[], protocol: unknown, from: unknown, to: unknown) => {
    const open = cidrs.filter((c) => typeof c === 'string' && WORLD.has(c))
    if (open.length === 0) return
    const tcp443 = String(protocol) === 'tcp' || String(protocol) === '6'
    if (!(tcp443 && Number(from) === 443 && Number(to) === 443)) {
      out.push({
        rule: 'world-open-egress',
        address,
        message: `egress to ${open.join(', ')} on ${String(protocol)} ${from}-${to}; only tcp 443 may leave for anywhere`,
      })
    }
  }
  for (const [type, name, body] of resources(json)) {
    const address = `${type}.${name}`
    if (type === 'aws_vpc_security_group_egress_rule') {
      check(address, [body.cidr_ipv4, body.cidr_ipv6], body.ip_protocol, body.from_port, body.to_port)
    } else if (type === 'aws_security_group_rule' && body.type === 'egress') {
      check(
        address,
        [...asArray(body.cidr_blocks), ...asArray(body.ipv6_cidr_blocks)],
        body.protocol,
        body.from_port,
        body.to_port,
      )
    } else if (type === 'aws_security_group' || type === 'aws_default_security_group') {
      for (const rule of asArray(body.egress).filter(isObj)) {
        check(
          address,
          [...asArray(rule.cidr_blocks), ...asArray(rule.ipv6_cidr_blocks)],
          rule.protocol,
          rule.from_port,
          rule.to_port,
        )
      }
    }
  }
}

function launchConfigurations(json: Json, out: PolicyViolation[]) {
  for (const [type, name] of resources(json)) {
    if (type === 'aws_launch_configuration') {
      out.push({
        rule: 'launch-configuration',
        address: `${type}.${name}`,
        message: 'launch configurations are deprecated; use aws_launch_template',
      })
    }
  }
}

function snsAwsManagedKey(json: Json, out: PolicyViolation[]) {
  for (const [type, name, body] of resources(json)) {
    if (type !== 'aws_sns_topic' || typeof body.kms_master_key_id !== 'string') continue
    if (/(^|:)alias\/aws\/sns$/.test(body.kms_master_key_id)) {
      out.push({
        rule: 'sns-aws-managed-key',
        address: `${type}.${name}`,
        message: 'alias/aws/sns cannot grant cloudwatch.amazonaws.com; use a customer-managed KMS key',
      })
    }
  }
}

/** A reference or literal that is a full ELB ARN rather than its `arn_suffix`. */
const isFullElbArn = (v: unknown) =>
  typeof v === 'string' &&
  (/^arn:aws[\w-]*:elasticloadbalancing:/.test(v) ||
    /\$\{aws_(lb|alb|lb_target_group|alb_target_group)\.[\w-]+\.(arn|id)\}/.test(v))

function alarmDimensionArns(json: Json, out: PolicyViolation[]) {
  for (const [type, name, body] of resources(json)) {
    if (type !== 'aws_cloudwatch_metric_alarm') continue
    const dimensionSets = [
      body.dimensions,
      ...asArray(body.metric_query)
        .filter(isObj)
        .flatMap((q) =>
          asArray(q.metric)
            .filter(isObj)
            .map((m) => m.dimensions),
        ),
    ].filter(isObj)
    for (const dims of dimensionSets) {
      for (const key of ['LoadBalancer', 'TargetGroup']) {
        if (isFullElbArn(dims[key])) {
          out.push({
            rule: 'alarm-dimension-arn',
            address: `${type}.${name}`,
            message: `dimension ${key} is a full ARN; CloudWatch names it by ARN suffix (use arn_suffix)`,
          })
        }
      }
    }
  }
}

function productionDatabases(json: Json, out: PolicyViolation[]) {
  for (const [type, name, body] of resources(json)) {
    if (type !== 'aws_rds_cluster' && type !== 'aws_db_instance') continue
    const address = `${type}.${name}`
    if (!isTrue(body.deletion_protection)) {
      out.push({
        rule: 'prod-unprotected-database',
        address,
        message: 'deletion_protection must be true in production',
      })
    }
    if (isTrue(body.skip_final_snapshot)) {
      out.push({
        rule: 'prod-unprotected-database',
        address,
        message: 'skip_final_snapshot must not be true in production',
      })
    }
  }
}

function productionPlainHttp(json: Json, out: PolicyViolation[]) {
  for (const [type, name, body] of resources(json)) {
    if (type !== 'aws_lb_listener' && type !== 'aws_alb_listener') continue
    if (String(body.protocol ?? 'HTTP').toUpperCase() !== 'HTTP') continue
    const actions = asArray(body.default_action).filter(isObj)
    const redirects =
      actions.length > 0 &&
      actions.every((a) => {
        const r = asArray(a.redirect).filter(isObj)[0]
        return a.type === 'redirect' && String(r?.protocol ?? '').toUpperCase() === 'HTTPS'
      })
    if (!redirects) {
      out.push({
        rule: 'prod-plain-http',
        address: `${type}.${name}`,
        message: 'an HTTP listener serves traffic in production; make it redirect to HTTPS',
      })
    }
  }
}

function portsWithoutListener(json: Json, out: PolicyViolation[]) {
  const publicSgs = publicSecurityGroups(json)
  const listenerPorts = new Set<number>()
  for (const [type, , body] of resources(json)) {
    if (type === 'aws_lb_listener' || type === 'aws_alb_listener') listenerPorts.add(Number(body.port))
  }
  for (const [type, name, body] of resources(json)) {
    if (type !== 'aws_vpc_security_group_ingress_rule') continue
    const sg = sgOf(body.security_group_id)
    const open = [body.cidr_ipv4, body.cidr_ipv6].some((c) => typeof c === 'string' && WORLD.has(c))
    if (!sg || !publicSgs.has(sg) || !open) continue
    if (!listenerPorts.has(Number(body.from_port))) {
      out.push({
        rule: 'open-port-without-listener',
        address: `${type}.${name}`,
        message: `port ${body.from_port} is open to the world but no listener answers on it`,
      })
    }
  }
}

function defaultSecurityGroups(json: Json, out: PolicyViolation[]) {
  const managed = new Map<string, Json>()
  for (const [type, , body] of resources(json)) {
    if (type !== 'aws_default_security_group' || typeof body.vpc_id !== 'string') continue
    const vpc = /aws_vpc\.([\w-]+)\.id/.exec(body.vpc_id)?.[1]
    if (vpc) managed.set(vpc, body)
  }
  for (const [type, name, body] of resources(json)) {
    const address = `${type}.${name}`
    if (type === 'aws_vpc' && !managed.has(name)) {
      out.push({
        rule: 'default-security-group',
        address,
        message:
          'the default security group of this VPC is unmanaged (and allows traffic); add aws_default_security_group with no rules',
      })
    } else if (
      type === 'aws_default_security_group' &&
      (asArray(body.ingress).length > 0 || asArray(body.egress).length > 0)
    ) {
      out.push({
        rule: 'default-security-group',
        address,
        message: 'the default security group must have no rules',
      })
    }
  }
}

/**
 * Runs every rule over a stack's resolved Terraform JSON (the production rules too with
 * `production: true`). Pure: usable on any cdk.tf.json.
 */
export function checkTicketingPolicies(json: TerraformJson, options: PolicyOptions = {}): PolicyViolation[] {
  const out: PolicyViolation[] = []
  worldOpenIngress(json, out)
  worldOpenEgress(json, out)
  literalSecrets(json, out)
  unencryptedStores(json, out)
  imdsV1(json, out)
  alarmsWithoutAction(json, out)
  launchConfigurations(json, out)
  snsAwsManagedKey(json, out)
  alarmDimensionArns(json, out)
  portsWithoutListener(json, out)
  defaultSecurityGroups(json, out)
  if (options.production) {
    productionDatabases(json, out)
    productionPlainHttp(json, out)
  }
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

  constructor(private readonly options: PolicyOptions = {}) {}

  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node) || this.seen.has(node)) return
    this.seen.add(node)
    const stack = node
    stack.node.addValidation({
      validate: () =>
        checkTicketingPolicies(stack.toTerraform() as TerraformJson, this.options).map(
          (v) => `[policy:${v.rule}] ${v.address}: ${v.message}`,
        ),
    })
  }
}
