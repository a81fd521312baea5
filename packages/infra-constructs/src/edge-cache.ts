import { CloudfrontCachePolicy } from '@cdktn/provider-aws/lib/cloudfront-cache-policy/index.js'
import { CloudfrontDistribution } from '@cdktn/provider-aws/lib/cloudfront-distribution/index.js'
import { DataAwsCloudfrontCachePolicy } from '@cdktn/provider-aws/lib/data-aws-cloudfront-cache-policy/index.js'
import { DataAwsCloudfrontOriginRequestPolicy } from '@cdktn/provider-aws/lib/data-aws-cloudfront-origin-request-policy/index.js'
import { Token } from 'cdktn'
import { Construct } from 'constructs'
import { validator } from './validate.js'

/** The API route of the waiting room's serving board (`GET /api/events/{id}/queue/board`). */
export const QUEUE_BOARD_PATH_PATTERN = '/api/events/*/queue/board'

/** AWS-managed policies the distribution uses, looked up by name (their ids are AWS's, not ours). */
export const MANAGED_EDGE_POLICIES = {
  /** Cache policy with every TTL at 0: each request goes to the API. */
  cachingDisabled: 'Managed-CachingDisabled',
  /** Origin request policy forwarding every viewer header but Host, every cookie and query string. */
  allViewerExceptHostHeader: 'Managed-AllViewerExceptHostHeader',
} as const

/** CloudFront price classes, cheapest last. */
export type EdgePriceClass = 'PriceClass_All' | 'PriceClass_200' | 'PriceClass_100'

/** The 4xx and 5xx codes CloudFront caches (416 it never does), each given `errorCachingMinTtlSeconds`. */
const CACHED_ERROR_CODES = [400, 403, 404, 405, 414, 500, 501, 502, 503, 504]

const ORIGIN_ID = 'alb'
const HOST_RE = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i

/** Props of {@link EdgeCache}. */
export interface EdgeCacheProps {
  /** Name prefix; the board's cache policy is `<name>-queue-board`. */
  readonly name: string
  /**
   * Where CloudFront sends requests: the ALB's DNS name (`alb.dnsName`), or, with `'https-only'`,
   * a name that points at the ALB and that the ALB's certificate covers. CloudFront checks the
   * origin's certificate against this name (the Host header is not forwarded), and the ALB's own
   * `*.elb.amazonaws.com` name is on no certificate of yours: every request would be a 502.
   */
  readonly originDomainName: string
  /**
   * How CloudFront reaches the ALB: `'https-only'` when the ALB has an HTTPS listener (its HTTP
   * listener then only redirects), `'http-only'` when it listens on HTTP alone.
   * @default 'http-only'
   */
  readonly originProtocol?: 'https-only' | 'http-only'
  /**
   * Path pattern of the cached behavior: the waiting room's board, `/api/events/{id}/queue/board`.
   * @default QUEUE_BOARD_PATH_PATTERN
   */
  readonly boardPathPattern?: string
  /**
   * Seconds the edge keeps a board whose response has no Cache-Control (the API sends `max-age=1`,
   * which wins within [0, `boardMaxTtlSeconds`]).
   * @default 1
   */
  readonly boardDefaultTtlSeconds?: number
  /**
   * Upper bound on the board's edge TTL, 1-60 s: a board older than that misplaces every waiter.
   * @default 5
   */
  readonly boardMaxTtlSeconds?: number
  /**
   * Seconds the edge holds an error (4xx/5xx) for everyone asking the same URL, unless the API's
   * Cache-Control asks for longer. CloudFront's own default is 10 s, which would replay one
   * buyer's 403 or one instance's 503 to every buyer; 0 holds nothing.
   * @default 0
   */
  readonly errorCachingMinTtlSeconds?: number
  /**
   * Which edge locations serve. `PriceClass_100` leaves out Asia (the seed's Seoul buyers);
   * `PriceClass_200` includes Korea and Japan.
   * @default 'PriceClass_All'
   */
  readonly priceClass?: EdgePriceClass
  /**
   * WAFv2 web ACL of scope CLOUDFRONT (created in us-east-1, `arn:aws:wafv2:us-east-1:…:global/webacl/…`).
   * A REGIONAL ACL (the ALB's) cannot be used here.
   * @default undefined (no WAF)
   */
  readonly webAclArn?: string
  /**
   * ACM certificate in us-east-1 (CloudFront reads only that region) covering `aliases`; served
   * with SNI and TLS 1.2 (`TLSv1.2_2021`) at least.
   * @default undefined (the `*.cloudfront.net` certificate, on the distribution's own name)
   */
  readonly certificateArn?: string
  /**
   * Your host names for the distribution (CNAMEs or Route 53 aliases to its domain name). Needs
   * `certificateArn`.
   * @default []
   */
  readonly aliases?: string[]
}

