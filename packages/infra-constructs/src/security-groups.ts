import { SecurityGroup } from '@cdktn/provider-aws/lib/security-group/index.js'
import { VpcSecurityGroupEgressRule } from '@cdktn/provider-aws/lib/vpc-security-group-egress-rule/index.js'
import { VpcSecurityGroupIngressRule } from '@cdktn/provider-aws/lib/vpc-security-group-ingress-rule/index.js'
import { Construct } from 'constructs'
import { validator } from './validate.js'

/** The tag that marks the one security group allowed to accept traffic from the internet. */
export const PUBLIC_EXPOSURE_TAG = 'ticketing:exposure'

/** Props of {@link SecurityGroups}. */
export interface SecurityGroupsProps {
  /** Name prefix for every group. */
  readonly name: string
  /** The VPC the groups live in. */
  readonly vpcId: string
  /**
   * Port the application listens on; the ALB may reach the app only there.
   * @default 8080
   */
  readonly appPort?: number
  /**
   * Aurora MySQL port.
   * @default 3306
   */
  readonly databasePort?: number
  /**
   * Redis port.
   * @default 6379
   */
  readonly cachePort?: number
  /**
   * Open 443 on the ALB group. Only when an HTTPS listener answers there: an open port with no
   * listener behind it is an invitation to scan, and the policy check rejects it.
   * @default false
   */
  readonly https?: boolean
  /**
   * Create the group of the interface VPC endpoints (only when there are interface endpoints).
   * @default false
   */
  readonly endpoints?: boolean
}

/**
 * The security-group chain ALB → app → DB/Redis. Only the ALB group accepts 0.0.0.0/0, and only on
 * 80/443; every other hop references the previous group, never a CIDR. There is no SSH rule anywhere:
 * operators use SSM Session Manager.
 *
 * Rules are separate `aws_vpc_security_group_*_rule` resources (not inline blocks) so that the
 * groups can reference each other without a dependency cycle.
 */
export class SecurityGroups extends Construct {
  /** Internet-facing ALB group (80, and 443 with `https`, from anywhere; egress to the app port only). */
  readonly alb: SecurityGroup
  /** Application instances (app port from the ALB; egress 443 + DB + Redis). */
  readonly app: SecurityGroup
  /** Aurora (MySQL port from the app only, no egress). */
  readonly database: SecurityGroup
  /** ElastiCache (Redis port from the app only, no egress). */
  readonly cache: SecurityGroup
  /** Interface VPC endpoints (443 from the app only); only with `endpoints: true`. */
  readonly endpoints?: SecurityGroup

  constructor(scope: Construct, id: string, props: SecurityGroupsProps) {
    super(scope, id)
    const v = validator('SecurityGroups')
    const appPort = v.int('appPort', props.appPort ?? 8080, 1, 65535)
    const dbPort = v.int('databasePort', props.databasePort ?? 3306, 1, 65535)
    const cachePort = v.int('cachePort', props.cachePort ?? 6379, 1, 65535)

    const group = (key: string, description: string, extraTags: Record<string, string> = {}) =>
      new SecurityGroup(this, key, {
        // A prefix, not a fixed name: create_before_destroy needs the replacement to coexist.
        namePrefix: `${props.name}-${key}-`,
        description,
        vpcId: props.vpcId,
        revokeRulesOnDelete: true,
        tags: { Name: `${props.name}-${key}`, ...extraTags },
        lifecycle: { createBeforeDestroy: true },
      })
    this.alb = group('alb', 'Internet-facing ALB: HTTP/HTTPS from anywhere', {
      [PUBLIC_EXPOSURE_TAG]: 'public',
    })
    this.app = group('app', 'Application instances: app port from the ALB only')
    this.database = group('db', 'Aurora MySQL: from the application only')
    this.cache = group('redis', 'ElastiCache Redis: from the application only')
    if (props.endpoints) {
      this.endpoints = group('endpoints', 'Interface VPC endpoints: HTTPS from the application only')
    }

    for (const port of props.https ? [80, 443] : [80]) {
      new VpcSecurityGroupIngressRule(this, `alb-in-${port}`, {
        securityGroupId: this.alb.id,
        description: `HTTP${port === 443 ? 'S' : ''} from the internet`,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        cidrIpv4: '0.0.0.0/0',
      })
    }
    const link = (key: string, from: SecurityGroup, to: SecurityGroup, port: number, description: string) => {
      new VpcSecurityGroupEgressRule(this, `${key}-out`, {
        securityGroupId: from.id,
        referencedSecurityGroupId: to.id,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description,
      })
      new VpcSecurityGroupIngressRule(this, `${key}-in`, {
        securityGroupId: to.id,
        referencedSecurityGroupId: from.id,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description,
      })
    }
    link('alb-app', this.alb, this.app, appPort, 'ALB to application')
    link('app-db', this.app, this.database, dbPort, 'Application to Aurora')
    link('app-redis', this.app, this.cache, cachePort, 'Application to Redis')
    if (this.endpoints) link('app-endpoints', this.app, this.endpoints, 443, 'Application to VPC endpoints')
    // ECR, S3, Secrets Manager, SSM and the OS package mirrors are all HTTPS: through the NAT
    // gateway, or the S3 gateway endpoint when there is no NAT.
    new VpcSecurityGroupEgressRule(this, 'app-https-out', {
      securityGroupId: this.app.id,
      cidrIpv4: '0.0.0.0/0',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'HTTPS to AWS APIs and package mirrors',
    })
  }
}
