// Reserved seating under AUTH_MODE=jwt: holds are made for oneself (sub = userId), only the
// hold's owner (or an admin) confirms, reads or releases it; the map and stream stay public.
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startHarness } from './helpers.js'

const SECRET = 'test-secret-that-is-long-enough'
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
function sign(claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000)
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iat: now, exp: now + 60, ...claims })}`
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`
}
const as = (claims: Record<string, unknown>) => ({ authorization: `Bearer ${sign(claims)}` })

describe('reserved seating with AUTH_MODE=jwt', () => {
  let h: Harness
  let eventId: number
  beforeAll(async () => {
    h = await startHarness('embedded', { AUTH_MODE: 'jwt', JWT_SECRET: SECRET })
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: as({ sub: 'ops', role: 'admin' }),
      payload: {
        eventName: 'Gated',
        eventDate: '2025-01-01T20:00:00',
        seatMap: { rows: { from: 'A', to: 'B' }, seats: { from: 1, to: 5 } },
      },
    })
    expect(res.statusCode, res.body).toBe(201)
    eventId = res.json().data.eventId
  })
  afterAll(async () => h?.close())

  it('holds only for oneself; only the owner or an admin confirms or releases', async () => {
    const url = `/api/events/${eventId}/holds`
    const anon = await h.app.inject({ method: 'POST', url, payload: { seats: ['A-1'], userId: 'ann' } })
    expect(anon.statusCode).toBe(401)
    const forOther = await h.app.inject({
      method: 'POST',
      url,
      headers: as({ sub: 'bob' }),
      payload: { seats: ['A-1'], userId: 'ann' },
    })
    expect(forOther.statusCode).toBe(403)
    const own = await h.app.inject({
      method: 'POST',
      url,
      headers: as({ sub: 'ann' }),
      payload: { seats: ['A-1'], userId: 'ann' },
    })
    expect(own.statusCode).toBe(201)
    const holdId = own.json().data.holdId

    for (const [method, path] of [
      ['GET', `/api/holds/${holdId}`],
      ['POST', `/api/holds/${holdId}/confirm`],
      ['DELETE', `/api/holds/${holdId}`],
    ] as const) {
      const res = await h.app.inject({ method, url: path, headers: as({ sub: 'bob' }) })
      expect(res.statusCode, `${method} ${path}`).toBe(403)
    }
    const read = await h.app.inject({
      method: 'GET',
      url: `/api/holds/${holdId}`,
      headers: as({ sub: 'ann' }),
    })
    expect(read.json().data).toMatchObject({ userId: 'ann', seats: ['A-1'], status: 'held' })
    const confirm = await h.app.inject({
      method: 'POST',
      url: `/api/holds/${holdId}/confirm`,
      headers: as({ sub: 'ann' }),
    })
    expect(confirm.statusCode).toBe(201)

    // Cancelling a seated reservation: the owner only.
    const rid = confirm.json().data.reservationId
    const steal = await h.app.inject({
      method: 'DELETE',
      url: `/api/reservations/${rid}`,
      headers: as({ sub: 'bob' }),
    })
    expect(steal.statusCode).toBe(403)
    const cancel = await h.app.inject({
      method: 'DELETE',
      url: `/api/reservations/${rid}`,
      headers: as({ sub: 'ann' }),
    })
    expect(cancel.statusCode).toBe(200)

    // The map is public.
    expect((await h.app.inject({ method: 'GET', url: `/api/events/${eventId}/seats` })).statusCode).toBe(200)
  })
})
