import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import type { QueueService } from '../../queue/service.js'
import type { SeatingService } from '../service.js'
import { holdRoutes } from './holds.js'
import { seatRoutes } from './seats.js'

const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url))

/** @ticketing/waiting-room's `./board` ES module (the page places its waiter with it). */
function boardModule(): string {
  const pkg = createRequire(join(here, 'index.js')).resolve('@ticketing/waiting-room/package.json')
  return join(dirname(pkg), 'dist', 'board.js')
}

/** The page: dist/public next to the bundle, or src/web/public when running from source. */
function publicDir(): string | undefined {
  return [join(here, 'public'), join(here, '../web/public'), join(here, '../../web/public')].find((d) =>
    existsSync(join(d, 'index.html')),
  )
}

/** Reserved seating's routes: seat maps and their live stream, holds, and the page at `/`. */
export async function seatingRoutes(
  app: FastifyInstance,
  { seating, queue }: { seating: SeatingService; queue: QueueService },
) {
  await app.register(seatRoutes, { prefix: '/api/events', seating, queue })
  await app.register(holdRoutes, { prefix: '/api/holds', seating, queue })
  const root = publicDir()
  if (root) {
    await app.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: 'index.html' })
    // The queue screen's `placeOnBoard`, the library's own code (no copy in the page), read once.
    const board = await readFile(boardModule())
    app.get('/waiting-room-board.js', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(board),
    )
  } else {
    app.log.warn('seat-map page not found (build the package): / is not served')
  }
}
