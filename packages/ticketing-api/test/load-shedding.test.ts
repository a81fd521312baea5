// Load shedding (http/guards.ts): while the event loop is stalled, requests get 503 + Retry-After in
// the envelope; health/liveness recover once it is not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startHarness } from './helpers.js'

describe('load shedding (MAX_EVENT_LOOP_DELAY_MS)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness('embedded', { MAX_EVENT_LOOP_DELAY_MS: '100' })
  })
  afterAll(async () => h?.close())

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After while the loop lags, then recovers', async () => {
    // Stall the loop in 300 ms slices for ~2.5 s, so the sampled mean delay is far above 100 ms.
    const until = Date.now() + 2500
    while (Date.now() < until) {
      const sliceEnd = Date.now() + 300
      while (Date.now() < sliceEnd) {
        // busy
      }
      await new Promise((r) => setImmediate(r))
    }
    const shed = await h.app.inject({ method: 'GET', url: '/api/events' })
    expect(shed.statusCode).toBe(503)
    expect(shed.headers['retry-after']).toBeDefined()
    expect(shed.json()).toMatchObject({ success: false, error: { code: 'SERVICE_UNAVAILABLE' } })
    let ok = shed.statusCode
    for (let i = 0; i < 40 && ok !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100))
      ok = (await h.app.inject({ method: 'GET', url: '/api/events' })).statusCode
    }
    expect(ok).toBe(200)
  })
})
