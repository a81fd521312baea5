import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import pkg from '../../package.json' with { type: 'json' }
import { components } from './schemas.js'

/**
 * The OpenAPI document at /docs/json (UI at /docs), generated from the routes' schemas: the
 * named ones (`component()`) become components.schemas, referred to by name.
 */
export const openapiPlugin = fp(
  async (app: FastifyInstance) => {
    for (const schema of components) app.addSchema(schema)
    await app.register(swagger, {
      openapi: {
        info: {
          title: pkg.name,
          version: pkg.version,
          description:
            'Flash-crowd ticketing: events, reservations, reserved seating, health. Every JSON answer uses the envelope {success, message, data | error: {code}}.',
          license: { name: pkg.license, url: 'https://opensource.org/license/mit' },
        },
        servers: [{ url: '/' }],
        tags: [
          { name: 'events', description: 'Events on sale' },
          { name: 'reservations', description: 'General-admission sales' },
          { name: 'seating', description: 'Seat maps and seat holds of seated events' },
          { name: 'queue', description: 'The waiting room of a queued event' },
          { name: 'health', description: 'Readiness and liveness' },
        ],
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
      },
      refResolver: {
        // Components keep their names (Event, Reservation, …) instead of def-0, def-1.
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === 'string' ? json.$id : `def-${i}`,
      },
    })
    await app.register(swaggerUi, { routePrefix: '/docs' })
  },
  { name: 'openapi' },
)
