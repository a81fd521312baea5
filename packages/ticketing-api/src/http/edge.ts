import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { Config } from '../config.js'
import { ApiError, toApiError } from '../errors.js'
import type { Metrics } from '../infra/metrics/index.js'
import { sendError } from './envelope.js'
import { registerGuards } from './guards.js'
import { openapiPlugin } from './openapi.js'
import { registerRateLimit } from './rate-limit.js'

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

    await app.register(openapiPlugin)

    if (config.rateLimit.enabled) await registerRateLimit(app, config, opts.rateLimitRedis)
  },
  { name: 'edge' },
)
