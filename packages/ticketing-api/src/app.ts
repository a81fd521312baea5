import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from './config.js'
import { toApiError } from './errors.js'
import { authPlugin } from './plugins/auth.js'
import { type BackendPluginOptions, backendPlugin } from './plugins/backend.js'
import { sendError } from './plugins/envelope.js'
import { httpPlugin } from './plugins/http.js'
import { eventRoutes } from './routes/events.js'
import { healthRoutes } from './routes/health.js'
import { reservationRoutes } from './routes/reservations.js'
import { seatingPlugin } from './seating/plugin.js'

export interface AppOptions {
  config: Config
  /** Overrides the composition (tests); by default it follows `config.mode`. */
  createBackend?: BackendPluginOptions['createBackend']
}

/**
 * The application as a Fastify plugin (fastify/demo's app.ts), not encapsulated, so that the
 * embedding server (and tests) see `backend`, `onSale` and `metrics`.
 */
export const ticketingApp = fp(
  async function ticketingApp(app: FastifyInstance, opts: AppOptions) {
    const { config } = opts
    let createBackend = opts.createBackend
    let rateLimitRedis: import('ioredis').Redis | undefined
    if (!createBackend && config.mode === 'production') {
      const { registerProduction } = await import('./production/index.js')
      const production = await registerProduction(app, config)
      createBackend = production.createBackend
      rateLimitRedis = production.rateLimitRedis
    }
    await app.register(backendPlugin, { config, createBackend })
    await app.register(httpPlugin, { config, rateLimitRedis })
    await app.register(authPlugin, { auth: config.auth })
    // Before the reservation routes: its hooks route seated events to seat holds.
    await app.register(seatingPlugin, { config })
    await app.register(healthRoutes)
    await app.register(eventRoutes, { prefix: '/api/events' })
    await app.register(reservationRoutes, { prefix: '/api/reservations' })
  },
  { name: 'ticketing-app' },
)

/** Fastify server options shared by the entry point and the tests. */
export function serverOptions(
  config: Config,
  logger: FastifyServerOptions['logger'] = { level: config.logLevel },
) {
  return {
    logger,
    bodyLimit: 16 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    // Errors the router raises before any route runs (a malformed URL, an over-long path
    // parameter) get the envelope too, instead of Fastify's own body.
    frameworkErrors: (error, _request, reply) => sendError(reply, toApiError(error)),
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  } satisfies FastifyServerOptions
}

/** Builds the whole service for `config` (not listening). */
export async function buildApp(
  config: Config,
  options: { logger?: FastifyServerOptions['logger']; createBackend?: AppOptions['createBackend'] } = {},
) {
  const app = Fastify(serverOptions(config, options.logger)).withTypeProvider<TypeBoxTypeProvider>()
  await app.register(ticketingApp, { config, createBackend: options.createBackend })
  await app.ready()
  return app
}
