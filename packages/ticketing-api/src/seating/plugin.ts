import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { ApiError } from '../errors.js'
import { holdRoutes } from '../routes/holds.js'
import { seatRoutes } from '../routes/seats.js'
import { reservationDetail } from '../services/presenters.js'
import { createMemorySeating } from './memory.js'
import type { SeatingBackend } from './ports.js'
import { createSeatingService, type SeatingService } from './service.js'

declare module 'fastify' {
  interface FastifyInstance {
    seating: SeatingService
  }
}

/** The page: dist/public next to the bundle, or src/web/public when running from source. */
function publicDir(): string | undefined {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url))
  return [join(here, 'public'), join(here, '../web/public')].find((d) => existsSync(join(d, 'index.html')))
}

/**
 * Reserved seating: composes the seating ports for the mode (memory, or seat-lock + Redis +
 * MySQL from the production plugins), registers the seat/hold routes and the page at `/`, and
 * routes seated events away from the quantity-based reservation path. Register it after the
 * backend and auth plugins and before the reservation routes (its hooks must see them).
 */
export const seatingPlugin = fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    const { config } = opts
    let seating: SeatingBackend
    if (app.backend.mode === 'production' && app.hasDecorator('mysql') && app.hasDecorator('redis')) {
      const { createProductionSeating } = await import('./production.js')
      seating = createProductionSeating({
        client: app.redis.client,
        writer: app.mysql.writer,
        keyPrefix: config.redis?.keyPrefix ?? 'ticketing',
        ttlMs: config.seating.holdTtlMs,
        maxSeatsPerHold: config.seating.maxSeatsPerHold,
        log: app.log,
      })
    } else {
      seating = createMemorySeating(app.backend.store)
    }
    const service = createSeatingService({
      seating,
      main: app.backend,
      getEvent: (id) => app.onSale.getEvent(id),
      ttlMs: config.seating.holdTtlMs,
      maxSeatsPerHold: config.seating.maxSeatsPerHold,
      maxTicketsPerUser: config.maxTicketsPerUser,
      log: app.log,
    })
    app.decorate('seating', service)
    service.start()
    app.addHook('onClose', async () => service.close())

    // Only the two reservation routes it concerns get this hook (attached as they are
    // registered, after this plugin), so reads and every other route pay nothing for it.
    const divert = async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.method === 'POST') {
        // A quantity sale on a seated event would sell seats nobody can point to.
        const eventId = (request.body as { eventId?: number } | undefined)?.eventId
        if (typeof eventId === 'number' && (await service.isSeated(eventId))) {
          throw new ApiError(
            'SEATED_EVENT',
            `Event ${eventId} has reserved seating: hold seats, then confirm`,
            {
              eventId,
            },
          )
        }
      } else {
        // A seated reservation returns exactly its seats: cancelled here, in one transaction
        // with its seat rows, then the seats are freed in Redis.
        const { reservationId } = request.params as { reservationId: string }
        if (!(await service.reservationSeats(reservationId))) return
        const existing = await app.backend.store.getReservation(reservationId)
        if (!existing) throw new ApiError('RESERVATION_NOT_FOUND', `Reservation ${reservationId} not found`)
        await app.authenticate(request)
        app.assertSelf(request, existing.userId)
        const { reservation, seats } = await service.cancel(reservationId)
        return reply.code(200).send({
          success: true,
          message: 'Reservation cancelled',
          data: { ...reservationDetail(reservation), seats },
        })
      }
    }
    app.addHook('onRoute', (route) => {
      const diverted =
        (route.method === 'POST' &&
          (route.url === '/api/reservations' || route.url === '/api/reservations/')) ||
        (route.method === 'DELETE' && route.url === '/api/reservations/:reservationId')
      if (!diverted) return
      const own = route.preHandler ? [route.preHandler].flat() : []
      route.preHandler = [divert, ...own]
    })

    await app.register(seatRoutes, { prefix: '/api/events' })
    await app.register(holdRoutes, { prefix: '/api/holds' })

    const root = publicDir()
    if (root) {
      await app.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: 'index.html' })
    } else {
      app.log.warn('seat-map page not found (build the package): / is not served')
    }
  },
  { name: 'seating', dependencies: ['backend', 'auth'] },
)
