import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { eventNotFound, validationError } from '../../errors.js'
import { EventId, errors, IdempotencyHeaders, ok } from '../../http/schemas.js'
import { invalidQueue, queueSettings } from '../../queue/model.js'
import type { QueueService } from '../../queue/service.js'
import { expandSeatMap, seatIds } from '../../seating/layout.js'
import type { SeatingService } from '../../seating/service.js'
import type { EventRecord } from '../model.js'
import { eventData } from '../presenters.js'
import type { SalesService } from '../service.js'
import { idempotencyRef } from './idempotency-key.js'
import { CreateEventBody, EventData, Pagination } from './schemas.js'

const EventList = Type.Array(EventData)
const Page = Type.Object({ page: Type.Integer(), size: Type.Integer(), total: Type.Integer() })

/** Rejects dates the pattern lets through but the calendar does not (2024-02-30). */
function assertRealDate(value: string) {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number]
  const date = new Date(Date.UTC(y, m - 1, d))
  if (date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d)
    throw validationError('eventDate', 'is not a real date')
}

function page(query: { page?: string; size?: string }) {
  const size = query.size === undefined ? 20 : Number(query.size)
  if (size < 1 || size > 100) throw validationError('size', 'must be between 1 and 100')
  return { page: Number(query.page ?? 0), size }
}

/**
 * Events (prefix /api/events). Creating a seated event (with a seat map) is general admission's
 * event plus its layout: the route asks seating to store it, explicitly.
 */
export async function eventRoutes(
  app: FastifyInstance,
  { sales, seating, queue }: { sales: SalesService; seating: SeatingService; queue: QueueService },
) {
  const bodies = new WeakMap<EventRecord, string>()

  app.post(
    '',
    {
      schema: {
        tags: ['events'],
        operationId: 'createEvent',
        summary: 'Create an event (admin)',
        description:
          'With `queue`, the event sells through a waiting room: its reservations and seat holds need an Admission-Token (README "Waiting room").',
        security: [{ bearerAuth: [] }],
        headers: IdempotencyHeaders,
        body: CreateEventBody,
        response: {
          201: ok('The event, created (or its first answer, replayed)', EventData),
          ...errors('UNAUTHORIZED', 'FORBIDDEN', 'UNSUPPORTED_MEDIA_TYPE', 'IDEMPOTENCY_KEY_REUSED'),
        },
      },
      // A seat map in the explicit form can be large.
      bodyLimit: 1024 * 1024,
      config: { rateClass: 'admin' },
      preHandler: async (request) => {
        await app.authenticate(request)
        app.assertAdmin(request)
      },
    },
    async (request, reply) => {
      const body = request.body as typeof CreateEventBody.static
      assertRealDate(body.eventDate)
      // Reserved seating: totalSeats is the seat map's size.
      const { seatMap, queue: queueInput, ...fields } = body
      // A waiting room: its settings are the event's (stored with it), its queue opened below.
      const invalid = queueInput && invalidQueue(queueInput)
      if (invalid) throw validationError(invalid.field, invalid.message)
      const event = { ...fields, ...(queueInput ? { queue: queueSettings(queueInput) } : {}) }
      const layout = seatMap && expandSeatMap(seatMap)
      const totalSeats = layout ? seatIds(layout).length : event.totalSeats
      if (totalSeats === undefined) throw validationError('totalSeats', 'is required (or give a seatMap)')
      if (layout && event.totalSeats !== undefined && event.totalSeats !== totalSeats) {
        throw validationError('totalSeats', `must equal the seat map's ${totalSeats} seats, or be omitted`)
      }
      const result = await sales.createEvent({ ...event, totalSeats }, idempotencyRef(request, 'event', body))
      // Saved on replays too (idempotent): a retry with the same Idempotency-Key repairs a lost map.
      if (layout) await seating.saveLayout((result.data as { eventId: number }).eventId, layout)
      // Opened on replays too (idempotent: the queue is kept), from the stored answer's settings.
      const created = result.data as { eventId: number; queue?: typeof event.queue }
      if (created.queue) await queue.open(created.eventId, created.queue)
      if (result.replayed) reply.header('Idempotent-Replayed', 'true')
      return reply
        .code(result.statusCode as 201)
        .send({ success: true, message: 'Event created successfully', data: result.data })
    },
  )

  const list = (availableOnly: boolean) => async (request: FastifyRequest) => {
    const { page: p, size } = page(request.query as { page?: string; size?: string })
    const { items, total } = await sales.listEvents({
      offset: p * size,
      limit: size,
      availableOnly,
    })
    return {
      success: true,
      message: availableOnly ? 'Events on sale' : 'Events',
      data: items.map(eventData),
      page: { page: p, size, total },
    }
  }
  const listSchema = (operationId: string, summary: string) => ({
    operationId,
    tags: ['events'],
    summary,
    security: [],
    querystring: Pagination,
    response: { 200: ok('One page of events', EventList, { page: Page }), ...errors() },
  })
  app.get('', { schema: listSchema('listEvents', 'List events (paginated: ?page=0&size=20)') }, list(false))
  app.get(
    '/available',
    { schema: listSchema('listAvailableEvents', 'Events still on sale (availableSeats > 0)') },
    list(true),
  )

  app.get(
    '/:eventId',
    {
      schema: {
        tags: ['events'],
        operationId: 'getEvent',
        summary: 'One event, served through the inventory cache',
        security: [],
        params: Type.Object({ eventId: EventId }),
        response: { 200: ok('The event', EventData), ...errors('EVENT_NOT_FOUND') },
      },
    },
    async (request, reply) => {
      const { eventId } = request.params as { eventId: string }
      const event = await sales.getEvent(Number(eventId))
      if (!event) throw eventNotFound(eventId)
      // The hottest route of an on-sale: a cached event is one frozen object until the cache
      // replaces it, so its body is serialized once per version, not once per read.
      let body = bodies.get(event)
      if (body === undefined) {
        body = JSON.stringify({ success: true, message: 'Event', data: eventData(event) })
        bodies.set(event, body)
      }
      return reply.type('application/json; charset=utf-8').send(body)
    },
  )
}
