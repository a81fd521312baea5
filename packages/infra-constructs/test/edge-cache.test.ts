// CloudFront in front of the ALB: the waiting room's board is cached at the edge, everything else
// passes through uncached. EdgeCache alone (synthScope), then wired into TicketingStack (opt-in).
import { Testing } from 'cdktn'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  checkTicketingPolicies,
  decodeUserData,
  EdgeCache,
  type EdgeCacheProps,
  MANAGED_EDGE_POLICIES,
  QUEUE_BOARD_PATH_PATTERN,
} from '../src/index.js'
import {
  dataRef,
  type Json,
  only,
  ref,
  resources,
  synthTicketing,
  unknownAttributes,
  unresolvedReferences,
} from './helpers.js'

const ALB = 'tk-alb-123456789.ap-northeast-2.elb.amazonaws.com'
const EDGE_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0b3c1d5e-1111-2222-3333-444455556666'
const EDGE_WAF = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/tk-edge/a1b2c3'
const ALB_CERT = 'arn:aws:acm:ap-northeast-2:123456789012:certificate/0b3c1d5e-1111-2222-3333-444455556666'

const synthEdge = (props: Partial<EdgeCacheProps> = {}): Json =>
  JSON.parse(
    Testing.synthScope((scope) => {
      new EdgeCache(scope, 'edge', { name: 'tk', originDomainName: ALB, ...props })
    }),
  )

/** The stack's user data, env lines as a map. */
function containerEnv(json: Json): Record<string, string> {
  const script = decodeUserData(only(json, 'aws_launch_template').user_data)
  const env = script.slice(script.indexOf('<<ENV\n') + 6, script.indexOf('\nENV\n'))
  return Object.fromEntries(
    env.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  )
}

