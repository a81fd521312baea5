// The deployment's inputs, mirroring the seed's terraform.tfvars, typed. This is the only file of
// the example that reads the environment: once, at the edge, before any construct is built.
import { readFileSync } from 'node:fs'

/** The seed's terraform.tfvars, as a typed object (snake_case names in the comments). */
export interface DeployConfig {
  /** project_name */
  readonly projectName: string
  /** environment (dev, staging, prod) */
  readonly environment: string
  /** region */
  readonly region: string
  /** vpc_cidr */
  readonly vpcCidr: string
  /** availability_zones */
  readonly availabilityZones: string[]
  /** min_size */
  readonly minSize: number
  /** max_size */
  readonly maxSize: number
  /** desired_size */
  readonly desiredSize: number
  /** instance_type (app) */
  readonly instanceType: string
  /** db_instance_class */
  readonly dbInstanceClass: string
  /** redis_node_type */
  readonly redisNodeType: string
  /** enable_nat_gateway: true = one NAT (dev) or one per AZ (prod); false = none, VPC endpoints instead */
  readonly enableNatGateway: boolean
  /** alarm_email (empty = no subscription; prod requires a real address) */
  readonly alarmEmail: string
  /** auto_scaling_cpu_target, percent */
  readonly cpuTarget: number
  /** tags, applied to every resource through the provider's default_tags */
  readonly tags: Record<string, string>
  /** Image tag the fleet runs (push it to ECR first). */
  readonly imageTag: string
  /** ACM certificate ARN for HTTPS; empty = HTTP only (dev only: prod requires one). */
  readonly certificateArn: string
  /** Deletion protection on Aurora/ALB; off in dev so `terraform destroy` just works. */
  readonly deletionProtection: boolean
}

const SEED_REGION = 'ap-northeast-2'

/** Dev: the seed's shape, sized to be cheap (single NAT, small instances, no deletion protection). */
export const DEV: DeployConfig = {
  projectName: 'ticketing',
  environment: 'dev',
  region: SEED_REGION,
  vpcCidr: '10.0.0.0/16',
  availabilityZones: ['ap-northeast-2a', 'ap-northeast-2c'],
  minSize: 2,
  maxSize: 4,
  desiredSize: 2,
  instanceType: 't3.small',
  dbInstanceClass: 'db.t4g.medium',
  redisNodeType: 'cache.t4g.micro',
  enableNatGateway: true,
  alarmEmail: 'your-email@example.com',
  cpuTarget: 70,
  tags: { Project: 'Ticketing Platform', Environment: 'Development', ManagedBy: 'cdktn' },
  imageTag: 'v1.0.0',
  certificateArn: '',
  deletionProtection: false,
}

/** Prod (opt-in): the seed's 2-20 fleet, NAT per AZ, production instance classes, protection on. */
export const PROD: DeployConfig = {
  ...DEV,
  environment: 'prod',
  minSize: 2,
  maxSize: 20,
  desiredSize: 2,
  instanceType: 't3.medium',
  dbInstanceClass: 'db.r7g.large',
  redisNodeType: 'cache.r7g.large',
  // No placeholder: prod refuses to synth until TICKETING_ALARM_EMAIL and TICKETING_CERTIFICATE_ARN
  // (or the same keys in a TICKETING_CONFIG file) are set.
  alarmEmail: '',
  certificateArn: '',
  tags: { Project: 'Ticketing Platform', Environment: 'Production', ManagedBy: 'cdktn' },
  deletionProtection: true,
}

export const PRESETS: Record<string, DeployConfig> = { dev: DEV, prod: PROD }

/** Thrown for a config that cannot be deployed; the message names the key. */
export class DeployConfigError extends Error {
  readonly code = 'E_DEPLOY_CONFIG'
}

const fail = (key: string, message: string): never => {
  throw new DeployConfigError(`deploy config: ${key}: ${message}`)
}

