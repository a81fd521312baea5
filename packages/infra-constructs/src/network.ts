import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group/index.js'
import { DefaultSecurityGroup } from '@cdktn/provider-aws/lib/default-security-group/index.js'
import { Eip } from '@cdktn/provider-aws/lib/eip/index.js'
import { FlowLog } from '@cdktn/provider-aws/lib/flow-log/index.js'
import { IamRole } from '@cdktn/provider-aws/lib/iam-role/index.js'
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy/index.js'
import { InternetGateway } from '@cdktn/provider-aws/lib/internet-gateway/index.js'
import { NatGateway } from '@cdktn/provider-aws/lib/nat-gateway/index.js'
import { Route } from '@cdktn/provider-aws/lib/route/index.js'
import { RouteTable } from '@cdktn/provider-aws/lib/route-table/index.js'
import { RouteTableAssociation } from '@cdktn/provider-aws/lib/route-table-association/index.js'
import { Subnet } from '@cdktn/provider-aws/lib/subnet/index.js'
import { Vpc } from '@cdktn/provider-aws/lib/vpc/index.js'
import { VpcEndpoint } from '@cdktn/provider-aws/lib/vpc-endpoint/index.js'
import { Construct } from 'constructs'
import { SecurityGroups } from './security-groups.js'
import { cidrSubnet, validator } from './validate.js'

/** How private subnets reach the internet. */
export type NatMode = 'per-az' | 'single' | 'none'

/** Interface endpoints added when there is no NAT, so instances can still pull and run. */
export const INTERFACE_ENDPOINTS = [
  'ecr.api',
  'ecr.dkr',
  'logs',
  'monitoring',
  'ssm',
  'ssmmessages',
  'ec2messages',
  'secretsmanager',
] as const

/** Props of {@link Network}. */
export interface NetworkProps {
  /** Name prefix (lowercase, hyphens) for every resource. */
  readonly name: string
  /** AWS region, used for VPC endpoint service names (e.g. `ap-northeast-2`). */
  readonly region: string
  /** Two or more distinct availability zones; one public, app and database subnet in each. */
  readonly availabilityZones: string[]
  /**
   * VPC CIDR block, /16 to /24.
   * @default '10.0.0.0/16'
   */
  readonly vpcCidr?: string
  /**
   * Bits added to the VPC prefix for each subnet (8 turns a /16 into /24 subnets). Subnets are laid
   * out tier by tier: public 0..n-1, app n..2n-1, database 2n..3n-1.
   * @default 8
   */
  readonly subnetNewBits?: number
  /**
   * NAT gateways: one per AZ (no cross-AZ dependency), a single shared one (cheaper, one AZ's
   * failure cuts egress), or none (VPC endpoints instead).
   * @default 'per-az'
   */
  readonly natGateways?: NatMode
  /**
   * Interface endpoints for ECR, CloudWatch Logs/metrics, SSM and Secrets Manager. The S3 gateway
   * endpoint is always created (it is free).
   * @default true when natGateways is 'none', otherwise false
   */
  readonly interfaceEndpoints?: boolean
  /**
   * VPC flow logs (all traffic) to CloudWatch Logs.
   * @default true
   */
  readonly flowLogs?: boolean
  /**
   * Retention of the flow-log group, in days.
   * @default 30
   */
  readonly logRetentionDays?: number
  /**
   * Port the application listens on (for the ALB → app security-group rule).
   * @default 8080
   */
  readonly appPort?: number
  /**
   * The load balancer has an HTTPS listener, so its security group opens 443 too.
   * @default false
   */
  readonly https?: boolean
}

/**
 * VPC over two or more AZs with public, private-app and database subnets, an internet gateway,
 * NAT per AZ / single / none (with VPC endpoints), flow logs, and the ALB → app → DB/Redis
 * security-group chain.
 */
