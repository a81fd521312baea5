import { redisTopologies, uniquePrefix } from '@ticketing/testkit'
import type { Cluster } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { type Hold, HoldExpiredError, InsufficientCapacityError, QuorumFailedError } from '../src/index.js'
import { keySlot } from '../src/keys.js'
import { lockOn, randomSeats, seatHolderInRedis, seatsOf, sleep } from './helpers.js'

describe('quorum of 3 with nodes down', () => {
  it('still grants with 1 of 3 nodes killed, and quantity holds stay exact (1,000 vs 300)', async () => {
    const topo = await redisTopologies(['quorum3'])[0]!.start()
    try {
      const prefix = uniquePrefix('q1')
      const lock = lockOn(topo, prefix, { quorumContentionBudgetMs: 30_000 })
      await lock.capacity.set('ga', 300)
      await topo.nodes[2]!.kill()

      const h = await lock.holdSeats({ eventId: 'e1', seats: ['A1', 'A2'], owner: 'alice' })
      expect(await seatHolderInRedis(topo, prefix, 'e1', 'A1')).toBe(h.id)
      await expect(lock.holdSeats({ eventId: 'e1', seats: ['A2'], owner: 'bob' })).rejects.toMatchObject({
        code: 'E_SEATS_UNAVAILABLE', // contention, not a quorum failure, even with a node down
        seats: ['A2'],
      })
      expect((await lock.extend(h.id, 5_000)).id).toBe(h.id)
      expect(await lock.release(h.id)).toBe(true)

      const results = await Promise.allSettled(
        Array.from({ length: 1_000 }, (_, i) =>
          lock.holdQuantity({ eventId: 'ga', quantity: 1, owner: `b${i}` }),
        ),
      )
      for (const r of results)
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(InsufficientCapacityError)
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(300)
      expect(await lock.capacity.get('ga')).toMatchObject({ available: 0, held: 300 })
      await lock.close()
    } finally {
      await topo.teardown()
    }
  })

  it('fails with E_QUORUM_FAILED with 2 of 3 killed, leaving nothing partial on the survivor', async () => {
    const topo = await redisTopologies(['quorum3'])[0]!.start()
    try {
      const prefix = uniquePrefix('q2')
      const lock = lockOn(topo, prefix)
      const failures: unknown[] = []
      lock.on('quorumFailed', (e) => failures.push(e))
      await lock.capacity.set('ga', 10)
      const before = await lock.holdSeats({ eventId: 'e1', seats: ['B1'], owner: 'alice' })
      await topo.nodes[1]!.kill()
      await topo.nodes[2]!.kill()

      const err = await lock.holdSeats({ eventId: 'e1', seats: ['A1', 'A2'], owner: 'bob' }).catch((e) => e)
      expect(err).toBeInstanceOf(QuorumFailedError)
      expect(err).toMatchObject({ code: 'E_QUORUM_FAILED', granted: 1, required: 2, failed: 2 })
      await expect(lock.holdQuantity({ eventId: 'ga', quantity: 2, owner: 'bob' })).rejects.toBeInstanceOf(
        QuorumFailedError,
      )
      await expect(lock.extend(before.id, 1_000)).rejects.toBeInstanceOf(QuorumFailedError)
      expect(failures.length).toBeGreaterThanOrEqual(3)

      // The survivor granted A1/A2 for a moment; the failed call took it back before returning.
      const survivor = topo.clients[0]!
      expect(await survivor.get(`{${prefix}:e1}:s:A1`)).toBeNull()
      expect(await survivor.get(`{${prefix}:e1}:s:A2`)).toBeNull()
      const holds = await survivor.keys(`{${prefix}:e1}:h:*`)
      expect(holds).toEqual([`{${prefix}:e1}:h:${before.id.split('.')[1]}`])
      expect(await survivor.scard(`{${prefix}:ga}:ufree`)).toBe(10)
      expect(await survivor.zcard(`{${prefix}:ga}:uexp`)).toBe(0)
      await lock.close()
    } finally {
      await topo.teardown()
    }
  })
})

