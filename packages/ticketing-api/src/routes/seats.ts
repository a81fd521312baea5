import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { SeatChange } from '../seating/ports.js'
import { HoldBody, HoldData, SeatMapData } from '../seating/schemas.js'
import { openSse, type SseStream } from '../sse/stream.js'
import { EventId, envelope } from './schemas.js'

/** Seat map, live stream and holds of one seated event (prefix /api/events). */
export async function seatRoutes(app: FastifyInstance) {
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
        summary: 'Each seat: available, held or sold (cached; lags a change by at most maxStaleMs)',
        params,
        response: envelope(200, SeatMapData),
      },
    },
    async (request) => {
      const eventId = Number((request.params as { eventId: string }).eventId)
      return { success: true, message: 'Seat map', data: await app.seating.seatMap(eventId) }
    },
  )

  app.get(
    '/:eventId/stream',
    {
      schema: {
        tags: ['seating'],
        summary:
          'Server-Sent Events: `snapshot` (the seat map) on connect, then `change` {eventId, changes: {seat: state}}',
        params,
      },
    },
    async (request, reply) => {
      const eventId = Number((request.params as { eventId: string }).eventId)
      // Errors (404, 409 NOT_SEATED) are answered as JSON before the stream opens.
      const first = await app.seating.seatMap(eventId)
      const buffered: SeatChange[] = []
      let stream: SseStream | undefined
      const off = app.seating.onChange(eventId, (change) => {
        if (stream) stream.send('change', change)
        else buffered.push(change)
      })
      stream = openSse(request, reply, () => {
        off()
        if (stream) streams.delete(stream)
      })
      streams.add(stream)
      // Changes that arrived while the snapshot was read are replayed after it (states are
      // absolute, so a replayed change is harmless).
      stream.send('snapshot', first)
      for (const c of buffered) stream.send('change', c)
    },
  )

  app.post(
    '/:eventId/holds',
    {
      schema: {
        tags: ['seating'],
        summary: 'Hold seats all-or-nothing for a TTL (409 SEATS_UNAVAILABLE lists exactly the taken seats)',
        security: [{ bearerAuth: [] }],
        params,
        body: HoldBody,
        response: envelope(201, HoldData),
      },
      preHandler: async (request) => app.authenticate(request),
    },
    async (request, reply) => {
      const eventId = Number((request.params as { eventId: string }).eventId)
      const body = request.body as typeof HoldBody.static
      app.assertSelf(request, body.userId)
      const data = await app.seating.hold(eventId, body.userId, body.seats)
      return reply.code(201).send({ success: true, message: 'Seats held', data })
    },
  )
}
