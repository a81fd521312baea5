// One instance whose Redis stops answering (a partition that black-holes its packets) must not
// stop the other instances' sale. A batch confirms its admissions while its transaction holds
// the event row's lock; found by the fault suite's "one instance cut off from Redis" scenario:
// a confirm that never answered held that lock until the connection died, and every instance's
// sale of the event stood still. Now the batch waits CONFIRM_WAIT_MS at most, then lets MySQL
// decide, as for an admission that could not be confirmed.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { CONFIRM_WAIT_MS } from '../src/sales/group-commit.js'
import { checkI1, createEvent, type Harness, startHarness } from './helpers.js'

const HOLD_TTL_MS = 1500

describe('a confirm that never answers (production)', () => {
  let h: Harness
  let cutOff: FastifyInstance
  let stall = false
  beforeAll(async () => {
    // A short hold TTL: the unconfirmed hold's seat is back on sale when it ends.
    h = await startHarness('production', { HOLD_TTL_MS: String(HOLD_TTL_MS) })
    // A second instance on the same MySQL and Redis whose confirms hang on demand.
    cutOff = await buildApp(loadConfig(h.env), {
      logger: false,
      wrapPorts: (ports) => {
        const { gate } = ports.sales
        const confirm = gate.confirm.bind(gate)
        gate.confirm = (admission) => (stall ? new Promise<void>(() => {}) : confirm(admission))
        return ports
      },
    })
  })
  afterAll(async () => {
    stall = false
    await cutOff?.close()
    await h?.close()
  })

  const reserve = (app: FastifyInstance, userId: string) =>
    app.inject({ method: 'POST', url: '/api/reservations', payload: { eventId, userId, quantity: 1 } })
  let eventId = 0

  it("does not hold the event row: the other instance's buyers are answered at once", async () => {
    eventId = await createEvent(h.app, 10)
    stall = true
    const stalled = reserve(cutOff, 'cut-off-buyer')
    // Its batch is now in its transaction, holding the event row, waiting on the confirm.
    await new Promise((r) => setTimeout(r, 200))
    const started = Date.now()
    const other = await reserve(h.app, 'other-buyer')
    const waited = Date.now() - started
    expect(other.statusCode).toBe(201)
    // Before the fix: innodb_lock_wait_timeout (50 s), then 503.
    expect(waited).toBeLessThan(CONFIRM_WAIT_MS + 2000)
    // The stalled batch commits too (MySQL decides), once the wait is over.
    expect((await stalled).statusCode).toBe(201)
    stall = false
    const [row] = (await checkI1(h)).filter((r) => Number(r.id) === eventId)
    expect(row?.available_seats).toBe(8)
    // The counter is rebuilt from MySQL; the unconfirmed hold's seat returns when its TTL ends:
    // the 8 remaining seats sell within that bound, then SOLD_OUT.
    let sold = 0
    const deadline = Date.now() + HOLD_TTL_MS + 2000
    for (let i = 0; sold < 8 && Date.now() < deadline; i++) {
      if ((await reserve(h.app, `after-${i}`)).statusCode === 201) sold++
      else await new Promise((r) => setTimeout(r, 100))
    }
    expect(sold).toBe(8)
    const last = await reserve(h.app, 'after-last')
    expect(last.json().error.code).toBe('SOLD_OUT')
  })
})
