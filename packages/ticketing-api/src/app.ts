import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import type { Composition, WrapPorts } from './compose/composition.js'
import type { Config } from './config.js'
import { toApiError } from './errors.js'
import { authPlugin } from './http/auth.js'
import { clientErrorHandler } from './http/client-errors.js'
import { edgePlugin } from './http/edge.js'
import { sendError } from './http/envelope.js'
import { healthRoutes } from './http/health.js'
import { queueRoutes } from './queue/routes/queue.js'
import type { QueueService } from './queue/service.js'
import { eventRoutes } from './sales/routes/events.js'
import { reservationRoutes } from './sales/routes/reservations.js'
import type { SalesService } from './sales/service.js'
import { seatingRoutes } from './seating/routes/index.js'
import type { SeatingService } from './seating/service.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The composition this app runs on: its mode, ports and metrics (tests and embedders). */
    composition: Composition
    sales: SalesService
    seating: SeatingService
    queue: QueueService
  }
}

export interface AppOptions {
  config: Config
  /** Lets a test wrap an adapter of the composition (a store that stalls on demand, say). */
  wrapPorts?: WrapPorts
}

/**
 * The application as a Fastify plugin (fastify/demo's app.ts), not encapsulated, so that the
 * embedding server (and tests) see `composition`, `sales` and `seating`. The composition root
 * of the mode builds every port and feature; this file only puts HTTP in front of them.
 */
export const ticketingApp = fp(
  async function ticketingApp(app: FastifyInstance, opts: AppOptions) {
    const { config } = opts
    const composition =
      config.mode === 'production'
        ? await (await import('./compose/production.js')).composeProduction(app, config, opts.wrapPorts)
        : await (await import('./compose/embedded.js')).composeEmbedded(app, config, opts.wrapPorts)
    const { sales, seating, queue, metrics } = composition
    app.decorate('composition', composition)
    app.decorate('sales', sales)
    app.decorate('seating', seating)
    app.decorate('queue', queue)
    await app.register(edgePlugin, { config, metrics, rateLimitRedis: composition.rateLimitRedis })
    await app.register(authPlugin, { auth: config.auth })
    await app.register(healthRoutes, { composition })
    await app.register(eventRoutes, { prefix: '/api/events', sales, seating, queue })
    await app.register(queueRoutes, { prefix: '/api/events', queue })
    await app.register(reservationRoutes, { prefix: '/api/reservations', sales, seating, queue })
    await app.register(seatingRoutes, { seating, queue })
  },
  { name: 'ticketing-app' },
)

/** Trust the `hops` nearest proxies (the ALB is one): the client is the address before them. */
const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops

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
    // Routes are documented without a trailing slash (/api/events); both forms are served.
    routerOptions: { ignoreTrailingSlash: true },
    // Behind the ALB, request.ip is the client's address from X-Forwarded-For, and only then.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    // Errors the router raises before any route runs (a malformed URL, an over-long path
    // parameter) get the envelope too, instead of Fastify's own body.
    frameworkErrors: (error, _request, reply) => sendError(reply, toApiError(error)),
    // …and so do errors of Node's HTTP parser (431 headers too large, 400 malformed, 408).
    clientErrorHandler,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  } satisfies FastifyServerOptions
}

/** Builds the whole service for `config` (not listening). */
export async function buildApp(
  config: Config,
  options: { logger?: FastifyServerOptions['logger']; wrapPorts?: WrapPorts } = {},
) {
  const app = Fastify(serverOptions(config, options.logger)).withTypeProvider<TypeBoxTypeProvider>()
  await app.register(ticketingApp, { config, wrapPorts: options.wrapPorts })
  await app.ready()
  return app
}
