import { type RedisTopology, redisTopologies, uniquePrefix } from '@ticketing/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CapacityNotSetError,
  type Hold,
  HoldExpiredError,
  InsufficientCapacityError,
  NotOwnerError,
  type SeatLock,
  SeatsUnavailableError,
} from '../src/index.js'
import { lockOn, randomSeats, seatHolderInRedis, seatsOf, sleep } from './helpers.js'

// One contract, every topology: single node, quorum of 3 and 5 independent nodes, 3-master cluster.
describe.each(redisTopologies())('seat-lock on $name', (spec) => {
  let topo: RedisTopology
  let prefix: string
  let lock: SeatLock
  let n = 0
  const event = () => `ev${++n}`

  beforeAll(async () => {
    topo = await spec.start()
    prefix = uniquePrefix('sl')
    // A generous contention budget: on a loaded 2-core box 1,000 buyers on a quorum take seconds.
    lock = lockOn(topo, prefix, { quorumContentionBudgetMs: 30_000 })
  })
  afterAll(async () => {
    await lock?.close()
    await topo?.teardown()
  })

  it('holds seats all-or-nothing, with increasing fencing tokens and server-clock expiry', async () => {
    const eventId = event()
    const before = Date.now()
    const a = await lock.holdSeats({ eventId, seats: ['A1', 'A2'], owner: 'alice', ttlMs: 5_000 })
    expect(a).toMatchObject({
      eventId,
      owner: 'alice',
      kind: 'seats',
      seats: ['A1', 'A2'],
      quantity: 2,
      status: 'held',
    })
    expect(a.id.startsWith(`${eventId}.`)).toBe(true)
    expect(a.validUntil).toBeLessThanOrEqual(Date.now() + 5_000)
    expect(a.validUntil).toBeGreaterThanOrEqual(before + 5_000 - 52 - 2)
    expect(Math.abs(a.expiresAt - (before + 5_000))).toBeLessThan(2_000)

    const err = await lock
      .holdSeats({ eventId, seats: ['A3', 'A2', 'A4', 'A1'], owner: 'bob' })
      .catch((e) => e)
    expect(err).toBeInstanceOf(SeatsUnavailableError)
    expect(err.code).toBe('E_SEATS_UNAVAILABLE')
    expect(err.seats).toEqual(['A2', 'A1'])
    // Nothing partial: A3 and A4 were not taken by the failed request.
    const b = await lock.holdSeats({ eventId, seats: ['A3', 'A4'], owner: 'bob' })
    expect(b.token).toBeGreaterThan(a.token)
    expect(await seatHolderInRedis(topo, prefix, eventId, 'A3')).toBe(b.id)
  })

  it('expires by TTL; extend keeps a hold alive; extending a lapsed hold is E_HOLD_EXPIRED', async () => {
    const eventId = event()
    const short = await lock.holdSeats({ eventId, seats: ['B1'], owner: 'alice', ttlMs: 250 })
    const kept = await lock.holdSeats({ eventId, seats: ['B2'], owner: 'alice', ttlMs: 250 })
    await sleep(100)
    const extended = await lock.extend(kept.id, 2_000, 'alice')
    expect(extended.expiresAt).toBeGreaterThan(kept.expiresAt)
    await sleep(300)
    expect(await lock.get(short.id)).toBeNull()
    await expect(lock.extend(short.id, 1_000)).rejects.toBeInstanceOf(HoldExpiredError)
    await expect(lock.confirm(short.id)).rejects.toMatchObject({ code: 'E_HOLD_EXPIRED' })
    expect(await lock.release(short.id)).toBe(false)
    // B1 is back on sale, B2 is not.
    await lock.holdSeats({ eventId, seats: ['B1'], owner: 'bob' })
    await expect(lock.holdSeats({ eventId, seats: ['B2'], owner: 'bob' })).rejects.toMatchObject({
      seats: ['B2'],
    })
  })

  it('checks the owner in Lua and is idempotent on release/extend/confirm', async () => {
    const eventId = event()
    const h = await lock.holdSeats({ eventId, seats: ['C1'], owner: 'alice' })
    await expect(lock.release(h.id, 'mallory')).rejects.toBeInstanceOf(NotOwnerError)
    await expect(lock.release(h.id, 'mallory')).rejects.toMatchObject({ code: 'E_NOT_OWNER' })
    await expect(lock.extend(h.id, 1_000, 'mallory')).rejects.toMatchObject({ code: 'E_NOT_OWNER' })
    await expect(lock.confirm(h.id, 'mallory')).rejects.toMatchObject({ code: 'E_NOT_OWNER' })
    expect(await seatHolderInRedis(topo, prefix, eventId, 'C1')).toBe(h.id)
    await lock.extend(h.id, 3_000, 'alice')
    await lock.extend(h.id, 3_000, 'alice')
    expect(await lock.release(h.id, 'alice')).toBe(true)
    expect(await lock.release(h.id, 'alice')).toBe(false)
    expect(await lock.release(`${eventId}.AAAAAAAAAAAAAAAA`)).toBe(false)
    expect(await seatHolderInRedis(topo, prefix, eventId, 'C1')).toBeNull()

    const c = await lock.holdSeats({ eventId, seats: ['C2'], owner: 'alice', ttlMs: 300 })
    const c1 = await lock.confirm(c.id, 'alice')
    const c2 = await lock.confirm(c.id)
    expect(c1.status).toBe('confirmed')
    expect(c2).toMatchObject({ status: 'confirmed', token: c.token })
    await sleep(400)
    // Sold seats do not expire, and release does not unsell them.
    expect(await lock.release(c.id)).toBe(false)
    await expect(lock.holdSeats({ eventId, seats: ['C2'], owner: 'bob' })).rejects.toBeInstanceOf(
      SeatsUnavailableError,
    )
    await lock.freeSeats(eventId, ['C2'])
    await lock.holdSeats({ eventId, seats: ['C2'], owner: 'bob' })
  })

  it('hands a hold off by id to another SeatLock instance (another process)', async () => {
    const eventId = event()
    const other = lockOn(topo, prefix)
    const h = await lock.holdSeats({ eventId, seats: ['D1', 'D2'], owner: 'alice', ttlMs: 1_000 })
    const id = JSON.parse(JSON.stringify(h)).id as string
    expect(await other.get(id)).toMatchObject({ id, owner: 'alice', seats: ['D1', 'D2'], token: h.token })
    const ext = await other.extend(id, 5_000, 'alice')
    expect(ext.expiresAt).toBeGreaterThan(h.expiresAt)
    expect((await other.confirm(id, 'alice')).status).toBe('confirmed')
    expect((await lock.get(id))?.status).toBe('confirmed')
    const q = await lock.holdSeats({ eventId, seats: ['D3'], owner: 'alice' })
    expect(await other.release(q.id)).toBe(true)
    await other.close()
  })

  it('never puts a seat in two live holds: 1,000 concurrent overlapping multi-seat holds over 100 seats', async () => {
    const eventId = event()
    const pool = seatsOf(100)
    const results = await Promise.allSettled(
      Array.from({ length: 1_000 }, (_, i) =>
        lock.holdSeats({ eventId, seats: randomSeats(pool, 1 + (i % 4)), owner: `buyer${i}`, ttlMs: 20_000 }),
      ),
    )
    const granted = results
      .filter((r): r is PromiseFulfilledResult<Hold> => r.status === 'fulfilled')
      .map((r) => r.value)
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(SeatsUnavailableError)
    }
    // Grant log: no seat granted twice.
    const holderOf = new Map<string, string>()
    for (const h of granted) {
      for (const s of h.seats) {
        expect(holderOf.has(s), `seat ${s} granted twice`).toBe(false)
        holderOf.set(s, h.id)
      }
    }
    expect(granted.length).toBeGreaterThan(20)
    expect(new Set(granted.map((h) => h.token)).size).toBe(granted.length)
    // Redis state: each seat held by exactly the hold the log says, and no other seat is held.
    for (const seat of pool) {
      expect(await seatHolderInRedis(topo, prefix, eventId, seat)).toBe(holderOf.get(seat) ?? null)
    }
  })

  it('grants exactly the capacity: 1,000 concurrent quantity holds against 300 units', async () => {
    const eventId = event()
    await lock.capacity.set(eventId, 300)
    const results = await Promise.allSettled(
      Array.from({ length: 1_000 }, (_, i) =>
        lock.holdQuantity({ eventId, quantity: 1, owner: `b${i}`, ttlMs: 30_000 }),
      ),
    )
    const granted = results.filter((r) => r.status === 'fulfilled')
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(InsufficientCapacityError)
    }
    expect(granted.length).toBe(300)
    // Redis state: every granted hold owns exactly one unit on a majority, no unit has two owners.
    const owners = await Promise.all(topo.clients.map((c) => c.hgetall(`{${prefix}:${eventId}}:uown`)))
    const quorum = Math.floor(owners.length / 2) + 1
    const holderOf = new Map<string, string>()
    for (const unit of new Set(owners.flatMap((o) => Object.keys(o)))) {
      const votes = new Map<string, number>()
      for (const o of owners) if (o[unit]) votes.set(o[unit]!, (votes.get(o[unit]!) ?? 0) + 1)
      for (const [holdId, n] of votes) if (n >= quorum) holderOf.set(unit, holdId)
    }
    const ids = granted.map((r) => (r as PromiseFulfilledResult<Hold>).value.id)
    expect([...holderOf.values()].sort()).toEqual([...ids].sort())
    expect(await lock.capacity.get(eventId)).toEqual({ total: 300, available: 0, held: 300, confirmed: 0 })
    await expect(lock.holdQuantity({ eventId, quantity: 1, owner: 'late' })).rejects.toMatchObject({
      code: 'E_INSUFFICIENT_CAPACITY',
      requested: 1,
      available: 0,
    })
  })

  it('quantity holds: expiry returns units, confirm consumes them, capacity add/remove/rebuild', async () => {
    const eventId = event()
    await expect(lock.holdQuantity({ eventId, quantity: 1, owner: 'a' })).rejects.toBeInstanceOf(
      CapacityNotSetError,
    )
    expect(await lock.capacity.get(eventId)).toBeNull()
    await lock.capacity.set(eventId, 10)
    const a = await lock.holdQuantity({ eventId, quantity: 4, owner: 'a', ttlMs: 250 })
    expect(a).toMatchObject({ kind: 'quantity', quantity: 4, seats: [] })
    const b = await lock.holdQuantity({ eventId, quantity: 3, owner: 'b', ttlMs: 10_000 })
    expect(b.token).toBeGreaterThan(a.token)
    await expect(lock.holdQuantity({ eventId, quantity: 4, owner: 'c' })).rejects.toMatchObject({
      available: 3,
    })
    await sleep(350)
    expect(await lock.capacity.get(eventId)).toEqual({ total: 10, available: 7, held: 3, confirmed: 0 })
    await lock.confirm(b.id, 'b')
    expect(await lock.capacity.get(eventId)).toEqual({ total: 10, available: 7, held: 0, confirmed: 3 })
    const c = await lock.holdQuantity({ eventId, quantity: 2, owner: 'c' })
    expect(await lock.release(c.id, 'c')).toBe(true)
    expect(await lock.capacity.add(eventId, 5)).toEqual({ total: 15, available: 12, held: 0, confirmed: 3 })
    expect(await lock.capacity.remove(eventId, 2)).toEqual({
      total: 13,
      available: 10,
      held: 0,
      confirmed: 3,
    })
    await expect(lock.capacity.remove(eventId, 11)).rejects.toMatchObject({
      code: 'E_INSUFFICIENT_CAPACITY',
      available: 10,
    })
    await lock.holdQuantity({ eventId, quantity: 2, owner: 'd' })
    // The DB says 6 seats are unsold; 2 are in a live hold, so 4 are free.
    expect(await lock.capacity.rebuild(eventId, 6)).toEqual({ total: 6, available: 4, held: 2, confirmed: 0 })
  })

  it('auto-extends a hold until disposed, with `await using`', async () => {
    const eventId = event()
    const h = await lock.holdSeats({ eventId, seats: ['E1'], owner: 'alice', ttlMs: 300 })
    {
      await using ext = lock.autoExtend(h, { ttlMs: 300, thresholdMs: 150 })
      await sleep(800)
      expect(ext.signal.aborted).toBe(false)
      expect(ext.hold.expiresAt).toBeGreaterThan(h.expiresAt)
      expect(await seatHolderInRedis(topo, prefix, eventId, 'E1')).toBe(h.id)
    }
    await sleep(450)
    expect(await seatHolderInRedis(topo, prefix, eventId, 'E1')).toBeNull()
  })

  it('aborts the auto-extension signal when the hold is lost', async () => {
    const eventId = event()
    const h = await lock.holdSeats({ eventId, seats: ['F1'], owner: 'alice', ttlMs: 400 })
    const ext = lock.autoExtend(h, { thresholdMs: 200 })
    await lock.release(h.id)
    await sleep(400)
    expect(ext.signal.aborted).toBe(true)
    expect(ext.signal.reason).toBeInstanceOf(HoldExpiredError)
    await ext.stop()
  })

  it('emits acquired, conflicted, extended, confirmed, released and expired', async () => {
    const eventId = event()
    const seen: string[] = []
    const names = ['acquired', 'conflicted', 'extended', 'confirmed', 'released', 'expired'] as const
    const listeners = names.map((name) => [name, () => seen.push(name)] as const)
    for (const [name, fn] of listeners) lock.on(name, fn)
    try {
      const h = await lock.holdSeats({ eventId, seats: ['G1'], owner: 'a' })
      await lock.holdSeats({ eventId, seats: ['G1'], owner: 'b' }).catch(() => {})
      await lock.extend(h.id, 1_000)
      await lock.confirm(h.id)
      const r = await lock.holdSeats({ eventId, seats: ['G2'], owner: 'a' })
      await lock.release(r.id)
      await lock.extend(r.id, 1_000).catch(() => {})
    } finally {
      for (const [name, fn] of listeners) lock.off(name, fn)
    }
    expect(seen).toEqual([
      'acquired',
      'conflicted',
      'extended',
      'confirmed',
      'acquired',
      'released',
      'expired',
    ])
  })
})
