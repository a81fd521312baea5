import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError } from '../../errors.js'
import { errors, IdempotencyHeaders, ok, ReservationId, UserId } from '../../http/schemas.js'
import { AdmissionHeaders } from '../../queue/routes/schemas.js'
import type { QueueService } from '../../queue/service.js'
import type { SeatingService } from '../../seating/service.js'
import { reservationDetail } from '../presenters.js'
import type { SalesService } from '../service.js'
import { idempotencyRef } from './idempotency-key.js'
import { ReservationBody, ReservationData, ReservationDetail } from './schemas.js'

/**
 * Reservations (prefix /api/reservations). A seated event is sold through seat holds: a
 * quantity sale on one is refused, and cancelling a seated reservation goes to seating, which
 * returns exactly its seats.
 */
export async function reservationRoutes(
  app: FastifyInstance,
  { sales, seating, queue }: { sales: SalesService; seating: SeatingService; queue: QueueService },
) {
  const authenticate = async (request: FastifyRequest) => app.authenticate(request)
  /** The reservation, if it exists and the caller may see it (its owner, or an admin). */
  const ownReservation = async (request: FastifyRequest, reservationId: string) => {
    const r = await sales.getReservation(reservationId)
    if (!r) throw new ApiError('RESERVATION_NOT_FOUND', `Reservation ${reservationId} not found`)
    app.assertSelf(request, r.userId)
    return r
  }
  const params = Type.Object({ reservationId: ReservationId })
  const reservationId = (request: FastifyRequest) =>
    (request.params as { reservationId: string }).reservationId

  app.post(
    '',
    {
      schema: {
        tags: ['reservations'],
        operationId: 'createReservation',
        summary:
          'Reserve tickets (201 after the commit; 409 SOLD_OUT / INSUFFICIENT_SEATS with what remains)',
        security: [{ bearerAuth: [] }],
        headers: Type.Composite([IdempotencyHeaders, AdmissionHeaders]),
        body: ReservationBody,
        response: {
          201: ok('Reserved: the reservation is committed (or its first answer, replayed)', ReservationData),
          ...errors(
            'UNAUTHORIZED',
            'FORBIDDEN',
            'EVENT_NOT_FOUND',
            'SOLD_OUT',
            'INSUFFICIENT_SEATS',
            'TICKET_LIMIT_EXCEEDED',
            'SEATED_EVENT',
            'QUEUE_REQUIRED',
            'ADMISSION_EXPIRED',
            'UNSUPPORTED_MEDIA_TYPE',
            'IDEMPOTENCY_KEY_REUSED',
          ),
        },
      },
      preHandler: authenticate,
    },
    async (request, reply) => {
      const body = request.body as typeof ReservationBody.static
      app.assertSelf(request, body.userId)
      // A queued event sells only to the buyer its waiting room admitted (one store call);
      // an unqueued one checks nothing (its record is remembered in process).
      const admitted = await queue.check(
        await queue.event(body.eventId),
        body.userId,
        request.headers['admission-token'] as string | undefined,
        { sale: true },
      )
      // A quantity sale on a seated event would sell seats nobody can point to.
      if (await seating.isSeated(body.eventId)) {
        throw new ApiError(
          'SEATED_EVENT',
          `Event ${body.eventId} has reserved seating: hold seats, then confirm`,
          {
            eventId: body.eventId,
          },
        )
      }
      const result = await sales.reserve({
        ...body,
        idempotency: idempotencyRef(request, 'reservation', body, body.eventId),
      })
      if (result.replayed) reply.header('Idempotent-Replayed', 'true')
      // Bought: the turn ends and its slot goes to the next visitor.
      await queue.complete(admitted)
      return reply
        .code(result.statusCode as 201)
        .send({ success: true, message: 'Reservation successful', data: result.data })
    },
  )

  app.get(
    '/:reservationId',
    {
      schema: {
        tags: ['reservations'],
        operationId: 'getReservation',
        summary: 'One reservation (its owner or an admin)',
        security: [{ bearerAuth: [] }],
        params,
        response: {
          200: ok('The reservation', ReservationDetail),
          ...errors('UNAUTHORIZED', 'FORBIDDEN', 'RESERVATION_NOT_FOUND'),
        },
      },
      preHandler: authenticate,
    },
    async (request) => {
      const r = await ownReservation(request, reservationId(request))
      return { success: true, message: 'Reservation', data: reservationDetail(r) }
    },
  )

  app.get(
    '/user/:userId',
    {
      schema: {
        tags: ['reservations'],
        operationId: 'listUserReservations',
        summary: "A user's reservations, newest first",
        security: [{ bearerAuth: [] }],
        params: Type.Object({ userId: UserId }),
        response: {
          200: ok('The reservations', Type.Array(ReservationDetail)),
          ...errors('UNAUTHORIZED', 'FORBIDDEN'),
        },
      },
      preHandler: authenticate,
    },
    async (request) => {
      const { userId } = request.params as { userId: string }
      app.assertSelf(request, userId)
      const list = await sales.listUserReservations(userId)
      return { success: true, message: 'Reservations', data: list.map(reservationDetail) }
    },
  )

  app.delete(
    '/:reservationId',
    {
      schema: {
        tags: ['reservations'],
        operationId: 'cancelReservation',
        summary: 'Cancel: the seats return to sale exactly once (a second cancel is 409)',
        security: [{ bearerAuth: [] }],
        params,
        response: {
          200: ok('Cancelled', ReservationDetail),
          ...errors('UNAUTHORIZED', 'FORBIDDEN', 'RESERVATION_NOT_FOUND', 'ALREADY_CANCELLED'),
        },
      },
      preHandler: authenticate,
    },
    async (request) => {
      const id = reservationId(request)
      await ownReservation(request, id)
      // A seated reservation returns exactly its seats: cancelled by seating, in one
      // transaction with its seat rows, then the seats are freed in Redis.
      const r = (await seating.reservationSeats(id))
        ? (await seating.cancel(id)).reservation
        : await sales.cancel(id)
      return { success: true, message: 'Reservation cancelled', data: reservationDetail(r) }
    },
  )
}
