import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError, eventNotFound, queueError } from '../../errors.js'
import { EventId, errors, ok } from '../../http/schemas.js'
import { openSse, type SseStream } from '../../http/sse.js'
import type { EventRecord } from '../../sales/model.js'
import { BOARD_MAX_AGE_SECONDS } from '../board.js'
import type { QueueService } from '../service.js'
import {
  JoinBody,
  JoinQuery,
  QueueBoardData,
  QueueStatusData,
  TicketHeaders,
  TicketQuery,
} from './schemas.js'

/**
 * The waiting room of a queued event (prefix /api/events): join, status (JSON and SSE), leave.
 * Status reads and streams carry the signed queue ticket (no JWT needed: EventSource cannot send
 * one) and are exempt from the per-request rate limit: they are answered from the instance's
 * memory (no Redis), cheaper than the limiter's own Redis call, and a forged ticket costs one
 * HMAC. Joins draw from the buyer's `attempts` budget.
 */
export async function queueRoutes(app: FastifyInstance, { queue }: { queue: QueueService }) {
  const params = Type.Object({ eventId: EventId })
  const streams = new Set<SseStream>()
  app.addHook('preClose', async () => {
    for (const s of streams) s.close()
  })

  /** The queued event of the route, or 404 (EVENT_NOT_FOUND / QUEUE_NOT_FOUND). */
  const queuedEvent = async (request: FastifyRequest) => {
    const { eventId } = request.params as { eventId: string }
    const event = await queue.event(Number(eventId))
    if (!event) throw eventNotFound(eventId)
    if (!event.queue) {
      throw new ApiError('QUEUE_NOT_FOUND', `Event ${eventId} has no waiting room`, {
        eventId: event.eventId,
      })
    }
    return event
  }
  /** An authenticated caller (not an admin) may use only their own ticket; no token: the ticket alone. */
  const visitorOf = async (request: FastifyRequest) => {
    const actor = await app.identify(request)
    return actor && !actor.admin ? actor.sub : undefined
  }
  const ticketOf = (request: FastifyRequest) =>
    (request.headers['queue-ticket'] as string | undefined) ?? (request.query as { ticket?: string }).ticket
  /** Runs a queue step, its failures in the envelope. */
  const step = async <T>(event: EventRecord, run: () => Promise<T>) => {
    try {
      return await run()
    } catch (error) {
      throw queueError(error, event.eventId)
    }
  }
  const send = (reply: FastifyReply, code: number, data: unknown) =>
    reply.code(code).header('cache-control', 'no-store').send({ success: true, message: 'Queue', data })

  app.post(
    '/:eventId/queue',
    {
      schema: {
        tags: ['queue'],
        operationId: 'joinQueue',
        summary: 'Join the waiting room (one place per buyer: joining again returns it, with a fresh ticket)',
        description: 'The visitor is the JWT `sub`; with AUTH_MODE=none, `userId` in the body or the query.',
        security: [{ bearerAuth: [] }],
        params,
        querystring: JoinQuery,
        body: JoinBody,
        response: {
          201: ok('Joined', QueueStatusData),
          200: ok('Already in the queue: the same place', QueueStatusData),
          ...errors(
            'UNAUTHORIZED',
            'EVENT_NOT_FOUND',
            'QUEUE_NOT_FOUND',
            'QUEUE_NOT_OPEN',
            'SOLD_OUT',
            'UNSUPPORTED_MEDIA_TYPE',
          ),
        },
      },
      preHandler: async (request) => app.authenticate(request),
    },
    async (request, reply) => {
      const event = await queuedEvent(request)
      const visitor =
        request.actor?.sub ??
        (request.body as { userId?: string } | null)?.userId ??
        (request.query as { userId?: string }).userId
      if (!visitor) throw new ApiError('E_VALIDATION', 'userId: is required', { field: 'userId' })
      const { created, view } = await step(event, () => queue.join(event, visitor))
      return send(reply, created ? 201 : 200, view)
    },
  )

  app.get(
    '/:eventId/queue',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['queue'],
        operationId: 'queueStatus',
        summary: 'Your place: position and estimated wait, or your admission token once admitted',
        security: [{}, { bearerAuth: [] }],
        params,
        headers: TicketHeaders,
        querystring: TicketQuery,
        response: {
          200: ok('The waiter’s status', QueueStatusData),
          ...errors('EVENT_NOT_FOUND', 'QUEUE_NOT_FOUND', 'FORBIDDEN'),
        },
      },
    },
    async (request, reply) => {
      const event = await queuedEvent(request)
      const visitor = await visitorOf(request)
      return send(reply, 200, await step(event, () => queue.status(event, ticketOf(request), visitor)))
    },
  )

  app.get(
    '/:eventId/queue/board',
    {
      // Public and the same for every waiter: a CDN answers it, not the per-request budget.
      config: { rateLimit: false },
      schema: {
        tags: ['queue'],
        operationId: 'queueBoard',
        summary:
          'The serving board: public, cacheable for a second; with your join `index` it gives your place (@ticketing/waiting-room/board)',
        security: [{}],
        params,
        response: {
          200: ok('The serving board', QueueBoardData),
          ...errors('EVENT_NOT_FOUND', 'QUEUE_NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      const event = await queuedEvent(request)
      const board = await step(event, () => queue.board(event))
      return reply
        .code(200)
        .header('cache-control', `public, max-age=${BOARD_MAX_AGE_SECONDS}`)
        .send({ success: true, message: 'Queue board', data: board })
    },
  )

  app.delete(
    '/:eventId/queue',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['queue'],
        operationId: 'leaveQueue',
        summary: 'Leave the waiting room (or give up the turn): the place goes to the next visitor',
        security: [{}, { bearerAuth: [] }],
        params,
        headers: TicketHeaders,
        querystring: TicketQuery,
        response: {
          204: Type.Null({ description: 'Left (also when there was no place left to give up)' }),
          ...errors('EVENT_NOT_FOUND', 'QUEUE_NOT_FOUND', 'FORBIDDEN'),
        },
      },
    },
    async (request, reply) => {
      const event = await queuedEvent(request)
      const visitor = await visitorOf(request)
      await step(event, () => queue.leave(event, ticketOf(request), visitor))
      return reply.code(204).send()
    },
  )

  app.get(
    '/:eventId/queue/stream',
    {
      // A stream lives as long as the page: no request deadline, no per-request rate limit.
      config: { deadline: false, rateLimit: false },
      schema: {
        tags: ['queue'],
        operationId: 'streamQueueStatus',
        summary:
          'Server-Sent Events: `position` (the status body) on change and every 5 s; `admitted` / `sold_out` when it happens',
        security: [{}, { bearerAuth: [] }],
        params,
        querystring: TicketQuery,
        response: {
          200: {
            description:
              'A text/event-stream of QueueStatus bodies: `position`, then `admitted` or `sold_out` at the transition',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...errors('EVENT_NOT_FOUND', 'QUEUE_NOT_FOUND', 'FORBIDDEN'),
        },
      },
    },
    async (request, reply) => {
      const event = await queuedEvent(request)
      const ticket = ticketOf(request)
      const visitor = await visitorOf(request)
      // A bad ticket is answered as JSON before the stream opens.
      const first = await step(event, () => queue.status(event, ticket, visitor))
      let stop = () => {}
      const stream = openSse(request, reply, () => {
        stop()
        streams.delete(stream)
      })
      streams.add(stream)
      stream.send(
        first.status === 'admitted' || first.status === 'sold_out' ? first.status : 'position',
        first,
      )
      stop = queue.watch(
        event,
        first,
        (name, view) => stream.send(name, view),
        (error) => {
          const e = queueError(error, event.eventId)
          stream.send('error', { code: e.code, message: e.message })
          stream.close()
        },
        visitor,
      )
    },
  )
}
