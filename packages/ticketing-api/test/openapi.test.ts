// The OpenAPI document is worth generating a client from: every route has an operationId, the
// shapes are named components, every error status is documented with its codes, no path ends
// in a slash, the stream says text/event-stream, and Redocly's recommended ruleset passes with
// only the warnings listed here.
import { createConfig, lintFromString } from '@redocly/openapi-core'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pkg from '../package.json' with { type: 'json' }
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

/** Problems we chose to allow (rule and place), each with why. */
const ALLOWED: Record<string, string> = {
  // The load balancer's health checks: they answer 200 or 503, never a 4xx (no input, no limit).
  'operation-4xx-response #/paths/~1api~1health/get/responses': 'health check',
  'operation-4xx-response #/paths/~1api~1health~1live/get/responses': 'liveness check',
}

interface Operation {
  operationId?: string
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>
}

describe('OpenAPI document', () => {
  let app: FastifyInstance
  let doc: {
    info: { version: string }
    paths: Record<string, Record<string, Operation>>
    components: { schemas: Record<string, unknown> }
  }
  beforeAll(async () => {
    app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { logger: false })
    doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  })
  afterAll(() => app?.close())

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    )

  it('names every operation once, and carries the package version', () => {
    const ids = operations().map(({ op }) => op.operationId)
    expect(ids.every(Boolean)).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
    expect(doc.info.version).toBe(pkg.version)
  })

  it('has no trailing-slash paths, and still serves the slash form', async () => {
    expect(Object.keys(doc.paths).filter((p) => p.endsWith('/'))).toEqual([])
    expect((await app.inject({ method: 'GET', url: '/api/events/' })).statusCode).toBe(200)
    expect((await app.inject({ method: 'GET', url: '/api/events' })).statusCode).toBe(200)
  })

  it('refers to named component schemas', () => {
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Event', 'Reservation', 'ReservationDetail', 'Hold', 'SeatMap', 'Health']),
    )
    const created = doc.paths['/api/reservations']!.post!.responses['201']!
    expect(JSON.stringify(created)).toContain('#/components/schemas/Reservation')
  })

  it('documents each error status with the envelope and its codes', () => {
    const post = doc.paths['/api/reservations']!.post!
    expect(post.responses['409']!.description).toMatch(/SOLD_OUT.*INSUFFICIENT_SEATS/)
    const schema = JSON.stringify(post.responses['409']!.content!['application/json']!.schema)
    expect(schema).toContain('"enum":["SOLD_OUT"')
    for (const { op } of operations()) {
      for (const [status, r] of Object.entries(op.responses)) {
        expect(r.description, `${op.operationId} ${status}`).not.toBe('Default Response')
      }
    }
  })

  it('gives the stream its media type', () => {
    const r = doc.paths['/api/events/{eventId}/stream']!.get!.responses['200']!
    expect(Object.keys(r.content ?? {})).toEqual(['text/event-stream'])
  })

  it("passes Redocly's recommended lint, but for the warnings we chose", async () => {
    const config = await createConfig({ extends: ['recommended'] })
    const problems = await lintFromString({
      source: JSON.stringify(doc),
      absoluteRef: 'openapi.json',
      config,
    })
    const unexpected = problems
      .filter((p) => !(`${p.ruleId} ${p.location[0]?.pointer}` in ALLOWED))
      .map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)
    expect(unexpected).toEqual([])
  })
})