describe('EdgeCache alone', () => {
  let json: Json
  let dist: Json
  beforeAll(() => {
    json = synthEdge()
    dist = only(json, 'aws_cloudfront_distribution')
  })

  it('has one origin, the ALB, over HTTP by default (TLS 1.2 when HTTPS)', () => {
    expect(dist.origin).toEqual([
      {
        origin_id: 'alb',
        domain_name: ALB,
        custom_origin_config: {
          http_port: 80,
          https_port: 443,
          origin_protocol_policy: 'http-only',
          origin_ssl_protocols: ['TLSv1.2'],
          origin_keepalive_timeout: 5,
          origin_read_timeout: 30,
        },
      },
    ])
    expect(dist).toMatchObject({ enabled: true, is_ipv6_enabled: true, price_class: 'PriceClass_All' })
  })

  it('default behavior: every method, nothing cached, every viewer header but Host forwarded (managed policies by name)', () => {
    expect(Object.values(json.data.aws_cloudfront_cache_policy)).toEqual([
      { name: 'Managed-CachingDisabled' },
    ])
    expect(Object.values(json.data.aws_cloudfront_origin_request_policy)).toEqual([
      { name: 'Managed-AllViewerExceptHostHeader' },
    ])
    expect(MANAGED_EDGE_POLICIES).toEqual({
      cachingDisabled: 'Managed-CachingDisabled',
      allViewerExceptHostHeader: 'Managed-AllViewerExceptHostHeader',
    })
    const behavior = dist.default_cache_behavior
    expect(behavior).toMatchObject({
      target_origin_id: 'alb',
      viewer_protocol_policy: 'redirect-to-https',
      compress: false,
      cache_policy_id: dataRef(json, 'aws_cloudfront_cache_policy', 'caching-disabled', 'id'),
      origin_request_policy_id: dataRef(
        json,
        'aws_cloudfront_origin_request_policy',
        'all-viewer-except-host',
        'id',
      ),
    })
    expect([...behavior.allowed_methods].sort()).toEqual([
      'DELETE',
      'GET',
      'HEAD',
      'OPTIONS',
      'PATCH',
      'POST',
      'PUT',
    ])
    // No legacy TTLs or forwarded_values next to the policies (CloudFront refuses the mix).
    expect(behavior.forwarded_values).toBeUndefined()
    expect(behavior.default_ttl).toBeUndefined()
  })

  it('board behavior: its path, GET/HEAD, compressed, a policy that follows Cache-Control with an empty key', () => {
    expect(QUEUE_BOARD_PATH_PATTERN).toBe('/api/events/*/queue/board')
    expect(dist.ordered_cache_behavior).toHaveLength(1)
    const board = dist.ordered_cache_behavior[0]
    expect(board).toMatchObject({
      path_pattern: '/api/events/*/queue/board',
      target_origin_id: 'alb',
      viewer_protocol_policy: 'redirect-to-https',
      allowed_methods: ['GET', 'HEAD'],
      cached_methods: ['GET', 'HEAD'],
      compress: true,
      cache_policy_id: ref(json, 'aws_cloudfront_cache_policy', 'board-policy', 'id'),
    })
    // No origin request policy: nothing of the viewer's (Authorization, cookies) reaches the API.
    expect(board.origin_request_policy_id).toBeUndefined()
    const policy = only(json, 'aws_cloudfront_cache_policy')
    expect(policy).toMatchObject({ name: 'tk-queue-board', min_ttl: 0, default_ttl: 1, max_ttl: 5 })
    expect(policy.parameters_in_cache_key_and_forwarded_to_origin).toEqual({
      cookies_config: { cookie_behavior: 'none' },
      headers_config: { header_behavior: 'none' },
      query_strings_config: { query_string_behavior: 'none' },
      enable_accept_encoding_gzip: true,
      enable_accept_encoding_brotli: true,
    })
  })

  it('holds no error at the edge, serves its own certificate, no WAF, no aliases', () => {
    expect(dist.custom_error_response.map((r: Json) => r.error_code)).toEqual([
      400, 403, 404, 405, 414, 500, 501, 502, 503, 504,
    ])
    expect(dist.custom_error_response.every((r: Json) => r.error_caching_min_ttl === 0)).toBe(true)
    // Only the caching time: no error page replaces the API's JSON envelope.
    expect(dist.custom_error_response.some((r: Json) => r.response_page_path || r.response_code)).toBe(false)
    expect(dist.viewer_certificate).toEqual({ cloudfront_default_certificate: true })
    expect(dist.web_acl_id).toBeUndefined()
    expect(dist.aliases).toBeUndefined()
    expect(dist.restrictions).toEqual({ geo_restriction: { restriction_type: 'none' } })
  })

  it('with HTTPS to the origin, aliases on a us-east-1 certificate, a CLOUDFRONT WAF, other TTLs and price class', () => {
    const custom = only(
      synthEdge({
        originDomainName: 'origin.tickets.dev',
        originProtocol: 'https-only',
        certificateArn: EDGE_CERT,
        aliases: ['tickets.dev', 'www.tickets.dev'],
        webAclArn: EDGE_WAF,
        priceClass: 'PriceClass_200',
        boardDefaultTtlSeconds: 2,
        boardMaxTtlSeconds: 3,
        errorCachingMinTtlSeconds: 1,
        boardPathPattern: '/api/v2/events/*/queue/board',
      }),
      'aws_cloudfront_distribution',
    )
    expect(custom.origin[0]).toMatchObject({
      domain_name: 'origin.tickets.dev',
      custom_origin_config: { origin_protocol_policy: 'https-only' },
    })
    expect(custom.viewer_certificate).toEqual({
      acm_certificate_arn: EDGE_CERT,
      ssl_support_method: 'sni-only',
      minimum_protocol_version: 'TLSv1.2_2021',
    })
    expect(custom).toMatchObject({
      aliases: ['tickets.dev', 'www.tickets.dev'],
      web_acl_id: EDGE_WAF,
      price_class: 'PriceClass_200',
    })
    expect(custom.ordered_cache_behavior[0].path_pattern).toBe('/api/v2/events/*/queue/board')
    expect(custom.custom_error_response.every((r: Json) => r.error_caching_min_ttl === 1)).toBe(true)
    const policy = only(
      synthEdge({ boardDefaultTtlSeconds: 2, boardMaxTtlSeconds: 3 }),
      'aws_cloudfront_cache_policy',
    )
    expect(policy).toMatchObject({ min_ttl: 0, default_ttl: 2, max_ttl: 3 })
  })
})

