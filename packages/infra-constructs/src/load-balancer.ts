import { DataAwsCallerIdentity } from '@cdktn/provider-aws/lib/data-aws-caller-identity/index.js'
import { DataAwsElbServiceAccount } from '@cdktn/provider-aws/lib/data-aws-elb-service-account/index.js'
import { Lb } from '@cdktn/provider-aws/lib/lb/index.js'
import { LbListener } from '@cdktn/provider-aws/lib/lb-listener/index.js'
import { LbTargetGroup } from '@cdktn/provider-aws/lib/lb-target-group/index.js'
import { Wafv2WebAclAssociation } from '@cdktn/provider-aws/lib/wafv2-web-acl-association/index.js'
import { Construct } from 'constructs'
import { SecureBucket } from './secure-bucket.js'
import { validator } from './validate.js'

/** Props of {@link LoadBalancer}. */
export interface LoadBalancerProps {
  /** Name prefix; the ALB is `<name>-alb`, the target group `<name>-tg` (so at most 24 characters). */
  readonly name: string
  readonly vpcId: string
  /** Public subnets in at least two AZs. */
  readonly subnetIds: string[]
  /** The internet-facing security group (80/443 from anywhere). */
  readonly securityGroupId: string
  /**
   * ACM certificate. With it: an HTTPS listener with a TLS 1.3 policy and HTTP → HTTPS redirect.
   * Without it: plain HTTP on 80 (fine for a first dev deploy, as in the seed).
   * @default undefined
   */
  readonly certificateArn?: string
  /**
   * TLS policy of the HTTPS listener.
   * @default 'ELBSecurityPolicy-TLS13-1-2-2021-06'
   */
  readonly sslPolicy?: string
  /**
   * Port the application listens on.
   * @default 8080
   */
  readonly targetPort?: number
  /**
   * Health-check path; the API answers 503 there when MySQL or Redis is down.
   * @default '/api/health'
   */
  readonly healthCheckPath?: string
  /**
   * WAFv2 web ACL to associate with the ALB.
   * @default undefined (no WAF)
   */
  readonly webAclArn?: string
  /**
   * Access logs to a dedicated SSE-S3 bucket with the ELB log-delivery policy.
   * @default true
   */
  readonly accessLogs?: boolean
  /**
   * Days to keep access logs.
   * @default 90
   */
  readonly accessLogRetentionDays?: number
  /**
   * ALB deletion protection.
   * @default false
   */
  readonly deletionProtection?: boolean
  /**
   * Let `terraform destroy` empty the access-log bucket.
   * @default false
   */
  readonly forceDestroyLogs?: boolean
}

/**
 * Internet-facing ALB: `drop_invalid_header_fields`, access logs, HTTP → HTTPS redirect with a
 * TLS 1.3 policy when a certificate is given, optional WAF, and a target group on the app port
 * health-checking `/api/health`.
 */
export class LoadBalancer extends Construct {
  readonly alb: Lb
  readonly targetGroup: LbTargetGroup
  readonly httpListener: LbListener
  readonly httpsListener?: LbListener
  readonly logBucket?: SecureBucket

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id)
    const v = validator('LoadBalancer')
    const name = v.name('name', props.name, 24)
    if (props.subnetIds.length < 2) v.fail('subnetIds', 'an ALB needs subnets in at least 2 AZs')
    const port = v.int('targetPort', props.targetPort ?? 8080, 1, 65535)
    const healthPath = props.healthCheckPath ?? '/api/health'
    if (!healthPath.startsWith('/')) v.fail('healthCheckPath', `"${healthPath}" must start with /`)
    const sslPolicy = props.sslPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06'
    if (!sslPolicy.includes('TLS13')) v.fail('sslPolicy', `"${sslPolicy}" does not offer TLS 1.3`)
    const logDays = v.int('accessLogRetentionDays', props.accessLogRetentionDays ?? 90, 1, 3653)

    let logBucket: SecureBucket | undefined
    if (props.accessLogs ?? true) {
      const account = new DataAwsCallerIdentity(this, 'account')
      const elb = new DataAwsElbServiceAccount(this, 'elb-account')
      // Older regions deliver logs from a regional ELB account; newer ones from the log-delivery service.
      logBucket = new SecureBucket(this, 'logs', {
        namePrefix: `${name}-alb-logs`,
        versioned: true,
        expireAfterDays: logDays,
        forceDestroy: props.forceDestroyLogs ?? false,
        extraStatements: (bucketArn) => [
          {
            Sid: 'ElbLogDelivery',
            Effect: 'Allow',
            Principal: { AWS: elb.arn, Service: 'logdelivery.elasticloadbalancing.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: `${bucketArn}/alb/AWSLogs/${account.accountId}/*`,
          },
        ],
      })
      this.logBucket = logBucket
    }

    this.alb = new Lb(this, 'alb', {
      name: `${name}-alb`,
      loadBalancerType: 'application',
      internal: false,
      subnets: props.subnetIds,
      securityGroups: [props.securityGroupId],
      dropInvalidHeaderFields: true,
      enableDeletionProtection: props.deletionProtection ?? false,
      idleTimeout: 60,
      ...(logBucket ? { accessLogs: { bucket: logBucket.bucket.id, prefix: 'alb', enabled: true } } : {}),
      ...(logBucket ? { dependsOn: [logBucket.policy] } : {}),
      tags: { Name: `${name}-alb` },
    })

    this.targetGroup = new LbTargetGroup(this, 'tg', {
      name: `${name}-tg`,
      port,
      protocol: 'HTTP',
      targetType: 'instance',
      vpcId: props.vpcId,
      deregistrationDelay: '30',
      healthCheck: {
        enabled: true,
        path: healthPath,
        port: 'traffic-port',
        protocol: 'HTTP',
        matcher: '200',
        interval: 15,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
      tags: { Name: `${name}-tg` },
    })

    const forward = [{ type: 'forward', targetGroupArn: this.targetGroup.arn }]
    if (props.certificateArn) {
      this.httpsListener = new LbListener(this, 'https', {
        loadBalancerArn: this.alb.arn,
        port: 443,
        protocol: 'HTTPS',
        sslPolicy,
        certificateArn: props.certificateArn,
        defaultAction: forward,
      })
      this.httpListener = new LbListener(this, 'http', {
        loadBalancerArn: this.alb.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [
          { type: 'redirect', redirect: { port: '443', protocol: 'HTTPS', statusCode: 'HTTP_301' } },
        ],
      })
    } else {
      this.httpListener = new LbListener(this, 'http', {
        loadBalancerArn: this.alb.arn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: forward,
      })
    }

    if (props.webAclArn) {
      new Wafv2WebAclAssociation(this, 'waf', { resourceArn: this.alb.arn, webAclArn: props.webAclArn })
    }
  }
}
