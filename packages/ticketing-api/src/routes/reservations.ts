import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { ApiError } from '../errors.js'
import { requestHash } from '../services/idempotency.js'
import { reservationDetail } from '../services/presenters.js'
import {
  envelope,
  IdempotencyHeaders,
  ReservationBody,
  ReservationData,
  ReservationDetail,
  ReservationId,
  UserId,
} from './schemas.js'

export async function reservationRoutes(app: FastifyInstance) {
  const authenticate = async (request: Parameters<typeof app.authenticate>[0]) => app.authenticate(request)
  /** The reservation, if it exists and the caller may see it (its owner, or an admin). */
  const ownReservation = async (request: Parameters<typeof app.authenticate>[0], reservationId: string) => {
    const r = await app.backend.store.getReservation(reservationId)
    if (!r) throw new ApiError('RESERVATION_NOT_FOUND', `Reservation ${reservationId} not found`)
    app.assertSelf(request, r.userId)
    return r
  }

  app.post(
    '/',
    {
      schema: {
        tags: ['reservations'],
        summary:
          'Reserve tickets (201 after the commit; 409 SOLD_OUT / INSUFFICIENT_SEATS with what remains)',
        security: [{ bearerAuth: [] }],
        headers: IdempotencyHeaders,
        body: ReservationBody,
        response: envelope(201, ReservationData),
      },
      preHandler: authenticate,
    },
    async (request, reply) => {
      const body = request.body as typeof ReservationBody.static
      app.assertSelf(request, body.userId)
      const key = request.headers['idempotency-key'] as string | undefined
      const who = request.actor?.sub ?? '-'
      const result = await app.onSale.reserve({
        ...body,
        idempotency: key
          ? {
              scope: 'reservation',
              key: `${who}:${key}`,
              hash: requestHash(['POST /api/reservations', who, body]),
              eventId: body.eventId,
            }
          : undefined,
      })
      if (result.replayed) reply.header('Idempotent-Replayed', 'true')
      return reply
        .code(result.statusCode)
        .send({ success: true, message: 'Reservation successful', data: result.data })
    },
  )

  app.get(
    '/:reservationId',
    {
      schema: {
        tags: ['reservations'],
        summary: 'One reservation (its owner or an admin)',
        security: [{ bearerAuth: [] }],
        params: Type.Object({ reservationId: ReservationId }),
        response: envelope(200, ReservationDetail),
      },
      preHandler: authenticate,
    },
    async (request) => {
      const { reservationId } = request.params as { reservationId: string }
      const r = await ownReservation(request, reservationId)
      return { success: true, message: 'Reservation', data: reservationDetail(r) }
    },
  )

  app.get(
    '/user/:userId',
    {
      schema: {
        tags: ['reservations'],
        summary: "A user's reservations, newest first",
        security: [{ bearerAuth: [] }],
        params: Type.Object({ userId: UserId }),
        response: envelope(200, Type.Array(ReservationDetail)),
      },
      preHandler: authenticate,
    },
    async (request) => {
      const { userId } = request.params as { userId: string }
      app.assertSelf(request, userId)
      const list = await app.backend.store.listUserReservations(userId)
      return { success: true, message: 'Reservations', data: list.map(reservationDetail) }
    },
  )

  app.delete(
    '/:reservationId',
    {
      schema: {
        tags: ['reservations'],
        summary: 'Cancel: the seats return to sale exactly once (a second cancel is 409)',
        security: [{ bearerAuth: [] }],
        params: Type.Object({ reservationId: ReservationId }),
        response: envelope(200, ReservationDetail),
      },
      preHandler: authenticate,
    },
    async (request) => {
      const { reservationId } = request.params as { reservationId: string }
      await ownReservation(request, reservationId)
      const r = await app.onSale.cancel(reservationId)
      return { success: true, message: 'Reservation cancelled', data: reservationDetail(r) }
    },
  )
}
