/**
 * The ceiling: a hello-world Fastify route, no I/O. Driven by the same load generator and
 * connection count as the contenders, its req/s is the HTTP limit of this machine.
 * Env: PORT, HOST, WORKERS (processes, as every contender gets).
 */
import Fastify from 'fastify'
import { superviseWorkers } from '../workers.js'

if (!superviseWorkers()) {
  const app = Fastify({ logger: false })
  app.get('/hello', async () => ({ hello: 'world' }))

  process.once('SIGTERM', async () => {
    await app.close()
    process.exit(0)
  })
  await app.listen({ port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '127.0.0.1' })
  console.log('ceiling listening')
}
