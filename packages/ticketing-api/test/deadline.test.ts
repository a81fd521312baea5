// A slow dependency must not leave a buyer hanging on the client's own timeout: a request not
// answered within REQUEST_DEADLINE_MS gets 503 + Retry-After in the envelope. Found by the
// fault suite's slow-dependency scenario (63 attempts hit a 5 s client timeout).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

describe('request deadline', () => {
  let app: Awaited<ReturnType<typeof buildApp>>
  let slow = false
  beforeAll(async () => {
    const config = loadConfig({ REQUEST_DEADLINE_MS: '200', LOG_LEVEL: 'silent' })
    app = await buildApp(config, {
      logger: false,
      wrapPorts: (ports) => {
        const { store } = ports.sales
        const getReservation = store.getReservation
        // A store that stalls on demand, as MySQL does behind a slow network.
        store.getReservation = async (id) => {
          if (slow) await new Promise((r) => setTimeout(r, 1000))
          return getReservation(id)
        }
        return ports
      },
    })
  })
  afterAll(() => app?.close())

  const url = '/api/reservations/00000000-0000-4000-8000-000000000000'

  it('answers 503 with Retry-After in the envelope when the work outlives the deadline', async () => {
    slow = true
    const started = Date.now()
    const res = await app.inject({ method: 'GET', url })
    expect(Date.now() - started).toBeLessThan(900)
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('1')
    expect(res.json()).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE' } })
    await new Promise((r) => setTimeout(r, 1000)) // the stalled work finishes without a crash
  })

  it('leaves fast requests alone', async () => {
    slow = false
    const res = await app.inject({ method: 'GET', url })
    expect(res.statusCode).toBe(404)
    expect(res.json().error.code).toBe('RESERVATION_NOT_FOUND')
  })

  it('is off with REQUEST_DEADLINE_MS=0 and defaults to 5 s', () => {
    expect(loadConfig({ REQUEST_DEADLINE_MS: '0' }).requestDeadlineMs).toBe(0)
    expect(loadConfig({}).requestDeadlineMs).toBe(5000)
  })
})
