import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { Config } from '../config.js'
import { ApiError, toApiError } from '../errors.js'
import type { Metrics } from '../infra/metrics/index.js'
import { sendError } from './envelope.js'
import { registerGuards } from './guards.js'

/**
 * The HTTP edge: envelope on every error (validation, 404, 5xx), OpenAPI + UI, rate limiting
 * (Redis store in production), request deadlines and load shedding (guards.ts).
 */
export const edgePlugin = fp(
  async (app: FastifyInstance, opts: { config: Config; metrics: Metrics; rateLimitRedis?: Redis }) => {
    const { config, metrics } = opts
    app.setErrorHandler((err: FastifyError, request, reply) => {
      const error = toApiError(err)
      if (error.statusCode >= 500) {
        request.log.error({ err }, 'request failed')
        metrics.increment('Errors')
      }
      return sendError(reply, error)
    })
    registerGuards(app, {
      deadlineMs: config.requestDeadlineMs,
      maxEventLoopDelayMs: config.maxEventLoopDelayMs,
      onDeadline: () => metrics.increment('Errors'),
    })
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
  { name: 'edge' },
)
