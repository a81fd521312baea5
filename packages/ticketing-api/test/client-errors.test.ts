// Errors Node's HTTP parser raises before Fastify sees a request still answer in the envelope.
import { connect } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

/** Sends raw bytes and returns the whole answer (the server closes the connection). */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.on('data', (d) => {
      answer += d.toString()
    })
    socket.on('end', () => resolve(answer))
    socket.on('error', reject)
    socket.write(request)
  })
}

const parse = (answer: string) => {
  const [head, body] = answer.split('\r\n\r\n') as [string, string]
  return { status: Number(head.split(' ')[1]), head, body: JSON.parse(body) }
}

describe("Node's early errors", () => {
  let app: FastifyInstance
  let port: number
  beforeAll(async () => {
    app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { logger: false })
    await app.listen({ port: 0, host: '127.0.0.1' })
    port = (app.server.address() as { port: number }).port
  })
  afterAll(() => app?.close())

  it('431 HEADERS_TOO_LARGE in the envelope', async () => {
    const r = parse(
      await raw(port, `GET /api/events HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    )
    expect(r.status).toBe(431)
    expect(r.head).toMatch(/content-type: application\/json/i)
    expect(r.body).toMatchObject({ success: false, error: { code: 'HEADERS_TOO_LARGE' } })
  })

  it('400 E_VALIDATION for a malformed request', async () => {
    const r = parse(await raw(port, 'THIS IS NOT HTTP\r\n\r\n'))
    expect(r.status).toBe(400)
    expect(r.body).toMatchObject({ success: false, error: { code: 'E_VALIDATION', field: 'request' } })
  })
})
