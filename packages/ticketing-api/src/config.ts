// The only place that reads the environment. Everything inward receives the typed Config.
import { createHmac, randomBytes } from 'node:crypto'
import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

const Int = (options: { minimum?: number; maximum?: number }) => Type.Integer(options)

/** The environment as text, validated and coerced by one TypeBox schema. */
const EnvSchema = Type.Object({
  PORT: Type.Optional(Int({ minimum: 0, maximum: 65535 })),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  LOG_LEVEL: Type.Optional(
    Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
  ),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^mysql://' })),
  DATABASE_READER_URL: Type.Optional(Type.String({ pattern: '^mysql://' })),
  DATABASE_SECRET_ID: Type.Optional(Type.String({ minLength: 1 })),
  AWS_ENDPOINT_URL_SECRETS_MANAGER: Type.Optional(Type.String({ pattern: '^https?://' })),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_CLUSTER_NODES: Type.Optional(Type.String({ pattern: '^[^,:]+:\\d+(,[^,:]+:\\d+)*$' })),
  REDIS_QUORUM_NODES: Type.Optional(Type.String({ minLength: 1 })),
  REDIS_KEY_PREFIX: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_:-]+$' })),
  AUTH_MODE: Type.Optional(Type.Union([Type.Literal('jwt'), Type.Literal('none')])),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  WAITING_ROOM_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  JWT_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  JWT_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  JWT_ADMIN_CLAIM: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_:/.-]+=.+$' })),
  CLOUDWATCH_NAMESPACE: Type.Optional(Type.String({ minLength: 1 })),
  AWS_REGION: Type.Optional(Type.String({ minLength: 1 })),
  RATE_LIMIT_MAX: Type.Optional(Int({ minimum: 0 })),
  RATE_LIMIT_WINDOW_MS: Type.Optional(Int({ minimum: 1 })),
  RATE_LIMIT_READS: Type.Optional(Int({ minimum: 1 })),
  RATE_LIMIT_ATTEMPTS: Type.Optional(Int({ minimum: 1 })),
  RATE_LIMIT_ADMIN: Type.Optional(Int({ minimum: 1 })),
  RATE_LIMIT_ADDRESS_FACTOR: Type.Optional(Int({ minimum: 1, maximum: 100_000 })),
  TRUST_PROXY: Type.Optional(Type.String({ minLength: 1 })),
  MAX_TICKETS_PER_USER: Type.Optional(Int({ minimum: 1, maximum: 100 })),
  HOLD_TTL_MS: Type.Optional(Int({ minimum: 1000 })),
  HOLD_SEATS_TTL_MS: Type.Optional(Int({ minimum: 1000, maximum: 3_600_000 })),
  MAX_SEATS_PER_HOLD: Type.Optional(Int({ minimum: 1, maximum: 100 })),
  DB_POOL_SIZE: Type.Optional(Int({ minimum: 1, maximum: 1000 })),
  BATCH_MAX_SIZE: Type.Optional(Int({ minimum: 1, maximum: 1000 })),
  BATCH_MAX_WAIT_MS: Type.Optional(Int({ minimum: 0, maximum: 1000 })),
  RECONCILE_INTERVAL_MS: Type.Optional(Int({ minimum: 0 })),
  SHUTDOWN_GRACE_MS: Type.Optional(Int({ minimum: 0 })),
  MAX_EVENT_LOOP_DELAY_MS: Type.Optional(Int({ minimum: 0 })),
  REQUEST_DEADLINE_MS: Type.Optional(Int({ minimum: 0, maximum: 600_000 })),
  WORKERS: Type.Optional(Int({ minimum: 1, maximum: 64 })),
})

export type Env = Static<typeof EnvSchema>