/**
 * What {@link TicketingStack} lets you set on its {@link EdgeCache}: it fills in the name, the
 * origin (the ALB's DNS name unless `originDomainName` is given) and the origin protocol (HTTPS
 * when the stack has a certificate).
 */
export type EdgeCacheOptions = Omit<EdgeCacheProps, 'name' | 'originDomainName' | 'originProtocol'> & {
  readonly originDomainName?: string
}

/**
 * CloudFront in front of the ALB, for the waiting room: every waiter polls
 * `GET /api/events/{id}/queue/board` (`Cache-Control: public, max-age=1`) every few seconds, and
 * the edge answers it, so the API sees about one board request per second per edge location
 * instead of one per waiter (the "serving counter" of AWS's Virtual Waiting Room solution).
 *
 * Everything else passes through uncached: the default behavior uses the managed
 * `CachingDisabled` cache policy and the `AllViewerExceptHostHeader` origin request policy, so
 * Authorization, cookies, query strings and bodies reach the API as before, with every method.
 * The board behavior keys on the path alone (no cookie, header or query string), allows GET and
 * HEAD only, and compresses. Viewers are redirected to HTTPS. Errors are not held at the edge
 * (`errorCachingMinTtlSeconds`, 0).
 *
 * CloudFront adds a proxy hop: the API must believe two X-Forwarded-For entries (TRUST_PROXY=2,
 * what {@link TicketingStack} sets when it adds this construct), or every anonymous client of an
 * edge location shares one rate-limit budget.
 */
export class EdgeCache extends Construct {
  readonly distribution: CloudfrontDistribution
  /** The board's cache policy: TTL 0 / 1 / 5 s by default, nothing viewer-specific in the key. */
  readonly boardCachePolicy: CloudfrontCachePolicy
  /** `dxxxx.cloudfront.net`: where your aliases point, or what clients call. */
  readonly domainName: string

