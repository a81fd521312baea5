import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import buildGetJwks from 'get-jwks'
import type { Config } from '../config.js'
import { ApiError } from '../errors.js'

/** Who is calling: null when AUTH_MODE=none (everyone may do everything, as in the seed). */
export interface Actor {
  sub: string
  admin: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: requires a valid Bearer token (no-op when AUTH_MODE=none). */
    authenticate: (request: FastifyRequest) => Promise<void>
    /**
     * The caller if the request carries a valid token, else null; never throws. Verifies once
     * per request (the rate limiter keys on it before the route's `authenticate`).
     */
    identify: (request: FastifyRequest) => Promise<Actor | null>
    /** Throws 403 unless the caller is `userId` or an admin. */
    assertSelf: (request: FastifyRequest, userId: string) => void
    /** Throws 403 unless the caller is an admin. */
    assertAdmin: (request: FastifyRequest) => void
  }
  interface FastifyRequest {
    actor: Actor | null
  }
}

/** Verified tokens kept (LRU): more than the buyers active within a minute on one instance. */
const VERIFIED_TOKENS_CACHED = 20_000
/** A verified token is re-verified at least this often (sooner if it expires). */
const VERIFIED_TOKEN_TTL_MS = 60_000

function hasClaim(payload: Record<string, unknown>, claim: string, value: string): boolean {
  const v = payload[claim]
  if (Array.isArray(v)) return v.includes(value)
  if (typeof v === 'string') return v === value || v.split(' ').includes(value)
  return v === true && value === 'true'
}

/**
 * AUTH_MODE=jwt: Bearer JWTs verified with @fastify/jwt (HS256 secret, or keys from a JWKS URL
 * via get-jwks). `sub` is the buyer; the admin claim (JWT_ADMIN_CLAIM, `claim=value`, matched
 * against a string, a space-separated scope list, or an array) allows creating events and
 * acting for any user.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, opts: { auth: Config['auth'] }) => {
    const auth = opts.auth
    app.decorateRequest('actor', null)
    if (auth.mode === 'none') {
      app.log.warn('AUTH_MODE=none: no authentication, anyone may create events and act for any user')
      app.decorate('authenticate', async () => {})
      app.decorate('identify', async () => null)
      app.decorate('assertSelf', () => {})
      app.decorate('assertAdmin', () => {})
      return
    }
    const claims = {
      ...(auth.issuer ? { allowedIss: auth.issuer } : {}),
      ...(auth.audience ? { allowedAud: auth.audience } : {}),
    }
    if (auth.secret) {
      await app.register(fastifyJwt, { secret: auth.secret, verify: { ...claims, algorithms: ['HS256'] } })
    } else {
      const url = new URL(auth.jwksUrl!)
      const jwks = buildGetJwks({ jwksPath: url.pathname, providerDiscovery: false })
      await app.register(fastifyJwt, {
        decode: { complete: true },
        secret: (_request: FastifyRequest, token: unknown) => {
          const header = (token as { header: { kid?: string; alg?: string } }).header
          return jwks.getPublicKey({ kid: header.kid, alg: header.alg, domain: url.origin })
        },
        verify: { ...claims, algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256'] },
      })
    }
    /**
     * Tokens verified lately (the Authorization header → its actor), each until its `exp` and at
     * most VERIFIED_TOKEN_TTL_MS: a buyer sends the same token with each of its reads and its
     * attempt, and the rate limiter identifies it on every request. A hit skips the decode, the
     * HMAC (or signature check) and the claim checks, ~10 % of a busy server's CPU. Only
     * successes are kept; bounded (oldest first out).
     */
    const known = new Map<string, { actor: Actor; until: number }>()
    const remember = (header: string, actor: Actor, exp: unknown) => {
      const cap = Date.now() + VERIFIED_TOKEN_TTL_MS
      const until = typeof exp === 'number' ? Math.min(exp * 1000, cap) : cap
      if (known.size >= VERIFIED_TOKENS_CACHED) known.delete(known.keys().next().value as string)
      known.set(header, { actor, until })
    }
    /** Verifies the request's token once; the outcome (actor or error) is kept on the request. */
    const verified = new WeakMap<FastifyRequest, Promise<Actor | ApiError>>()
    const verify = (request: FastifyRequest): Promise<Actor | ApiError> => {
      let outcome = verified.get(request)
      if (outcome) return outcome
      const header = request.headers.authorization
      const hit = header === undefined ? undefined : known.get(header)
      if (hit && hit.until > Date.now()) {
        outcome = Promise.resolve(hit.actor)
      } else {
        if (hit) known.delete(header!)
        outcome = request.jwtVerify<Record<string, unknown>>().then(
          (payload) => {
            if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
              return new ApiError('UNAUTHORIZED', 'The token has no subject (sub)')
            }
            const actor = { sub: payload.sub, admin: hasClaim(payload, auth.admin.claim, auth.admin.value) }
            if (header !== undefined) remember(header, actor, payload.exp)
            return actor
          },
          (error: unknown) => new ApiError('UNAUTHORIZED', (error as Error).message || 'Invalid token'),
        )
      }
      verified.set(request, outcome)
      return outcome
    }
    app.decorate('identify', async (request: FastifyRequest) => {
      if (!request.headers.authorization) return null
      const outcome = await verify(request)
      return outcome instanceof ApiError ? null : outcome
    })
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const outcome = await verify(request)
      if (outcome instanceof ApiError) throw outcome
      request.actor = outcome
    })
    app.decorate('assertSelf', (request: FastifyRequest, userId: string) => {
      const a = request.actor
      if (!a) throw new ApiError('UNAUTHORIZED', 'Authentication required')
      if (!a.admin && a.sub !== userId)
        throw new ApiError('FORBIDDEN', 'You may only act on your own reservations')
    })
    app.decorate('assertAdmin', (request: FastifyRequest) => {
      const a = request.actor
      if (!a) throw new ApiError('UNAUTHORIZED', 'Authentication required')
      if (!a.admin) throw new ApiError('FORBIDDEN', 'Creating events needs the admin claim')
    })
  },
  { name: 'auth' },
)