/** Typed service configuration; see the README's env table for every field. */
export interface Config {
  mode: 'embedded' | 'production'
  port: number
  host: string
  logLevel: string
  database?: {
    url: string
    readerUrl?: string
    poolSize: number
    /**
     * DATABASE_SECRET_ID: the database user and password come from this Secrets Manager secret
     * (read at connect time, again when MySQL refuses them), not from the URLs.
     */
    secret?: { id: string; region: string; endpoint?: string }
  }
  redis?: {
    url?: string
    clusterNodes?: Array<{ host: string; port: number }>
    /**
     * REDIS_QUORUM_NODES: >= 3 independent nodes. When set, GA admission (seat-lock) runs as a
     * Redlock quorum over them; the cache, rate limit, pub/sub and seat holds stay on `url`.
     */
    quorumNodes?: string[]
    keyPrefix: string
  }
  /** Key prefix in Redis (seat-lock, cache, rate limit). Tests give each run its own. */
  auth:
    | { mode: 'none' }
    | {
        mode: 'jwt'
        secret?: string
        jwksUrl?: string
        issuer?: string
        audience?: string
        admin: { claim: string; value: string }
      }
  metrics: { namespace?: string; region?: string }
  /**
   * Waiting room: the HMAC key of queue tickets and admission tokens (WAITING_ROOM_SECRET, >= 32
   * bytes, the same on every instance). Unset: derived from JWT_SECRET when there is one, else
   * random per process (`shared: false`: fine for one instance; a fleet needs the variable).
   */
  waitingRoom: { secret: string; shared: boolean }
  /**
   * Budgets per window: per authenticated buyer for each class of request, and per client
   * address (× addressFactor) for requests without a buyer. RATE_LIMIT_MAX=0 turns it off.
   */
  rateLimit: {
    enabled: boolean
    windowMs: number
    perBuyer: { reads: number; attempts: number; admin: number }
    addressFactor: number
  }
  /**
   * Which proxies to believe about the client address (X-Forwarded-For): false (none, the
   * default), a hop count, or addresses/CIDRs (Fastify's trustProxy). TRUST_PROXY.
   */
  trustProxy: boolean | number | string[]
  maxTicketsPerUser?: number
  holdTtlMs: number
  /** Reserved seating: seat-hold TTL (HOLD_SEATS_TTL_MS) and seats per hold (MAX_SEATS_PER_HOLD). */
  seating: { holdTtlMs: number; maxSeatsPerHold: number }
  batch: { maxSize: number; maxWaitMs: number }
  reconcileIntervalMs: number
  shutdownGraceMs: number
  /** Load shedding: 503 when the event loop lags more than this (0 = off). */
  maxEventLoopDelayMs: number
  /** A request not answered within this gets 503 + Retry-After (0 = off). */
  requestDeadlineMs: number
  /** Server processes sharing the port (node:cluster); production mode only. */
  workers: number
}