describe('quorum of 3: capacity with one node full, one empty (lost its data), one dead', () => {
  it('answers from the majority that answered, never reporting units a majority cannot grant', async () => {
    const topo = await redisTopologies(['quorum3'])[0]!.start()
    try {
      const prefix = uniquePrefix('q3')
      const lock = lockOn(topo, prefix)
      await lock.capacity.set('full', 2)
      await lock.capacity.set('open', 5)
      await lock.holdQuantity({ eventId: 'full', quantity: 2, owner: 'alice', ttlMs: 60_000 })
      // Node 0 keeps its data ('full' has 0 remaining), node 1 comes back empty, node 2 dies.
      await topo.nodes[1]!.restart()
      while (topo.clients[1]!.status !== 'ready') await sleep(20)
      await topo.nodes[2]!.kill()

      // Two nodes answered: no E_QUORUM_FAILED. The empty node counts as having nothing free.
      expect(await lock.capacity.get('full')).toEqual({ total: 2, available: 0, held: 2, confirmed: 0 })
      // Units free on node 0 alone are not grantable by a majority: not available.
      expect(await lock.capacity.get('open')).toEqual({ total: 5, available: 0, held: 5, confirmed: 0 })
      // Writes that cannot reach a majority of nodes with the capacity: rebuild needed.
      await expect(lock.holdQuantity({ eventId: 'open', quantity: 1, owner: 'bob' })).rejects.toMatchObject({
        code: 'E_CAPACITY_NOT_SET',
      })
      await expect(lock.capacity.add('open', 1)).rejects.toMatchObject({ code: 'E_CAPACITY_NOT_SET' })
      // Not set on a majority of the nodes: null.
      expect(await lock.capacity.get('never')).toBeNull()
      // rebuild reaches both live nodes with the same unit ids: grantable again.
      expect(await lock.capacity.rebuild('open', 5)).toEqual({
        total: 5,
        available: 5,
        held: 0,
        confirmed: 0,
      })
      expect((await lock.holdQuantity({ eventId: 'open', quantity: 2, owner: 'bob' })).quantity).toBe(2)
      expect(await lock.capacity.get('open')).toEqual({ total: 5, available: 3, held: 2, confirmed: 0 })
      await lock.close()
    } finally {
      await topo.teardown()
    }
  })
})

describe('cluster master restart', () => {
  it('leaves no seat double-held, and holds lost with the node cannot be extended or confirmed', async () => {
    const topo = await redisTopologies(['cluster'])[0]!.start()
    try {
      const prefix = uniquePrefix('cr')
      const lock = lockOn(topo, prefix)
      const cluster = topo.clients[0] as Cluster
      const events = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6']
      // Restart the master that owns e1's slot.
      const slot = keySlot(`{${prefix}:e1}`)
      const ranges = (await cluster.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>
      const port = ranges.find(([from, to]) => slot >= from && slot <= to)![2][1]
      const victim = topo.nodes.find((n) => n.port === port)!

      const pool = seatsOf(40)
      const granted: Hold[] = []
      let stop = false
      const buyers = async () => {
        for (let i = 0; !stop; i++) {
          const eventId = events[i % events.length]!
          const seats = randomSeats(pool, 1 + (i % 3))
          await lock
            .holdSeats({ eventId, seats, owner: `b${i}`, ttlMs: 60_000 })
            .then((h) => granted.push(h))
            .catch(() => {}) // contention, or the node is down
        }
      }
      const running = Array.from({ length: 20 }, buyers)
      await sleep(300)
      await victim.kill()
      await sleep(300)
      await victim.restart()
      // Keep buying until the restarted master grants again (the client needs a moment to reconnect).
      const mark = granted.length
      const deadline = Date.now() + 15_000
      while (Date.now() < deadline && !granted.slice(mark).some((h) => h.eventId === 'e1')) await sleep(100)
      await sleep(300)
      stop = true
      await Promise.all(running)

      // Among holds Redis still has, no seat is in two of them, and Redis agrees seat by seat.
      const live = (await Promise.all(granted.map((h) => lock.get(h.id)))).filter(
        (h): h is Hold => h !== null,
      )
      expect(live.length).toBeGreaterThan(0)
      for (const eventId of events) {
        const holder = new Map<string, string>()
        for (const h of live.filter((x) => x.eventId === eventId)) {
          for (const s of h.seats) {
            expect(holder.has(s), `${eventId}/${s} in two live holds`).toBe(false)
            holder.set(s, h.id)
          }
        }
        for (const seat of pool) {
          expect(await seatHolderInRedis(topo, prefix, eventId, seat)).toBe(holder.get(seat) ?? null)
        }
      }
      // Holds granted before the crash on the restarted master are gone for good: not sellable.
      const lost = granted.filter((h) => h.eventId === 'e1' && !live.some((l) => l.id === h.id))
      expect(lost.length).toBeGreaterThan(0)
      for (const h of lost.slice(0, 5))
        await expect(lock.confirm(h.id)).rejects.toBeInstanceOf(HoldExpiredError)
      // Tokens issued after the restart are still above every token issued before it.
      const e1 = granted.filter((h) => h.eventId === 'e1')
      const maxLost = Math.max(...lost.map((h) => h.token))
      const after = e1.filter((h) => live.some((l) => l.id === h.id) && h.token > maxLost)
      expect(after.length).toBeGreaterThan(0)
      await lock.close()
    } finally {
      await topo.teardown()
    }
  })
})
