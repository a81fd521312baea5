// The deployment stack: one TerraformStack named <project>-<environment>, the AWS provider with the
// config's tags as default_tags, and the TicketingStack composition.
import { AwsProvider } from '@cdktn/provider-aws/lib/provider/index.js'
import { TicketingStack } from '@ticketing/infra-constructs'
import { type App, LocalBackend, TerraformStack } from 'cdktn'
import type { DeployConfig } from './config.js'

/** Adds the stack to the app; the stack folder is cdktf.out/stacks/<project>-<environment>. */
export function buildDeployStack(app: App, config: DeployConfig) {
  const stack = new TerraformStack(app, `${config.projectName}-${config.environment}`)
  new AwsProvider(stack, 'aws', { region: config.region, defaultTags: [{ tags: config.tags }] })
  // State next to the stack's cdk.tf.json, relative, so the folder is self-contained. For a team,
  // swap in an S3Backend (encrypted bucket + lock): state holds the Redis AUTH token and JWT secret.
  new LocalBackend(stack, { path: 'terraform.tfstate' })
  const ticketing = new TicketingStack(stack, 'ticketing', {
    projectName: config.projectName,
    environment: config.environment,
    region: config.region,
    vpcCidr: config.vpcCidr,
    availabilityZones: config.availabilityZones,
    // enable_nat_gateway = true: one NAT in dev (about $43/month saved), one per AZ otherwise.
    natGateways: !config.enableNatGateway ? 'none' : config.environment === 'dev' ? 'single' : 'per-az',
    minSize: config.minSize,
    maxSize: config.maxSize,
    desiredSize: config.desiredSize,
    cpuTargetPercent: config.cpuTarget,
    instanceType: config.instanceType,
    dbInstanceClass: config.dbInstanceClass,
    redisNodeType: config.redisNodeType,
    imageTag: config.imageTag,
    deletionProtection: config.deletionProtection,
    // default_tags do not reach what the Auto Scaling group launches: tag instances and volumes too.
    tags: config.tags,
    ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    ...(config.certificateArn ? { certificateArn: config.certificateArn } : {}),
  })
  return { stack, ticketing }
}
