import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { errors, ok } from '../../http/schemas.js'
import { AdmissionHeaders } from '../../queue/routes/schemas.js'
import type { QueueService } from '../../queue/service.js'
import type { SeatingService } from '../service.js'
import { HoldDetail, HoldId, ReleaseData, SeatedReservationData } from './schemas.js'

/** One hold: read, confirm into a reservation, release (prefix /api/holds). */
export async function holdRoutes(
  app: FastifyInstance,
  { seating, queue }: { seating: SeatingService; queue: QueueService },
) {
  const params = Type.Object({ holdId: HoldId })
  const owner = (request: FastifyRequest) => (userId: string) => app.assertSelf(request, userId)
  const holdId = (request: FastifyRequest) => (request.params as { holdId: string }).holdId
  const preHandler = async (request: FastifyRequest) => app.authenticate(request)

  app.get(
    '/:holdId',
    {
      schema: {
        tags: ['seating'],
        operationId: 'getHold',
        summary: 'One hold (its owner or an admin)',
        security: [{ bearerAuth: [] }],
        params,
        response: {
          200: ok('The hold', HoldDetail),
          ...errors('UNAUTHORIZED', 'FORBIDDEN', 'HOLD_NOT_FOUND'),
        },
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
        operationId: 'confirmHold',
        summary:
          'Turn the hold into a reservation (one fenced transaction); 409 HOLD_EXPIRED / STALE_HOLD when it lost its seats',
        description:
          'On a queued event, send the Admission-Token the hold was made with: the confirmed sale ends the buyer’s turn.',
        security: [{ bearerAuth: [] }],
        params,
        headers: AdmissionHeaders,
        response: {
          201: ok('Confirmed: the reservation is committed', SeatedReservationData),
          200: ok('Confirmed before: the same reservation', SeatedReservationData),
          ...errors(
            'UNAUTHORIZED',
            'FORBIDDEN',
            'EVENT_NOT_FOUND',
            'HOLD_EXPIRED',
            'STALE_HOLD',
            'SEATS_UNAVAILABLE',
            'TICKET_LIMIT_EXCEEDED',
          ),
        },
      },
      preHandler,
    },
    async (request, reply) => {
      const result = await seating.confirm(holdId(request), owner(request))
      // The hold needed the token; the sale it became ends the turn (the token's own event
      // and buyer are checked: another's token ends nothing).
      const token = request.headers['admission-token'] as string | undefined
      if (token) {
        const { eventId, userId } = result.data as { eventId: number; userId: string }
        const admitted = await queue
          .check(await queue.event(eventId), userId, token, { sale: false })
          .catch(() => null)
        await queue.complete(admitted)
      }
      return reply
        .code(result.statusCode as 200 | 201)
        .send({ success: true, message: 'Reservation successful', data: result.data })
    },
  )

  app.delete(
    '/:holdId',
    {
      schema: {
        tags: ['seating'],
        operationId: 'releaseHold',
        summary: 'Release the hold: its seats are back on sale at once',
        security: [{ bearerAuth: [] }],
        params,
        response: {
          200: ok('Released', ReleaseData),
          ...errors('UNAUTHORIZED', 'FORBIDDEN', 'HOLD_NOT_FOUND', 'HOLD_CONFIRMED'),
        },
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