export class Network extends Construct {
  readonly vpc: Vpc
  readonly availabilityZones: string[]
  readonly publicSubnets: Subnet[]
  readonly appSubnets: Subnet[]
  readonly databaseSubnets: Subnet[]
  readonly securityGroups: SecurityGroups
  readonly natGateways: NatGateway[] = []
  /** Interface and gateway endpoints, keyed by service suffix (`s3`, `ecr.api`, ...). */
  readonly endpoints: Record<string, VpcEndpoint> = {}
  readonly flowLogGroup?: CloudwatchLogGroup
  /** The VPC's default security group, taken under management with every rule removed. */
  readonly defaultSecurityGroup: DefaultSecurityGroup

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id)
    const v = validator('Network')
    const name = v.name('name', props.name, 40)
    const region = v.nonEmpty('region', props.region)
    const azs = v.azs('availabilityZones', props.availabilityZones)
    const vpcCidr = props.vpcCidr ?? '10.0.0.0/16'
    const cidr = v.cidr('vpcCidr', vpcCidr, 16, 24)
    const newBits = v.int('subnetNewBits', props.subnetNewBits ?? 8, 1, 12)
    if (cidr.prefix + newBits > 28) {
      v.fail(
        'subnetNewBits',
        `${vpcCidr} + ${newBits} bits gives /${cidr.prefix + newBits} subnets; AWS allows /28 at most`,
      )
    }
    if (3 * azs.length > 2 ** newBits) {
      v.fail(
        'subnetNewBits',
        `${newBits} bits give ${2 ** newBits} subnets; ${azs.length} AZs x 3 tiers need ${3 * azs.length}`,
      )
    }
    const nat = v.oneOf('natGateways', props.natGateways ?? 'per-az', ['per-az', 'single', 'none'])
    const interfaceEndpoints = props.interfaceEndpoints ?? nat === 'none'
    const retention = v.retention('logRetentionDays', props.logRetentionDays ?? 30)
    this.availabilityZones = azs

    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: `${name}-vpc` },
    })
    // AWS gives every VPC a default group that lets its members talk to each other and out to the
    // world; anything launched without a group lands in it. Managed with no rules, it allows nothing.
    this.defaultSecurityGroup = new DefaultSecurityGroup(this, 'default-sg', {
      vpcId: this.vpc.id,
      tags: { Name: `${name}-default-deny` },
    })
    const subnets = (tier: string, offset: number) =>
      azs.map(
        (az, i) =>
          new Subnet(this, `${tier}-${i}`, {
            vpcId: this.vpc.id,
            availabilityZone: az,
            cidrBlock: cidrSubnet(cidr, newBits, offset * azs.length + i),
            // Public subnets hold only the ALB and NAT gateways: nothing needs an automatic public IP.
            mapPublicIpOnLaunch: false,
            tags: { Name: `${name}-${tier}-${az}`, 'ticketing:tier': tier },
          }),
      )
    this.publicSubnets = subnets('public', 0)
    this.appSubnets = subnets('app', 1)
    this.databaseSubnets = subnets('db', 2)

    const igw = new InternetGateway(this, 'igw', { vpcId: this.vpc.id, tags: { Name: `${name}-igw` } })
    const publicRt = new RouteTable(this, 'public-rt', {
      vpcId: this.vpc.id,
      tags: { Name: `${name}-public` },
    })
    new Route(this, 'public-default', {
      routeTableId: publicRt.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: igw.id,
    })
    this.publicSubnets.forEach((s, i) => {
      new RouteTableAssociation(this, `public-rta-${i}`, { subnetId: s.id, routeTableId: publicRt.id })
    })

    const natCount = nat === 'per-az' ? azs.length : nat === 'single' ? 1 : 0
    for (let i = 0; i < natCount; i++) {
      const eip = new Eip(this, `nat-eip-${i}`, { domain: 'vpc', tags: { Name: `${name}-nat-${azs[i]}` } })
      this.natGateways.push(
        new NatGateway(this, `nat-${i}`, {
          allocationId: eip.id,
          subnetId: this.publicSubnets[i]!.id,
          tags: { Name: `${name}-nat-${azs[i]}` },
          dependsOn: [igw],
        }),
      )
    }
    // One app route table per AZ, so a per-AZ NAT keeps each AZ's egress inside that AZ.
    const appRts = azs.map((az, i) => {
      const rt = new RouteTable(this, `app-rt-${i}`, {
        vpcId: this.vpc.id,
        tags: { Name: `${name}-app-${az}` },
      })
      const natGw = this.natGateways[Math.min(i, this.natGateways.length - 1)]
      if (natGw) {
        new Route(this, `app-default-${i}`, {
          routeTableId: rt.id,
          destinationCidrBlock: '0.0.0.0/0',
          natGatewayId: natGw.id,
        })
      }
      new RouteTableAssociation(this, `app-rta-${i}`, {
        subnetId: this.appSubnets[i]!.id,
        routeTableId: rt.id,
      })
      return rt
    })
    // Database subnets have no route out at all.
    const dbRt = new RouteTable(this, 'db-rt', { vpcId: this.vpc.id, tags: { Name: `${name}-db` } })
    this.databaseSubnets.forEach((s, i) => {
      new RouteTableAssociation(this, `db-rta-${i}`, { subnetId: s.id, routeTableId: dbRt.id })
    })

    this.securityGroups = new SecurityGroups(this, 'sg', {
      name,
      vpcId: this.vpc.id,
      ...(props.appPort !== undefined ? { appPort: props.appPort } : {}),
      https: props.https ?? false,
      endpoints: interfaceEndpoints,
    })

    this.endpoints.s3 = new VpcEndpoint(this, 'endpoint-s3', {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: appRts.map((rt) => rt.id),
      tags: { Name: `${name}-s3` },
    })
    if (interfaceEndpoints) {
      for (const service of INTERFACE_ENDPOINTS) {
        this.endpoints[service] = new VpcEndpoint(this, `endpoint-${service.replace('.', '-')}`, {
          vpcId: this.vpc.id,
          serviceName: `com.amazonaws.${region}.${service}`,
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds: this.appSubnets.map((s) => s.id),
          securityGroupIds: [this.securityGroups.endpoints!.id],
          tags: { Name: `${name}-${service}` },
        })
      }
    }

    if (props.flowLogs ?? true) {
      const group = new CloudwatchLogGroup(this, 'flow-logs', {
        name: `/ticketing/${name}/vpc-flow-logs`,
        retentionInDays: retention,
      })
      this.flowLogGroup = group
      const role = new IamRole(this, 'flow-logs-role', {
        name: `${name}-flow-logs`,
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      })
      new IamRolePolicy(this, 'flow-logs-policy', {
        role: role.id,
        name: 'write-flow-logs',
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
              Resource: [`${group.arn}:*`],
            },
          ],
        }),
      })
      new FlowLog(this, 'flow-log', {
        vpcId: this.vpc.id,
        trafficType: 'ALL',
        logDestinationType: 'cloud-watch-logs',
        logDestination: group.arn,
        iamRoleArn: role.arn,
        maxAggregationInterval: 60,
        tags: { Name: `${name}-flow-log` },
      })
    }
  }
}