/** Thrown when the environment cannot produce a working service; the message says why. */
export class ConfigError extends Error {
  readonly code = 'E_CONFIG'
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

const NUMERIC = new Set(
  Object.entries(EnvSchema.properties)
    .filter(([, s]) => (s as { type?: string }).type === 'integer')
    .map(([k]) => k),
)

/**
 * Reads and validates the environment once. Empty strings count as unset. Throws ConfigError
 * naming the offending variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key]
    if (value === undefined || value.trim() === '') continue
    raw[key] = NUMERIC.has(key) && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value.trim()
  }
  const errors = [...Value.Errors(EnvSchema, raw)]
  if (errors.length > 0) {
    const e = errors[0]!
    throw new ConfigError(
      `invalid environment: ${e.path.slice(1)}=${JSON.stringify(raw[e.path.slice(1)])}: ${e.message}`,
    )
  }
  const e = raw as Env

  const hasDb = e.DATABASE_URL !== undefined
  const hasRedis = e.REDIS_URL !== undefined || e.REDIS_CLUSTER_NODES !== undefined
  if (hasDb !== hasRedis) {
    throw new ConfigError(
      hasDb
        ? 'DATABASE_URL is set but REDIS_URL (or REDIS_CLUSTER_NODES) is not: production mode needs both, embedded mode needs neither'
        : 'REDIS_URL is set but DATABASE_URL is not: production mode needs both, embedded mode needs neither',
    )
  }
  const mode = hasDb ? 'production' : 'embedded'
  const quorumNodes = parseQuorumNodes(e.REDIS_QUORUM_NODES, hasRedis)
  if (mode === 'embedded' && (e.WORKERS ?? 1) > 1) {
    throw new ConfigError(
      'WORKERS > 1 needs production mode: embedded mode keeps its data in one process, and several would each sell the same seats',
    )
  }
  if (mode === 'embedded' && e.DATABASE_READER_URL) {
    throw new ConfigError('DATABASE_READER_URL is set without DATABASE_URL')
  }

  const authMode = e.AUTH_MODE ?? (mode === 'production' ? 'jwt' : 'none')
  let auth: Config['auth'] = { mode: 'none' }
  if (authMode === 'jwt') {
    if (!e.JWT_SECRET && !e.JWKS_URL) {
      throw new ConfigError(
        'AUTH_MODE=jwt (the default in production mode) needs JWT_SECRET (HS256) or JWKS_URL; set one, or set AUTH_MODE=none to run without authentication',
      )
    }
    if (e.JWT_SECRET && e.JWKS_URL) throw new ConfigError('set JWT_SECRET or JWKS_URL, not both')
    if (e.JWKS_URL && !e.JWT_ISSUER)
      throw new ConfigError('JWKS_URL needs JWT_ISSUER (the trusted token issuer)')
    const [claim, value] = splitClaim(e.JWT_ADMIN_CLAIM ?? 'role=admin')
    auth = {
      mode: 'jwt',
      secret: e.JWT_SECRET,
      jwksUrl: e.JWKS_URL,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      admin: { claim, value },
    }
  }

  return {
    mode,
    port: e.PORT ?? 8080,
    host: e.HOST ?? '0.0.0.0',
    logLevel: e.LOG_LEVEL ?? 'info',
    database: hasDb
      ? {
          url: e.DATABASE_URL!,
          readerUrl: e.DATABASE_READER_URL,
          poolSize: e.DB_POOL_SIZE ?? 20,
          secret: databaseSecret(e),
        }
      : undefined,
    redis: hasRedis
      ? {
          url: e.REDIS_URL,
          clusterNodes: e.REDIS_CLUSTER_NODES?.split(',').map((n) => {
            const [host, port] = n.split(':') as [string, string]
            return { host, port: Number(port) }
          }),
          quorumNodes,
          keyPrefix: e.REDIS_KEY_PREFIX ?? 'ticketing',
        }
      : undefined,
    auth,
    metrics: { namespace: e.CLOUDWATCH_NAMESPACE, region: e.AWS_REGION },
    waitingRoom: waitingRoomSecret(e),
    rateLimit: {
      // On in production; embedded (one developer, `npm start`) only when RATE_LIMIT_MAX says so.
      enabled: e.RATE_LIMIT_MAX === undefined ? mode === 'production' : e.RATE_LIMIT_MAX > 0,
      windowMs: e.RATE_LIMIT_WINDOW_MS ?? 60_000,
      perBuyer: {
        reads: e.RATE_LIMIT_READS ?? e.RATE_LIMIT_MAX ?? 600,
        attempts: e.RATE_LIMIT_ATTEMPTS ?? e.RATE_LIMIT_MAX ?? 120,
        admin: e.RATE_LIMIT_ADMIN ?? e.RATE_LIMIT_MAX ?? 600,
      },
      addressFactor: e.RATE_LIMIT_ADDRESS_FACTOR ?? 50,
    },
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    maxTicketsPerUser: e.MAX_TICKETS_PER_USER,
    holdTtlMs: e.HOLD_TTL_MS ?? 30_000,
    seating: { holdTtlMs: e.HOLD_SEATS_TTL_MS ?? 600_000, maxSeatsPerHold: e.MAX_SEATS_PER_HOLD ?? 10 },
    batch: { maxSize: e.BATCH_MAX_SIZE ?? 100, maxWaitMs: e.BATCH_MAX_WAIT_MS ?? 0 },
    reconcileIntervalMs: e.RECONCILE_INTERVAL_MS ?? 30_000,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS ?? 10_000,
    maxEventLoopDelayMs: e.MAX_EVENT_LOOP_DELAY_MS ?? 2000,
    requestDeadlineMs: e.REQUEST_DEADLINE_MS ?? 5000,
    workers: e.WORKERS ?? 1,
  }
}

/**
 * REDIS_QUORUM_NODES: comma-separated redis:// (or rediss://) URLs of at least 3 independent
 * nodes. A quorum of 2 cannot lose a node, and replicas of one primary are not independent: both
 * would defeat the point, so fewer than 3 is refused. It complements REDIS_URL, never replaces it.
 */
function parseQuorumNodes(value: string | undefined, hasRedis: boolean): string[] | undefined {
  if (value === undefined) return undefined
  if (!hasRedis) {
    throw new ConfigError(
      'REDIS_QUORUM_NODES is set without REDIS_URL (or REDIS_CLUSTER_NODES) and DATABASE_URL: quorum mode is a production-mode option, and the cache, rate limit and pub/sub still need REDIS_URL',
    )
  }
  const urls = value.split(',').map((u) => u.trim())
  const bad = urls.find((u) => !/^rediss?:\/\/[^/\s,]+/.test(u))
  if (bad !== undefined) {
    throw new ConfigError(`REDIS_QUORUM_NODES: ${JSON.stringify(bad)} is not a redis:// or rediss:// URL`)
  }
  if (urls.length < 3) {
    throw new ConfigError(
      `REDIS_QUORUM_NODES needs at least 3 independent nodes (got ${urls.length}): a quorum of fewer cannot lose one`,
    )
  }
  if (new Set(urls).size !== urls.length) {
    throw new ConfigError('REDIS_QUORUM_NODES lists the same node twice: the nodes must be independent')
  }
  return urls
}

/** WAITING_ROOM_SECRET, else a key derived from JWT_SECRET (its own key), else a random one. */
function waitingRoomSecret(e: Env): Config['waitingRoom'] {
  if (e.WAITING_ROOM_SECRET) return { secret: e.WAITING_ROOM_SECRET, shared: true }
  if (e.JWT_SECRET) {
    const derived = createHmac('sha256', e.JWT_SECRET)
      .update('ticketing waiting-room tokens v1')
      .digest('hex')
    return { secret: derived, shared: true }
  }
  return { secret: randomBytes(32).toString('hex'), shared: false }
}

function databaseSecret(e: Env) {
  if (!e.DATABASE_SECRET_ID) return undefined
  if (!e.AWS_REGION) throw new ConfigError('DATABASE_SECRET_ID needs AWS_REGION (where the secret is)')
  return { id: e.DATABASE_SECRET_ID, region: e.AWS_REGION, endpoint: e.AWS_ENDPOINT_URL_SECRETS_MANAGER }
}

/** TRUST_PROXY: `true`/`false`, a hop count, or comma-separated addresses and CIDRs. */
function parseTrustProxy(value: string | undefined): boolean | number | string[] {
  if (value === undefined || value === 'false') return false
  if (value === 'true') return true
  if (/^\d+$/.test(value)) return Number(value)
  const list = value.split(',').map((v) => v.trim())
  const bad = list.find((v) => !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(v))
  if (bad !== undefined) {
    throw new ConfigError(
      `TRUST_PROXY: ${JSON.stringify(bad)} is not an address or CIDR (or use a hop count, true, false)`,
    )
  }
  return list
}

function splitClaim(spec: string): [string, string] {
  const i = spec.indexOf('=')
  return [spec.slice(0, i), spec.slice(i + 1)]
}
