import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { Composition } from '../compose/composition.js'

const Health = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  status: Type.Union([Type.Literal('UP'), Type.Literal('DOWN')]),
  timestamp: Type.String(),
  mode: Type.String(),
  database: Type.String(),
  redis: Type.String(),
})

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
        summary: 'Readiness (ALB health check)',
        response: { 200: Health, 503: Health },
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
        summary: 'Liveness',
        response: {
          200: Type.Object({ success: Type.Boolean(), message: Type.String(), status: Type.String() }),
        },
      },
      config: { rateLimit: false },
    },
    async () => ({ success: true, message: 'alive', status: 'UP' }),
  )
}
