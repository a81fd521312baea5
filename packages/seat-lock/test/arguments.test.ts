import { startRedis } from '@ticketing/testkit'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { createSeatLock, InvalidArgumentError, ReplicationTimeoutError, type SeatLock } from '../src/index.js'
import { keySlot } from '../src/keys.js'

describe('bad arguments are rejected before any Redis call', () => {
  // A client that never connects: any command would flip its status away from 'wait'.
  const client = new Redis({ lazyConnect: true, port: 1 })
  const lock: SeatLock = createSeatLock({ redis: client, maxSeatsPerHold: 4 })
  afterAll(() => client.disconnect())

  const seats = (s: string[], extra: object = {}) => ({ eventId: 'e1', seats: s, owner: 'o', ...extra })
  it.each([
    ['an empty seat list', seats([])],
    ['an oversized seat list', seats(['A1', 'A2', 'A3', 'A4', 'A5'])],
    ['a duplicate seat', seats(['A1', 'A2', 'A1'])],
    ['a seat id with braces', seats(['{A1}'])],
    ['a non-integer TTL', seats(['A1'], { ttlMs: 1.5 })],
    ['a negative TTL', seats(['A1'], { ttlMs: -1 })],
    ['a zero TTL', seats(['A1'], { ttlMs: 0 })],
    ['a TTL over maxTtlMs', seats(['A1'], { ttlMs: 3_600_001 })],
    ['an event id with a dot', seats(['A1'], { eventId: 'e.1' })],
    ['an empty owner', seats(['A1'], { owner: '' })],
  ])('holdSeats: %s', async (_, req) => {
    await expect(lock.holdSeats(req as never)).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(client.status).toBe('wait')
  })

  it.each([0, -2, 2.5, 21, Number.NaN])('holdQuantity: quantity %s', async (quantity) => {
    await expect(lock.holdQuantity({ eventId: 'e1', quantity, owner: 'o' })).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    })
    expect(client.status).toBe('wait')
  })

  it('hold ids, TTLs and capacities', async () => {
    await expect(lock.release('nope')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(lock.extend('e1.AAAAAAAAAAAAAAAA', 0)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(lock.confirm('e1.short')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(lock.get('{x}.AAAAAAAAAAAAAAAA')).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(lock.capacity.set('e1', -1)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(lock.capacity.add('e1', 0)).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(lock.freeSeats('e1', [])).rejects.toBeInstanceOf(InvalidArgumentError)
    expect(client.status).toBe('wait')
  })

  it('invalid options are rejected by the factory', () => {
    expect(() => createSeatLock({ redis: [client, client] as never })).toThrow(/at least 3/)
    expect(() => createSeatLock({ redis: {} as never })).toThrow(InvalidArgumentError)
    expect(() => createSeatLock({ redis: client, prefix: 'a{b}' })).toThrow(/prefix/)
    expect(() => createSeatLock({ redis: client, defaultTtlMs: 0 })).toThrow(/defaultTtlMs/)
    expect(() => createSeatLock({ redis: client, driftFactor: 2 })).toThrow(/driftFactor/)
    expect(() => createSeatLock({ redis: client, retry: { attempts: -1 } })).toThrow(/retry.attempts/)
  })

  it('keys of one event share one cluster slot (the cross-slot guard has nothing to refuse)', () => {
    const slot = keySlot('{seat-lock:e1}:s:A1')
    expect(keySlot('{seat-lock:e1}:fence')).toBe(slot)
    expect(keySlot('{seat-lock:e1}:h:xyz')).toBe(slot)
    expect(keySlot('foo')).toBe(12182) // CLUSTER KEYSLOT foo
  })
})

describe('primary + replica with waitForReplicas', () => {
  it('acknowledged holds succeed; unacknowledged ones are rolled back with E_REPLICATION_TIMEOUT', async () => {
    const primary = await startRedis()
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] })
    try {
      const client = primary.client()
      const lock = createSeatLock({
        redis: client,
        prefix: 'w',
        waitForReplicas: { replicas: 1, timeoutMs: 2_000 },
      })
      const r = replica.client()
      for (let i = 0; i < 100 && !(await r.info('replication')).includes('master_link_status:up'); i++) {
        await new Promise((res) => setTimeout(res, 100))
      }
      const h = await lock.holdSeats({ eventId: 'e1', seats: ['A1'], owner: 'o' })
      expect(await r.get('{w:e1}:s:A1')).toBe(h.id) // WAIT returned, so the replica has it
      const strict = createSeatLock({
        redis: client,
        prefix: 'w',
        waitForReplicas: { replicas: 2, timeoutMs: 100 },
      })
      await expect(strict.holdSeats({ eventId: 'e1', seats: ['A2'], owner: 'o' })).rejects.toBeInstanceOf(
        ReplicationTimeoutError,
      )
      expect(await client.get('{w:e1}:s:A2')).toBeNull()
    } finally {
      await replica.stop()
      await primary.stop()
    }
  })
})