  constructor(scope: Construct, id: string, props: EdgeCacheProps) {
    super(scope, id)
    const v = validator('EdgeCache')
    const name = v.name('name', props.name, 64)
    const protocol = v.oneOf('originProtocol', props.originProtocol ?? 'http-only', [
      'https-only',
      'http-only',
    ])
    const origin = v.nonEmpty('originDomainName', props.originDomainName)
    if (!Token.isUnresolved(origin)) {
      if (!HOST_RE.test(origin) || origin.startsWith('*.')) {
        v.fail('originDomainName', `"${origin}" must be a host name, without scheme, port or path`)
      }
      if (protocol === 'https-only' && /\.elb\.amazonaws\.com$/i.test(origin)) {
        v.fail(
          'originDomainName',
          `"${origin}" is the ALB's own name, which its certificate does not cover: over HTTPS CloudFront would answer 502; give a name on the certificate that points at the ALB`,
        )
      }
    }
    const path = props.boardPathPattern ?? QUEUE_BOARD_PATH_PATTERN
    if (!path.startsWith('/') || /\s/.test(path) || path.length > 255) {
      v.fail(
        'boardPathPattern',
        `"${path}" must start with / and have no whitespace (at most 255 characters)`,
      )
    }
    const maxTtl = v.int('boardMaxTtlSeconds', props.boardMaxTtlSeconds ?? 5, 1, 60)
    const defaultTtl = v.int('boardDefaultTtlSeconds', props.boardDefaultTtlSeconds ?? 1, 0, maxTtl)
    const errorTtl = v.int('errorCachingMinTtlSeconds', props.errorCachingMinTtlSeconds ?? 0, 0, 60)
    const priceClass = v.oneOf('priceClass', props.priceClass ?? 'PriceClass_All', [
      'PriceClass_All',
      'PriceClass_200',
      'PriceClass_100',
    ])
    const webAclArn = props.webAclArn
    if (
      webAclArn !== undefined &&
      !Token.isUnresolved(webAclArn) &&
      !/^arn:aws:wafv2:us-east-1:\d{12}:global\/webacl\/[^/]+\/[^/]+$/.test(webAclArn)
    ) {
      v.fail(
        'webAclArn',
        `"${webAclArn}" is not a CLOUDFRONT-scope web ACL (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>)`,
      )
    }
    const certificateArn = props.certificateArn
    const aliases = props.aliases ?? []
    if (
      certificateArn !== undefined &&
      !Token.isUnresolved(certificateArn) &&
      !/^arn:aws:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(certificateArn)
    ) {
      v.fail(
        'certificateArn',
        `"${certificateArn}" is not an ACM certificate in us-east-1, the only region CloudFront reads certificates from`,
      )
    }
    for (const alias of aliases) {
      if (!Token.isUnresolved(alias) && !HOST_RE.test(alias))
        v.fail('aliases', `"${alias}" is not a host name`)
    }
    if (new Set(aliases).size !== aliases.length) v.fail('aliases', `duplicates in ${aliases.join(', ')}`)
    if (aliases.length > 0 && certificateArn === undefined) {
      v.fail('aliases', 'serving your own host names needs certificateArn (ACM, us-east-1) covering them')
    }
    if (certificateArn !== undefined && aliases.length === 0) {
      v.fail('certificateArn', 'a certificate is served only on aliases: give the host names it covers')
    }

    const cachingDisabled = new DataAwsCloudfrontCachePolicy(this, 'caching-disabled', {
      name: MANAGED_EDGE_POLICIES.cachingDisabled,
    })
    const allViewer = new DataAwsCloudfrontOriginRequestPolicy(this, 'all-viewer-except-host', {
      name: MANAGED_EDGE_POLICIES.allViewerExceptHostHeader,
    })

    // Nothing viewer-specific in the key, so one cached board serves every waiter; gzip/brotli
    // variants are keyed by the normalised Accept-Encoding (needed for `compress`).
    this.boardCachePolicy = new CloudfrontCachePolicy(this, 'board-policy', {
      name: `${name}-queue-board`,
      comment: "Waiting-room board: follows the API's Cache-Control (max-age=1), same for every waiter",
      minTtl: 0,
      defaultTtl,
      maxTtl,
      parametersInCacheKeyAndForwardedToOrigin: {
        cookiesConfig: { cookieBehavior: 'none' },
        headersConfig: { headerBehavior: 'none' },
        queryStringsConfig: { queryStringBehavior: 'none' },
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
      },
    })

    this.distribution = new CloudfrontDistribution(this, 'distribution', {
      enabled: true,
      comment: `${name}: the API, with the waiting room's board cached at the edge`,
      isIpv6Enabled: true,
      httpVersion: 'http2and3',
      priceClass,
      ...(aliases.length > 0 ? { aliases } : {}),
      ...(webAclArn ? { webAclId: webAclArn } : {}),
      origin: [
        {
          originId: ORIGIN_ID,
          domainName: origin,
          customOriginConfig: {
            httpPort: 80,
            httpsPort: 443,
            originProtocolPolicy: protocol,
            originSslProtocols: ['TLSv1.2'],
            // Below the ALB's 60 s idle timeout, so the ALB never closes a connection CloudFront reuses.
            originKeepaliveTimeout: 5,
            originReadTimeout: 30,
          },
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: ORIGIN_ID,
        viewerProtocolPolicy: 'redirect-to-https',
        allowedMethods: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'],
        cachedMethods: ['GET', 'HEAD'],
        cachePolicyId: cachingDisabled.id,
        originRequestPolicyId: allViewer.id,
        // CloudFront compresses only what it caches; the API compresses the rest itself.
        compress: false,
      },
      orderedCacheBehavior: [
        {
          pathPattern: path,
          targetOriginId: ORIGIN_ID,
          viewerProtocolPolicy: 'redirect-to-https',
          allowedMethods: ['GET', 'HEAD'],
          cachedMethods: ['GET', 'HEAD'],
          cachePolicyId: this.boardCachePolicy.id,
          compress: true,
        },
      ],
      customErrorResponse: CACHED_ERROR_CODES.map((errorCode) => ({
        errorCode,
        errorCachingMinTtl: errorTtl,
      })),
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      viewerCertificate: certificateArn
        ? {
            acmCertificateArn: certificateArn,
            sslSupportMethod: 'sni-only',
            minimumProtocolVersion: 'TLSv1.2_2021',
          }
        : { cloudfrontDefaultCertificate: true },
      tags: { Name: `${name}-edge` },
    })
    this.domainName = this.distribution.domainName
  }
}