describe('TicketingStack edgeCache', () => {
  let json: Json
  let built: ReturnType<typeof synthTicketing>
  beforeAll(() => {
    built = synthTicketing({ edgeCache: true })
    json = built.json
  })

  it('is off by default: no distribution, no output, TRUST_PROXY=1', () => {
    const plain = synthTicketing().json
    expect(resources(plain, 'aws_cloudfront_distribution')).toEqual([])
    expect(resources(plain, 'aws_cloudfront_cache_policy')).toEqual([])
    expect(plain.data.aws_cloudfront_cache_policy).toBeUndefined()
    expect(plain.output.edge_domain_name).toBeUndefined()
    expect(containerEnv(plain).TRUST_PROXY).toBe('1')
    // The same lookups find the edge when it is on (so the "none" above is not a misspelling).
    expect(resources(json, 'aws_cloudfront_distribution')).toHaveLength(1)
    expect(resources(json, 'aws_cloudfront_cache_policy')).toHaveLength(1)
    expect(json.output.edge_domain_name).toBeDefined()
  })

  it('fronts the ALB by its DNS name over HTTP (no certificate), outputs the domain name, resolves', () => {
    const dist = only(json, 'aws_cloudfront_distribution')
    expect(dist.origin).toHaveLength(1)
    expect(dist.origin[0].domain_name).toBe(ref(json, 'aws_lb', 'alb', 'dns_name'))
    expect(dist.origin[0].custom_origin_config.origin_protocol_policy).toBe('http-only')
    expect(dist.ordered_cache_behavior[0].path_pattern).toBe('/api/events/*/queue/board')
    expect(dist.default_cache_behavior.cache_policy_id).toBe(
      dataRef(json, 'aws_cloudfront_cache_policy', 'caching-disabled', 'id'),
    )
    expect(only(json, 'aws_cloudfront_cache_policy').name).toBe('ticketing-dev-queue-board')
    expect(json.output.edge_domain_name).toMatchObject({
      value: ref(json, 'aws_cloudfront_distribution', 'edge', 'domain_name'),
    })
    expect(unresolvedReferences(json)).toEqual([])
    expect(unknownAttributes(built.stack, json)).toEqual([])
    expect(checkTicketingPolicies(json)).toEqual([])
  })

  it('makes the instances believe two proxies (CloudFront and the ALB): TRUST_PROXY=2', () => {
    expect(containerEnv(json).TRUST_PROXY).toBe('2')
  })

  it('passes its options through, and with a certificate reaches the ALB over HTTPS by the given name', () => {
    const { json: prod } = synthTicketing({
      environment: 'prod',
      certificateArn: ALB_CERT,
      alarmEmail: 'oncall@tickets.dev',
      edgeCache: {
        originDomainName: 'origin.tickets.dev',
        certificateArn: EDGE_CERT,
        aliases: ['tickets.dev'],
        webAclArn: EDGE_WAF,
        priceClass: 'PriceClass_200',
      },
    })
    const dist = only(prod, 'aws_cloudfront_distribution')
    expect(dist.origin[0]).toMatchObject({
      domain_name: 'origin.tickets.dev',
      custom_origin_config: { origin_protocol_policy: 'https-only' },
    })
    expect(dist).toMatchObject({
      aliases: ['tickets.dev'],
      web_acl_id: EDGE_WAF,
      price_class: 'PriceClass_200',
    })
    expect(dist.viewer_certificate.acm_certificate_arn).toBe(EDGE_CERT)
    expect(only(prod, 'aws_cloudfront_cache_policy').name).toBe('ticketing-prod-queue-board')
    expect(checkTicketingPolicies(prod, { production: true })).toEqual([])
  })
})
