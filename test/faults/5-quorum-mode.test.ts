// Scenario 5: quorum mode. The reference API takes one REDIS_URL (or REDIS_CLUSTER_NODES): it
// has no setting for a quorum of independent Redis nodes, so it cannot run this scenario (see
// README, "Documented limits"). The quorum lives in @ticketing/seat-lock (Redlock over N
// independent nodes), and this scenario drives it directly: concurrent buyers hold and confirm
// seats on 3 nodes; 1 node is killed (selling goes on), then a 2nd (every acquire fails closed
// with E_QUORUM_FAILED); no seat is ever sold twice (I2).

import { once } from 'node:events'
import { createSeatLock, QuorumFailedError, SeatsUnavailableError } from '@ticketing/seat-lock'
import { type RedisServer, startRedisNodes } from '@ticketing/testkit'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordResult } from './harness/report.js'
import { scale, sleep } from './harness/scale.js'

let nodes: RedisServer[]
let clients: Redis[]

beforeAll(async () => {
  nodes = await startRedisNodes(3)
  clients = nodes.map((n) => n.client({ maxRetriesPerRequest: 0, enableOfflineQueue: false }))
  await Promise.all(clients.map((c) => (c.status === 'ready' ? undefined : once(c, 'ready'))))
})

afterAll(async () => {
  await Promise.all((nodes ?? []).map((n) => n.stop()))
})

type Phase = 'three nodes' | 'one node down' | 'two nodes down'

describe('scenario 5: quorum mode (seat-lock over 3 independent Redis nodes)', () => {
  it('1 of 3 nodes down: keeps selling; 2 of 3 down: fails closed; no seat sold twice', async () => {
    const lock = createSeatLock({ redis: clients, prefix: 'faults-q', defaultTtlMs: 5000 })
    const seats = Array.from({ length: scale(3000, 20_000) }, (_, i) => `S${i + 1}`)
    const soldBy = new Map<string, string>()
    const doubleSold: string[] = []
    const phaseMs = scale(2000, 10_000)
    let phase: Phase = 'three nodes'
    let phaseStarted = Date.now()
    const stats: Record<Phase, { sold: number; unavailable: number; quorumFailed: number; other: number }> = {
      'three nodes': { sold: 0, unavailable: 0, quorumFailed: 0, other: 0 },
      'one node down': { sold: 0, unavailable: 0, quorumFailed: 0, other: 0 },
      'two nodes down': { sold: 0, unavailable: 0, quorumFailed: 0, other: 0 },
    }
    let attempts = 0
    let stop = false
    const otherErrors: string[] = []
    const buyer = async (b: number) => {
      for (let n = 0; !stop; n++) {
        const mine = [seats[Math.floor(Math.random() * seats.length)]!]
        if (Math.random() < 0.5) mine.push(seats[Math.floor(Math.random() * seats.length)]!)
        const want = [...new Set(mine)]
        const owner = `buyer-${b}-${n}`
        // Attribute the attempt to the phase it started in, after a short settling time.
        const settled = Date.now() - phaseStarted > 200
        const at = phase
        attempts++
        try {
          const hold = await lock.holdSeats({ eventId: 'q1', seats: want, owner })
          await lock.confirm(hold.id, owner)
          for (const s of want) {
            if (soldBy.has(s)) doubleSold.push(`${s}: ${soldBy.get(s)} and ${owner}`)
            soldBy.set(s, owner)
          }
          if (settled || at === 'three nodes') stats[at].sold++
        } catch (error) {
          if (!settled) continue
          if (error instanceof SeatsUnavailableError) stats[at].unavailable++
          else if (error instanceof QuorumFailedError) stats[at].quorumFailed++
          else {
            stats[at].other++
            if (otherErrors.length < 5)
              otherErrors.push(`${(error as { code?: string }).code} ${(error as Error).message}`)
          }
        }
        await sleep(5)
      }
    }
    const started = Date.now()
    const running = Promise.all(Array.from({ length: scale(8, 24) }, (_, i) => buyer(i)))
    await sleep(phaseMs)
    await nodes[2]!.kill()
    phase = 'one node down'
    phaseStarted = Date.now()
    await sleep(phaseMs)
    await nodes[1]!.kill()
    phase = 'two nodes down'
    phaseStarted = Date.now()
    await sleep(phaseMs)
    stop = true
    await running
    const seconds = (Date.now() - started) / 1000
    console.log('quorum', stats, { sold: soldBy.size, doubleSold: doubleSold.length, otherErrors })

    await recordResult({
      id: '5-quorum-mode',
      title: '5. Quorum mode (seat-lock, 3 nodes; API has no quorum setting)',
      requestsPerSecond: Math.round(attempts / seconds),
      faults: ['kill -9 of node 3 (1 of 3 down)', 'kill -9 of node 2 (2 of 3 down)'],
      acknowledged: stats['three nodes'].sold + stats['one node down'].sold + stats['two nodes down'].sold,
      lost: 0,
      oversold: doubleSold.length,
      doubleSold: doubleSold.length,
      recoverySeconds: null,
      notes: `sold with 3 nodes ${stats['three nodes'].sold}, with 2 nodes ${stats['one node down'].sold}, with 1 node ${stats['two nodes down'].sold} (quorum failures ${stats['two nodes down'].quorumFailed}); library level`,
    })

    expect(doubleSold).toEqual([])
    expect(stats['three nodes'].sold).toBeGreaterThan(0)
    // 1 of 3 down: the quorum (2) still answers, selling goes on without a restart. With only 2
    // live nodes two buyers racing for the same seat can split the vote (1–1): both get
    // E_QUORUM_FAILED (retryable, 503 at the API), which must stay the exception.
    expect(stats['one node down'].sold).toBeGreaterThan(0)
    expect(stats['one node down'].quorumFailed).toBeLessThan(stats['one node down'].sold / 4)
    // 2 of 3 down: fail closed, never a sale.
    expect(stats['two nodes down'].sold).toBe(0)
    expect(stats['two nodes down'].quorumFailed).toBeGreaterThan(0)
    expect(stats['two nodes down'].other, otherErrors.join('\n')).toBe(0)
  })
})
