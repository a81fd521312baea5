import { fileURLToPath } from 'node:url'
import { forkScript, redisTopologies, uniquePrefix } from '@ticketing/testkit'
import type { Cluster, Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { createRedisQueueStore, createWaitingRoom } from '../src/index.js'
import { sleep } from './contract-suite.js'

const ticker = fileURLToPath(new URL('./fixtures/ticker.ts', import.meta.url))
const SECRET = 'killed-ticker-test-secret-0123456789abcdef'
const WAITERS = 3000

// Instances die while they tick (SIGKILL, no cleanup), three times in a row, while another
// instance keeps ticking. TICK is one Lua script, so each step happened whole or not at all:
// every waiter is admitted exactly once, and the counters agree with the admitted set.
describe.each(redisTopologies(['single', 'cluster']))('killed controller on $name', (spec) => {
  it('loses and doubles no admission when ticking instances are SIGKILLed mid-tick', async () => {
    const topo = await spec.start()
    const redis = topo.clients[0] as Redis | Cluster
    const prefix = uniquePrefix('wrk')
    const ports = topo.kind === 'cluster' ? topo.nodes.map((n) => n.port).join(',') : '6379'
    const room = createWaitingRoom({ store: createRedisQueueStore({ redis, prefix }), secret: SECRET })
    try {
      // A pre-queue, then the start: the token bucket fills from the start, so admission is
      // spread over ~5 s of ticks instead of one burst for the time the joins took.
      const bounds = { maxActiveBuyers: 1_000_000, admitPerMinute: 36_000 } // 600/s
      // opensAt given both times: defaulted, the second call's opensAt could land a millisecond
      // after its startsAt.
      const opensAt = Date.now()
      await room.openEvent('e1', { opensAt, startsAt: opensAt + 600_000, ...bounds })
      const joins = []
      for (let i = 0; i < WAITERS; i += 500) {
        joins.push(
          ...(await Promise.all(Array.from({ length: 500 }, (_, k) => room.join('e1', `v${i + k}`)))),
        )
      }
      await room.openEvent('e1', { opensAt, startsAt: Date.now(), ...bounds })
      let childAdmitted = 0
      let survivorTicks = 0
      let stop = false
      const survivor = (async () => {
        while (!stop) {
          await room.tick('e1')
          survivorTicks++
          await sleep(25)
        }
      })()
      for (let round = 0; round < 3; round++) {
        const child = forkScript(ticker, [
          topo.kind === 'cluster' ? 'cluster' : 'single',
          ports,
          prefix,
          'e1',
        ])
        let last = { ticks: 0, admitted: 0 }
        child.child.on('message', (m) => {
          last = m as typeof last
        })
        while (last.ticks < 10) await sleep(5)
        await sleep(20 + Math.random() * 80)
        child.child.kill('SIGKILL')
        await new Promise((r) => child.child.once('exit', r))
        childAdmitted += last.admitted
      }
      stop = true
      await survivor
      for (
        let s = await room.state('e1', { fresh: true });
        s!.served < WAITERS;
        s = await room.state('e1', { fresh: true })
      ) {
        await sleep(50)
        await room.tick('e1')
      }
      expect(childAdmitted).toBeGreaterThan(0)
      expect(survivorTicks).toBeGreaterThan(0)
      const state = await room.state('e1', { fresh: true })
      expect(state).toMatchObject({
        served: WAITERS,
        admittedTotal: WAITERS,
        active: WAITERS,
        abandonedTotal: 0,
      })
      const tickets = new Set<number>()
      for (let i = 0; i < WAITERS; i += 500) {
        const statuses = await Promise.all(joins.slice(i, i + 500).map((j) => room.poll(j.queueTicket)))
        for (const s of statuses) {
          if (s.status !== 'admitted') throw new Error(`${s.visitorId} is ${s.status}`)
          tickets.add(room.verify(s.admissionToken, s).ticket)
        }
      }
      expect(tickets.size).toBe(WAITERS)
      expect(Math.max(...tickets)).toBe(WAITERS - 1)
    } finally {
      await room.deleteEvent('e1')
      await room.close()
      await topo.teardown()
    }
  })
})
