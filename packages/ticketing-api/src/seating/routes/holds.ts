import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { envelope } from '../../http/schemas.js'
import type { SeatingService } from '../service.js'
import { HoldDetail, HoldId, ReleaseData, SeatedReservationData } from './schemas.js'

/** One hold: read, confirm into a reservation, release (prefix /api/holds). */
export async function holdRoutes(app: FastifyInstance, { seating }: { seating: SeatingService }) {
  const params = Type.Object({ holdId: HoldId })
  const owner = (request: FastifyRequest) => (userId: string) => app.assertSelf(request, userId)
  const holdId = (request: FastifyRequest) => (request.params as { holdId: string }).holdId
  const preHandler = async (request: FastifyRequest) => app.authenticate(request)

  app.get(
    '/:holdId',
    {
      schema: {
        tags: ['seating'],
        summary: 'One hold (its owner or an admin)',
        security: [{ bearerAuth: [] }],
        params,
        response: envelope(200, HoldDetail),
      },
      preHandler,
    },
    async (request) => ({
      success: true,
      message: 'Hold',
      data: await seating.getHold(holdId(request), owner(request)),
    }),
  )

  app.post(
    '/:holdId/confirm',
    {
      schema: {
        tags: ['seating'],
        summary:
          'Turn the hold into a reservation (one fenced transaction); 409 HOLD_EXPIRED / STALE_HOLD when it lost its seats',
        security: [{ bearerAuth: [] }],
        params,
        response: { ...envelope(201, SeatedReservationData), ...envelope(200, SeatedReservationData) },
      },
      preHandler,
    },
    async (request, reply) => {
      const result = await seating.confirm(holdId(request), owner(request))
      return reply
        .code(result.statusCode)
        .send({ success: true, message: 'Reservation successful', data: result.data })
    },
  )

  app.delete(
    '/:holdId',
    {
      schema: {
        tags: ['seating'],
        summary: 'Release the hold: its seats are back on sale at once',
        security: [{ bearerAuth: [] }],
        params,
        response: envelope(200, ReleaseData),
      },
      preHandler,
    },
    async (request) => ({
      success: true,
      message: 'Hold released',
      data: await seating.release(holdId(request), owner(request)),
    }),
  )
}
