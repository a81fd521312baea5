// Rate limiting for a flash crowd: protect the service from a client far over any human's pace
// without refusing buyers while seats remain (I5). Budgets per class of request (reads,
// reservation attempts, admin), keyed on the authenticated buyer (`sub`) where there is one,
// else on the client address — which, behind the ALB, is the X-Forwarded-For entry that
// TRUST_PROXY says to believe. The arithmetic behind the defaults is in the README.
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import type { Config } from '../config.js'
import { ApiError } from '../errors.js'
import { batchedRedisStore } from './rate-limit-store.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which budget a route draws from; by default GET/HEAD are reads and the rest attempts. */
    rateClass?: RateClass
  }
}

export type RateClass = 'reads' | 'attempts' | 'admin'

/** Who a request counts against: `sub:<buyer>` or `addr:<client address>`, with its class. */
export async function rateKey(request: FastifyRequest): Promise<string> {
  const cls =
    request.routeOptions.config.rateClass ??
    (request.method === 'GET' || request.method === 'HEAD' ? 'reads' : 'attempts')
  const actor = await request.server.identify(request)
  return actor ? `${cls}:sub:${actor.sub}` : `${cls}:addr:${request.ip}`
}

/** The budget of a key, per window: a buyer's, or an address's (many buyers behind one NAT). */
export function budgetOf(limits: Config['rateLimit'], key: string): number {
  const cls = key.slice(0, key.indexOf(':')) as RateClass
  const perBuyer = limits.perBuyer[cls]
  return key.includes(':addr:') ? perBuyer * limits.addressFactor : perBuyer
}

export async function registerRateLimit(app: FastifyInstance, config: Config, redis?: Redis) {
  const limits = config.rateLimit
  await app.register(rateLimit, {
    max: (_request, key) => budgetOf(limits, key),
    timeWindow: limits.windowMs,
    // Shared by the instances in Redis, counted locally between flushes (rate-limit-store.ts).
    ...(redis
      ? {
          store: batchedRedisStore(redis, `${config.redis?.keyPrefix ?? 'ticketing'}:rl:`, {
            onError: (error) => app.log.warn({ err: error }, 'rate limit counters: Redis call failed'),
          }),
        }
      : {}),
    // Rate limiting fails open: a Redis hiccup must not turn buyers away.
    skipOnError: true,
    keyGenerator: rateKey,
    allowList: (request) => request.url.startsWith('/api/health'),
    errorResponseBuilder: (_request, context) =>
      new ApiError(
        'RATE_LIMITED',
        `Rate limit exceeded, retry in ${Math.ceil(context.ttl / 1000)} s`,
        { limit: context.max },
        Math.ceil(context.ttl / 1000),
      ),
  })
}
