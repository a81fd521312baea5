// Scenario 8: authorization. Buyer A's reservations are A's: B cannot read, list or cancel
// them, nor buy in A's name; a non-admin cannot create events; expired, forged, tampered and
// unsigned tokens get 401. Positive controls prove each refusal is about identity, not a broken
// route. MySQL is checked after every refused write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { purchase } from './harness/buyers.js'
import { readState } from './harness/checker.js'
import { badTokens } from './harness/hostile.js'
import { recordResult } from './harness/report.js'
import { createEvent } from './harness/sale.js'
import { type SharedService, snapshotTables, startOnSharedServices } from './harness/service.js'
import { authHeader } from './harness/tokens.js'

let svc: SharedService
let eventId: number
let reservationA: string
let checks = 0

beforeAll(async () => {
  svc = await startOnSharedServices()
  eventId = await createEvent(svc.baseUrl, 20, 'authz')
  const a = await purchase({ baseUrls: () => [svc.baseUrl], eventId }, 'buyer-a', 3)
  expect(a.outcome).toBe('acked')
  reservationA = a.reservationId!
})

afterAll(async () => {
  await svc?.close()
})

async function call(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; json: { success?: boolean; data?: unknown; error?: { code?: string } } }> {
  checks++
  const res = await fetch(`${svc.baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as never }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('scenario 8: authorization', () => {
  it("buyer B cannot read, list or cancel buyer A's reservations, nor buy as A", async () => {
    const before = await snapshotTables(svc.db.url)
    const b = authHeader('buyer-b')

    const read = await call('GET', `/api/reservations/${reservationA}`, b)
    expect(read.status).toBe(403)
    expect(JSON.stringify(read.json)).not.toContain('buyer-a')

    const list = await call('GET', '/api/reservations/user/buyer-a', b)
    expect(list.status).toBe(403)
    expect(list.json.data).toBeUndefined()

    const cancel = await call('DELETE', `/api/reservations/${reservationA}`, b)
    expect(cancel.status).toBe(403)

    const buyAsA = await call(
      'POST',
      '/api/reservations',
      { ...b, 'idempotency-key': 'k-b-1' },
      {
        eventId,
        userId: 'buyer-a',
        quantity: 1,
      },
    )
    expect(buyAsA.status).toBe(403)

    // Nothing moved: A's reservation is confirmed, the seats are where they were.
    expect(await snapshotTables(svc.db.url)).toEqual(before)

    // B's own list is B's (empty), not A's.
    const own = await call('GET', '/api/reservations/user/buyer-b', b)
    expect(own.status).toBe(200)
    expect(own.json.data).toEqual([])
  })

  it('the owner (positive control) and an admin may read; the owner may cancel, once', async () => {
    const a = authHeader('buyer-a')
    expect((await call('GET', `/api/reservations/${reservationA}`, a)).status).toBe(200)
    const list = await call('GET', '/api/reservations/user/buyer-a', a)
    expect(list.status).toBe(200)
    expect((list.json.data as unknown[]).length).toBe(1)
    expect(
      (await call('GET', `/api/reservations/${reservationA}`, authHeader('ops', { admin: true }))).status,
    ).toBe(200)
    const available = (await readState(svc.db.url, eventId)).availableSeats
    expect((await call('DELETE', `/api/reservations/${reservationA}`, a)).status).toBe(200)
    expect((await readState(svc.db.url, eventId)).availableSeats).toBe(available + 3)
    const again = await call('DELETE', `/api/reservations/${reservationA}`, a)
    expect(again.status).toBe(409)
    expect(again.json.error?.code).toBe('ALREADY_CANCELLED')
    expect((await readState(svc.db.url, eventId)).availableSeats).toBe(available + 3)
  })

  it('a non-admin cannot create events (403); without a token, 401', async () => {
    const before = await snapshotTables(svc.db.url)
    const body = { eventName: 'rogue', totalSeats: 10, eventDate: '2030-01-01T20:00:00' }
    const nonAdmin = await call('POST', '/api/events', authHeader('buyer-b'), body)
    expect(nonAdmin.status).toBe(403)
    expect(nonAdmin.json.error?.code).toBe('FORBIDDEN')
    const claimAsUser = await call('POST', '/api/events', authHeader('buyer-b', { admin: false }), body)
    expect(claimAsUser.status).toBe(403)
    const anonymous = await call('POST', '/api/events', {}, body)
    expect(anonymous.status).toBe(401)
    expect(await snapshotTables(svc.db.url)).toEqual(before)
    // Positive control: the admin can.
    expect((await call('POST', '/api/events', authHeader('ops', { admin: true }), body)).status).toBe(201)
  })

  it('expired, forged, tampered, unsigned and malformed tokens get 401 on every protected route', async () => {
    const before = await snapshotTables(svc.db.url)
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/api/events', { eventName: 'x', totalSeats: 10, eventDate: '2030-01-01T20:00:00' }],
      ['POST', '/api/reservations', { eventId, userId: 'buyer-a', quantity: 1 }],
      ['GET', `/api/reservations/${reservationA}`],
      ['GET', '/api/reservations/user/buyer-a'],
      ['DELETE', `/api/reservations/${reservationA}`],
    ]
    const failures: string[] = []
    for (const [name, token] of Object.entries(badTokens('buyer-a'))) {
      for (const [method, path, body] of routes) {
        const r = await call(method, path, bearer(token), body)
        if (r.status !== 401 || r.json.error?.code !== 'UNAUTHORIZED') {
          failures.push(`${name}: ${method} ${path} → ${r.status} ${r.json.error?.code}`)
        }
      }
    }
    expect(failures).toEqual([])
    expect(await snapshotTables(svc.db.url)).toEqual(before)
    await recordResult({
      id: '8-authorization',
      title: '8. Authorization',
      requestsPerSecond: 0,
      faults: [`${checks} cross-user / non-admin / bad-token requests`],
      acknowledged: 0,
      lost: 0,
      oversold: 0,
      recoverySeconds: null,
      notes: 'every refusal 401/403, MySQL unchanged',
    })
  })
})
