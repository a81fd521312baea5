import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import underPressure from '@fastify/under-pressure'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { Config } from '../config.js'
import { ApiError, toApiError } from '../errors.js'

/** Sends an ApiError in the envelope, with Retry-After when it has one. */
export function sendError(reply: FastifyReply, error: ApiError) {
  if (error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter))
  return reply
    .code(error.statusCode)
    .send({ success: false, message: error.message, error: { code: error.code, ...error.details } })
}

/**
 * A request still unanswered after `ms` gets 503 + Retry-After, so a slow dependency never
 * leaves a buyer waiting on the client's own timeout. The work itself is not cancelled: a
 * reservation may still commit after its 503, which is why clients retry with the same
 * Idempotency-Key (the retry then gets the committed answer). Routes opt out with
 * `config: { deadline: false }` (the SSE stream).
 */
function registerDeadline(app: FastifyInstance, ms: number) {
  // One sweep over the requests in flight, instead of a timer per request (a setTimeout and a
  // clearTimeout on every read cost ~5% of a busy server). A Map keeps insertion order, so the
  // oldest requests come first and the sweep stops at the first one still in time. A request
  // is answered between `ms` and `ms + tick` after it arrived.
  const inFlight = new Map<FastifyRequest, { reply: FastifyReply; at: number }>()
  const tick = Math.max(10, Math.min(250, Math.floor(ms / 4)))
  const sweep = setInterval(() => {
    const now = performance.now()
    for (const [request, { reply, at }] of inFlight) {
      if (now - at < ms) break
      inFlight.delete(request)
      if (reply.sent) continue
      request.log.warn({ deadlineMs: ms }, 'request deadline passed; answering 503')
      app.metrics?.increment('Errors')
      sendError(
        reply,
        new ApiError(
          'SERVICE_UNAVAILABLE',
          `No answer within ${ms} ms: a dependency is slow. Retry with the same Idempotency-Key`,
          {},
          1,
        ),
      )
    }
  }, tick)
  sweep.unref()
  app.addHook('onClose', async () => clearInterval(sweep))
  // Callback-style hooks: they run on every request, and need no promise.
  app.addHook('onRequest', (request, reply, done) => {
    if ((request.routeOptions.config as { deadline?: boolean } | undefined)?.deadline !== false) {
      inFlight.set(request, { reply, at: performance.now() })
    }
    done()
  })
  app.addHook('onResponse', (request, _reply, done) => {
    inFlight.delete(request)
    done()
  })
  app.addHook('onRequestAbort', async (request) => {
    inFlight.delete(request)
  })
}

/**
 * The HTTP edge: envelope on every error (validation, 404, 5xx), OpenAPI + UI, rate limiting
 * (Redis store in production) and load shedding.
 */
export const httpPlugin = fp(
  async (app: FastifyInstance, opts: { config: Config; rateLimitRedis?: Redis }) => {
    const { config } = opts
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const error = toApiError(err)
      if (error.statusCode >= 500) {
        request.log.error({ err }, 'request failed')
        app.metrics?.increment('Errors')
      }
      return sendError(reply, error)
    })
    if (config.requestDeadlineMs > 0) registerDeadline(app, config.requestDeadlineMs)
    app.setNotFoundHandler((request, reply) =>
      sendError(
        reply,
        new ApiError('NOT_FOUND', `Route ${request.method} ${request.url.split('?')[0]} not found`),
      ),
    )

    await app.register(swagger, {
      openapi: {
        info: {
          title: '@ticketing/ticketing-api',
          version: '0.1.0',
          description:
            'Flash-crowd ticketing: events, reservations, health. Envelope {success, message, data|error}.',
        },
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
      },
    })
    await app.register(swaggerUi, { routePrefix: '/docs' })

    await app.register(underPressure, {
      // Shed only when the loop is truly stuck: a saturated but healthy server runs at ELU≈1
      // during an on-sale, and turning buyers away then would be a false rejection.
      maxEventLoopDelay: config.maxEventLoopDelayMs,
      retryAfter: 5,
      exposeStatusRoute: false,
      pressureHandler: (_request, reply, type, value) => {
        sendError(
          reply,
          new ApiError(
            'SERVICE_UNAVAILABLE',
            `Server under pressure (${type}${value ? `=${value}` : ''})`,
            {},
            5,
          ),
        )
      },
    })

    if (config.rateLimit.max > 0) {
      await app.register(rateLimit, {
        max: config.rateLimit.max,
        timeWindow: config.rateLimit.windowMs,
        ...(opts.rateLimitRedis
          ? { redis: opts.rateLimitRedis, nameSpace: `${config.redis?.keyPrefix ?? 'ticketing'}:rl:` }
          : {}),
        // Rate limiting fails open: a Redis hiccup must not turn buyers away.
        skipOnError: true,
        keyGenerator: (request) => request.ip,
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
  },
  { name: 'http' },
)
