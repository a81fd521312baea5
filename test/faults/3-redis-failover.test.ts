// Scenario 3: Redis failover, as ElastiCache does it: the primary dies, the replica is promoted
// (REPLICAOF NO ONE on a second redis-server started by the test), and the primary endpoint
// (here a TCP proxy standing in for the endpoint's DNS name) moves to the new primary. The API
// is configured with one REDIS_URL, as it is on AWS, so it follows the endpoint, not the nodes.
// Replication is asynchronous: writes acknowledged by the old primary just before it died may be
// missing on the new one; MySQL stays the system of record, so nothing may be oversold or lost.
import { type DelayProxy, type RedisServer, startDelayProxy, startRedis, waitFor } from '@ticketing/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordResult } from './harness/report.js'
import { expectServiceContract, runSale, saleResult, seatsFor } from './harness/sale.js'
import { FULL, scale, sleep } from './harness/scale.js'
import { type SharedService, startOnDedicated } from './harness/service.js'

let primary: RedisServer
let replica: RedisServer
let endpoint: DelayProxy
let svc: SharedService

beforeAll(async () => {
  if (!FULL) return
  primary = await startRedis()
  replica = await startRedis()
  const r = replica.client()
  await r.call('REPLICAOF', '127.0.0.1', String(primary.port))
  await waitFor('replica in sync', async () =>
    (await r.info('replication')).includes('master_link_status:up'),
  )
  endpoint = await startDelayProxy({ targetPort: primary.port })
  svc = await startOnDedicated({ count: 2, redisUrl: `redis://127.0.0.1:${endpoint.port}` })
})

afterAll(async () => {
  await svc?.close()
  await endpoint?.close()
  await primary?.stop()
  await replica?.stop()
})

// Full suite only (npm run test:faults): keeps the quick subset in `npm test` within ~3 minutes.
describe.skipIf(!FULL)('scenario 3: Redis failover', () => {
  it('primary killed, replica promoted, endpoint moved, mid-sale: nothing lost or oversold', async () => {
    const loadMs = scale(7000, 30_000)
    const outcome = await runSale({
      databaseUrl: svc.db.url,
      baseUrls: () => [svc.baseUrl],
      totalSeats: seatsFor(loadMs),
      concurrency: scale(16, 40),
      durationMs: loadMs,
      faultAtMs: scale(1500, 8000),
      fault: async () => {
        const faultAt = Date.now()
        await primary.kill()
        // ElastiCache detects the failure, then promotes; the gap is shortened here.
        await sleep(scale(500, 3000))
        await replica.client().call('REPLICAOF', 'NO', 'ONE')
        endpoint.retarget(replica.port)
        return { faultAt, restoredAt: Date.now() }
      },
    })
    console.log('redis failover', outcome.load.statusCounts, outcome.check)
    await recordResult(
      saleResult('3-redis-failover', '3. Redis failover (replica promoted)', outcome, [
        'kill -9 of the primary',
        'REPLICAOF NO ONE on the replica',
        'endpoint moved to the replica',
      ]),
    )
    expect(outcome.check.violations).toEqual([])
    expect(outcome.check.lost).toBe(0)
    expect(outcome.check.oversold).toBe(0)
    expectServiceContract(outcome)
    expect(outcome.recoverySeconds).not.toBeNull()
    // The failover really happened: the old primary is dead, the replica is a primary with the data.
    expect(primary.process.child.exitCode !== null || primary.process.child.signalCode !== null).toBe(true)
    const promoted = replica.client()
    expect(((await promoted.call('ROLE')) as unknown[])[0]).toBe('master')
    expect(await promoted.dbsize()).toBeGreaterThan(0)
    for (const api of svc.apis) expect(api.alive(), api.name).toBe(true)
  })
})
