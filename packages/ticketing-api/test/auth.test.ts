// AUTH_MODE=jwt with an HS256 secret: buyers act only for themselves, events need the admin claim.
import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startHarness } from './helpers.js'

const SECRET = 'test-secret-that-is-long-enough'
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
/** A minimal HS256 JWT, signed here so the test does not trust the code under test to sign. */
function sign(claims: Record<string, unknown>, secret = SECRET): string {
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60, ...claims })}`
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`
}
const bearer = (claims: Record<string, unknown>) => ({ authorization: `Bearer ${sign(claims)}` })

describe('auth (AUTH_MODE=jwt)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness('embedded', {
      AUTH_MODE: 'jwt',
      JWT_SECRET: SECRET,
      JWT_ADMIN_CLAIM: 'role=admin',
    })
  })
  afterAll(async () => h?.close())

  it('401 without or with a bad token, in the envelope', async () => {
    const none = await h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      payload: { eventId: 1, userId: 'a', quantity: 1 },
    })
    expect(none.statusCode).toBe(401)
    expect(none.json()).toMatchObject({ success: false, error: { code: 'UNAUTHORIZED' } })
    const forged = sign({ sub: 'a' }, 'another-secret-entirely-xx')
    const bad = await h.app.inject({
      method: 'GET',
      url: '/api/reservations/user/a',
      headers: { authorization: `Bearer ${forged}` },
    })
    expect(bad.statusCode).toBe(401)
    expect(bad.json().error.code).toBe('UNAUTHORIZED')
    // Reading events stays public.
    expect((await h.app.inject({ method: 'GET', url: '/api/events' })).statusCode).toBe(200)
  })

  it('creating events needs the admin claim', async () => {
    const payload = { eventName: 'Gated', totalSeats: 10, eventDate: '2024-12-31T19:00:00' }
    const buyer = await h.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: bearer({ sub: 'alice' }),
      payload,
    })
    expect(buyer.statusCode).toBe(403)
    expect(buyer.json().error.code).toBe('FORBIDDEN')
    const admin = await h.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: bearer({ sub: 'ops', role: 'admin' }),
      payload,
    })
    expect(admin.statusCode).toBe(201)
  })

  it('a buyer reserves, reads and cancels only their own reservations', async () => {
    const ev = await h.app.inject({
      method: 'POST',
      url: '/api/events',
      headers: bearer({ sub: 'ops', role: 'admin' }),
      payload: { eventName: 'Mine', totalSeats: 10, eventDate: '2024-12-31T19:00:00' },
    })
    const eventId = ev.json().data.eventId
    const alice = bearer({ sub: 'alice' })
    const mallory = bearer({ sub: 'mallory' })
    const forOther = await h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: mallory,
      payload: { eventId, userId: 'alice', quantity: 1 },
    })
    expect(forOther.statusCode).toBe(403)
    const own = await h.app.inject({
      method: 'POST',
      url: '/api/reservations',
      headers: alice,
      payload: { eventId, userId: 'alice', quantity: 2 },
    })
    expect(own.statusCode).toBe(201)
    const id = own.json().data.reservationId
    expect(
      (await h.app.inject({ method: 'GET', url: `/api/reservations/${id}`, headers: mallory })).statusCode,
    ).toBe(403)
    expect(
      (await h.app.inject({ method: 'GET', url: '/api/reservations/user/alice', headers: mallory }))
        .statusCode,
    ).toBe(403)
    expect(
      (await h.app.inject({ method: 'DELETE', url: `/api/reservations/${id}`, headers: mallory })).statusCode,
    ).toBe(403)
    expect(
      (await h.app.inject({ method: 'GET', url: `/api/reservations/${id}`, headers: alice })).statusCode,
    ).toBe(200)
    expect(
      (await h.app.inject({ method: 'DELETE', url: `/api/reservations/${id}`, headers: alice })).statusCode,
    ).toBe(200)
    const event = await h.app.inject({ method: 'GET', url: `/api/events/${eventId}` })
    expect(event.json().data.availableSeats).toBe(10)
  })
})