function check(config: DeployConfig): DeployConfig {
  const schema: Record<keyof DeployConfig, string> = {
    projectName: 'string',
    environment: 'string',
    region: 'string',
    vpcCidr: 'string',
    availabilityZones: 'array',
    minSize: 'number',
    maxSize: 'number',
    desiredSize: 'number',
    instanceType: 'string',
    dbInstanceClass: 'string',
    redisNodeType: 'string',
    enableNatGateway: 'boolean',
    alarmEmail: 'string',
    cpuTarget: 'number',
    tags: 'object',
    imageTag: 'string',
    certificateArn: 'string',
    deletionProtection: 'boolean',
  }
  for (const [key, type] of Object.entries(schema)) {
    const value = (config as unknown as Record<string, unknown>)[key]
    const actual = Array.isArray(value) ? 'array' : typeof value
    if (actual !== type) fail(key, `expected ${type}, got ${actual}`)
  }
  for (const key of Object.keys(config)) if (!(key in schema)) fail(key, 'unknown key')
  if (config.environment === 'prod') {
    if (!config.certificateArn.startsWith('arn:')) {
      fail(
        'certificateArn',
        'prod serves HTTPS only: set TICKETING_CERTIFICATE_ARN to an ACM certificate ARN',
      )
    }
    if (
      !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(config.alarmEmail) ||
      /@example\.(com|org|net)$/i.test(config.alarmEmail)
    ) {
      fail('alarmEmail', 'prod needs a real inbox for its alarms: set TICKETING_ALARM_EMAIL')
    }
  }
  return config
}

const num = (key: string, raw: string) => {
  const n = Number(raw)
  return Number.isFinite(n) ? n : fail(key, `"${raw}" is not a number`)
}
const bool = (key: string, raw: string) =>
  raw === 'true' ? true : raw === 'false' ? false : fail(key, `"${raw}" is not true/false`)

/**
 * Builds the config: the preset named by TICKETING_ENV (default `dev`), then the JSON file named by
 * TICKETING_CONFIG (any subset of keys, camelCase), then single-value overrides from env
 * (TICKETING_REGION, TICKETING_ALARM_EMAIL, TICKETING_IMAGE_TAG, TICKETING_CERTIFICATE_ARN,
 * TICKETING_MIN_SIZE, TICKETING_MAX_SIZE, TICKETING_DESIRED_SIZE, TICKETING_INSTANCE_TYPE,
 * TICKETING_ENABLE_NAT_GATEWAY). Construct props are validated again by the constructs.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): DeployConfig {
  const presetName = env.TICKETING_ENV ?? 'dev'
  const preset = PRESETS[presetName] ?? fail('TICKETING_ENV', `unknown preset "${presetName}" (dev, prod)`)
  let fromFile: Partial<DeployConfig> = {}
  if (env.TICKETING_CONFIG) {
    try {
      fromFile = JSON.parse(readFileSync(env.TICKETING_CONFIG, 'utf8'))
    } catch (e) {
      fail('TICKETING_CONFIG', `cannot read ${env.TICKETING_CONFIG}: ${(e as Error).message}`)
    }
  }
  const overrides: Partial<Record<keyof DeployConfig, unknown>> = {}
  const str: [string, keyof DeployConfig][] = [
    ['TICKETING_REGION', 'region'],
    ['TICKETING_ALARM_EMAIL', 'alarmEmail'],
    ['TICKETING_IMAGE_TAG', 'imageTag'],
    ['TICKETING_CERTIFICATE_ARN', 'certificateArn'],
    ['TICKETING_INSTANCE_TYPE', 'instanceType'],
  ]
  for (const [name, key] of str) if (env[name] !== undefined) overrides[key] = env[name]
  const nums: [string, keyof DeployConfig][] = [
    ['TICKETING_MIN_SIZE', 'minSize'],
    ['TICKETING_MAX_SIZE', 'maxSize'],
    ['TICKETING_DESIRED_SIZE', 'desiredSize'],
  ]
  for (const [name, key] of nums) if (env[name] !== undefined) overrides[key] = num(name, env[name]!)
  if (env.TICKETING_ENABLE_NAT_GATEWAY !== undefined) {
    overrides.enableNatGateway = bool('TICKETING_ENABLE_NAT_GATEWAY', env.TICKETING_ENABLE_NAT_GATEWAY)
  }
  const merged = { ...preset, ...fromFile, ...overrides } as DeployConfig
  // A region change without explicit AZs would keep ap-northeast-2 zones: derive <region>a/c.
  if (merged.region !== SEED_REGION && !fromFile.availabilityZones) {
    return check({ ...merged, availabilityZones: [`${merged.region}a`, `${merged.region}c`] })
  }
  return check(merged)
}
