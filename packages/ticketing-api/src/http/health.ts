import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { Composition } from '../compose/composition.js'
import { component } from './schemas.js'

const Health = component(
  'Health',
  Type.Object({
    success: Type.Boolean(),
    message: Type.String(),
    status: Type.Union([Type.Literal('UP'), Type.Literal('DOWN')]),
    timestamp: Type.String(),
    mode: Type.String(),
    database: Type.String(),
    redis: Type.String(),
  }),
)

/**
 * Readiness in the seed's shape (`{status, timestamp, database, redis}`, plus `success` and
 * `message` of the envelope): 503 when the database or Redis does not answer, so the ALB takes
 * the instance out. Liveness says only that the process serves HTTP.
 */
export async function healthRoutes(app: FastifyInstance, { composition }: { composition: Composition }) {
  app.get(
    '/api/health',
    {
      schema: {
        tags: ['health'],
        operationId: 'getHealth',
        summary: 'Readiness (ALB health check)',
        security: [],
        response: {
          200: { ...Health, description: 'Every dependency answers' },
          503: { ...Health, description: 'A dependency is down: take the instance out' },
        },
      },
      config: { rateLimit: false },
    },
    async (_request, reply) => {
      const h = await composition.health()
      const up = h.database && h.redis
      if (!up) reply.code(503).header('Retry-After', '5')
      return {
        success: up,
        message: up ? 'Service is healthy' : 'A dependency is down',
        status: up ? 'UP' : 'DOWN',
        timestamp: new Date().toISOString(),
        mode: composition.mode,
        database: h.database ? 'connected' : 'disconnected',
        redis: h.redis ? 'connected' : 'disconnected',
      } as const
    },
  )
  app.get(
    '/api/health/live',
    {
      schema: {
        tags: ['health'],
        operationId: 'getLiveness',
        summary: 'Liveness',
        security: [],
        response: {
          200: Type.Object(
            { success: Type.Boolean(), message: Type.String(), status: Type.String() },
            { description: 'The process serves HTTP' },
          ),
        },
      },
      config: { rateLimit: false },
    },
    async () => ({ success: true, message: 'alive', status: 'UP' }),
  )
}
