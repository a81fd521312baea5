// MySQL down (a dedicated mariadbd, killed and restarted): readiness says so, writes answer
// 503 + Retry-After (never 500), sold-out answers keep coming from Redis, and it all recovers.
import { startMariaDb } from '@ticketing/testkit'
import { describe, expect, it } from 'vitest'
import { checkI1, createEvent, startHarness } from './helpers.js'

describe('database outage (production, dedicated mariadbd)', () => {
  it('503 while MySQL is down, sold-out still answered by Redis, recovery after restart', async () => {
    const db = await startMariaDb()
    const h = await startHarness('production', {
      DATABASE_URL: db.url,
      DATABASE_READER_URL: db.url,
      DB_POOL_SIZE: '4',
    })
    try {
      const reserve = (eventId: number, userId: string) =>
        h.app.inject({ method: 'POST', url: '/api/reservations', payload: { eventId, userId, quantity: 1 } })
      const open = await createEvent(h.app, 10)
      const tiny = await createEvent(h.app, 1)
      expect((await reserve(tiny, 'first')).statusCode).toBe(201)
      expect((await reserve(open, 'a')).statusCode).toBe(201)

      await db.kill()
      const health = await h.app.inject({ method: 'GET', url: '/api/health' })
      expect(health.statusCode).toBe(503)
      expect(health.json()).toMatchObject({ status: 'DOWN', database: 'disconnected', redis: 'connected' })
      const down = await reserve(open, 'b')
      expect(down.statusCode).toBe(503)
      expect(down.headers['retry-after']).toBeDefined()
      expect(down.json().error.code).toBe('SERVICE_UNAVAILABLE')
      // Sold-out never needed MySQL.
      const sold = await reserve(tiny, 'late')
      expect(sold.statusCode).toBe(409)
      expect(sold.json().error.code).toBe('SOLD_OUT')
      const list = await h.app.inject({ method: 'GET', url: '/api/events' })
      expect(list.statusCode).toBe(503)

      await db.restart()
      let again = await reserve(open, 'b')
      for (let i = 0; i < 50 && again.statusCode === 503; i++) {
        await new Promise((r) => setTimeout(r, 200))
        again = await reserve(open, 'b')
      }
      expect(again.statusCode).toBe(201)
      expect((await h.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200)
      // The failed attempt's admitted units went back on sale: exactly 8 more can be sold.
      const rest = await Promise.all(Array.from({ length: 10 }, (_, i) => reserve(open, `r${i}`)))
      expect(rest.filter((r) => r.statusCode === 201)).toHaveLength(8)
      await checkI1(h)
    } finally {
      await h.close()
      await db.stop()
    }
  })
})
