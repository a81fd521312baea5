import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { EventId, errors, ok } from '../../http/schemas.js'
import { openSse, type SseStream } from '../../http/sse.js'
import { AdmissionHeaders } from '../../queue/routes/schemas.js'
import type { QueueService } from '../../queue/service.js'
import type { SeatChange } from '../model.js'
import type { SeatingService } from '../service.js'
import { HoldBody, HoldData, SeatMapData } from './schemas.js'

/** How often a stream re-sends a fresh snapshot (self-heals a lost pub/sub message). */
const RESYNC_MS = 30_000

/** Seat map, live stream and holds of one seated event (prefix /api/events). */
export async function seatRoutes(
  app: FastifyInstance,
  { seating, queue }: { seating: SeatingService; queue: QueueService },
) {
  const params = Type.Object({ eventId: EventId })
  const streams = new Set<SseStream>()
  // Open streams would keep server.close() waiting: end them first.
  app.addHook('preClose', async () => {
    for (const s of streams) s.close()
  })

  app.get(
    '/:eventId/seats',
    {
      schema: {
        tags: ['seating'],
        operationId: 'getSeatMap',
        summary: 'Each seat: available, held or sold (cached; lags a change by at most maxStaleMs)',
        security: [],
        params,
        response: { 200: ok('The seat map', SeatMapData), ...errors('EVENT_NOT_FOUND', 'NOT_SEATED') },
      },
    },
    async (request) => {
      const eventId = Number((request.params as { eventId: string }).eventId)
      return { success: true, message: 'Seat map', data: await seating.seatMap(eventId) }
    },
  )

  app.get(
    '/:eventId/stream',
    {
      // A stream lives as long as the page: no request deadline.
      config: { deadline: false },
      schema: {
        tags: ['seating'],
        operationId: 'streamSeatMap',
        security: [],
        summary:
          'Server-Sent Events: `snapshot` (the seat map) on connect, then `change` {eventId, changes: {seat: state}}',
        params,
        response: {
          200: {
            description:
              'A text/event-stream: `snapshot` events carry a SeatMap, `change` events {eventId, changes}',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...errors('EVENT_NOT_FOUND', 'NOT_SEATED'),
        },
      },
    },
    async (request, reply) => {
      const eventId = Number((request.params as { eventId: string }).eventId)
      // Listen first, then read the map uncached: a change made meanwhile is either in the
      // snapshot or replayed after it (states are absolute, so a replay is harmless).
      let stream: SseStream | undefined
      let replay: SeatChange[] | undefined = []
      const off = seating.onChange(eventId, (change) => {
        replay?.push(change)
        stream?.send('change', change)
      })
      const snapshot = async () => {
        replay = []
        const map = await seating.seatMap(eventId, { freshSince: seating.mark() })
        stream?.send('snapshot', map)
        for (const c of replay) stream?.send('change', c)
        replay = undefined
      }
      let first: Awaited<ReturnType<typeof seating.seatMap>>
      try {
        // Errors (404, 409 NOT_SEATED) are answered as JSON before the stream opens.
        first = await seating.seatMap(eventId, { freshSince: seating.mark() })
      } catch (error) {
        off()
        throw error
      }
      const pending = replay
      replay = undefined
      // Redis pub/sub is at-most-once (a subscriber reconnect loses messages): resynchronise.
      const resync = setInterval(() => {
        snapshot().catch((err) => request.log.warn({ err }, 'stream resync failed'))
      }, RESYNC_MS)
      resync.unref()
      const opened = openSse(request, reply, () => {
        clearInterval(resync)
        off()
        streams.delete(opened)
      })
      stream = opened
      streams.add(opened)
      opened.send('snapshot', first)
      for (const c of pending) opened.send('change', c)
    },
  )

  app.post(
    '/:eventId/holds',
    {
      schema: {
        tags: ['seating'],
        operationId: 'holdSeats',
        summary: 'Hold seats all-or-nothing for a TTL (409 SEATS_UNAVAILABLE lists exactly the taken seats)',
        security: [{ bearerAuth: [] }],
        params,
        headers: AdmissionHeaders,
        body: HoldBody,
        response: {
          201: ok('Held', HoldData),
          200: ok('The same buyer already holds exactly these seats: that hold', HoldData),
          ...errors(
            'UNAUTHORIZED',
            'FORBIDDEN',
            'EVENT_NOT_FOUND',
            'NOT_SEATED',
            'SEATS_UNAVAILABLE',
            'TICKET_LIMIT_EXCEEDED',
            'QUEUE_REQUIRED',
            'ADMISSION_EXPIRED',
            'UNSUPPORTED_MEDIA_TYPE',
          ),
        },
      },
      preHandler: async (request) => app.authenticate(request),
    },
    async (request, reply) => {
      const eventId = Number((request.params as { eventId: string }).eventId)
      const body = request.body as typeof HoldBody.static
      app.assertSelf(request, body.userId)
      // A queued event's seats are held only by a buyer its waiting room admitted (no I/O: the
      // turn ends when the hold is confirmed, with the same token).
      await queue.check(
        await queue.event(eventId),
        body.userId,
        request.headers['admission-token'] as string | undefined,
        { sale: false },
      )
      const { replayed, ...data } = await seating.hold(eventId, body.userId, body.seats)
      // A repeat of a live hold (same buyer, same seats) answers 200 with that hold.
      return reply.code(replayed ? 200 : 201).send({ success: true, message: 'Seats held', data })
    },
  )
}
