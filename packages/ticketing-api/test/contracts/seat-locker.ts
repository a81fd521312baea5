// The SeatLocker contract: every adapter (memory, seat-lock on Redis) passes it.
import { describe, expect, it } from 'vitest'
import { SeatsTakenError } from '../../src/seating/model.js'
import type { SeatLocker } from '../../src/seating/ports.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let nextEvent = Math.floor(Math.random() * 1e9)

export function registerSeatLockerContract(name: string, make: () => SeatLocker | Promise<SeatLocker>) {
  describe(`SeatLocker contract: ${name}`, () => {
    const hold = (locker: SeatLocker, eventId: number, seats: string[], owner = 'ann', ttlMs = 60_000) =>
      locker.hold({ eventId, seats, owner, ttlMs })

    it('holds all or nothing, naming exactly the seats that are taken', async () => {
      const locker = await make()
      const eventId = ++nextEvent
      const a = await hold(locker, eventId, ['A-1', 'A-2'])
      expect(a).toMatchObject({ eventId, owner: 'ann', seats: ['A-1', 'A-2'], status: 'held' })
      const refused = await hold(locker, eventId, ['A-2', 'A-3', 'A-1'], 'bob').catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(SeatsTakenError)
      expect([...(refused as SeatsTakenError).seats].sort()).toEqual(['A-1', 'A-2'])
      // Nothing of the refused hold was taken: A-3 is free.
      expect((await hold(locker, eventId, ['A-3'], 'bob')).seats).toEqual(['A-3'])
    })

    it('gives strictly increasing fencing tokens per event', async () => {
      const locker = await make()
      const eventId = ++nextEvent
      const t1 = (await hold(locker, eventId, ['B-1'])).token
      const t2 = (await hold(locker, eventId, ['B-2'])).token
      expect(t2).toBeGreaterThan(t1)
    })

    it('reads a live hold; release frees its seats once, and only for its owner', async () => {
      const locker = await make()
      const eventId = ++nextEvent
      const h = await hold(locker, eventId, ['C-1'])
      expect(await locker.get(h.id)).toMatchObject({ id: h.id, seats: ['C-1'], status: 'held' })
      expect(await locker.release(h.id, 'mallory')).toBe(false)
      expect(await locker.release(h.id, 'ann')).toBe(true)
      expect(await locker.release(h.id, 'ann')).toBe(false)
      expect(await locker.get(h.id)).toBeNull()
      expect((await hold(locker, eventId, ['C-1'], 'bob')).owner).toBe('bob')
    })

    it('an expired hold is gone and its seats can be held again', async () => {
      const locker = await make()
      const eventId = ++nextEvent
      const h = await hold(locker, eventId, ['D-1'], 'ann', 100)
      await sleep(250)
      expect(await locker.get(h.id)).toBeNull()
      expect((await hold(locker, eventId, ['D-1'], 'bob')).owner).toBe('bob')
    })

    it('a confirmed hold keeps its seats sold until they are freed', async () => {
      const locker = await make()
      const eventId = ++nextEvent
      const h = await hold(locker, eventId, ['E-1', 'E-2'], 'ann', 1_000)
      await locker.confirm(h.id, 'ann')
      expect(await locker.get(h.id)).toMatchObject({ status: 'confirmed' })
      expect(await locker.release(h.id, 'ann')).toBe(false)
      await expect(hold(locker, eventId, ['E-1'], 'bob')).rejects.toBeInstanceOf(SeatsTakenError)
      await locker.free(eventId, ['E-1'])
      expect((await hold(locker, eventId, ['E-1'], 'bob')).seats).toEqual(['E-1'])
      await expect(hold(locker, eventId, ['E-2'], 'bob')).rejects.toBeInstanceOf(SeatsTakenError)
    })

    it('cannot confirm a hold that is gone', async () => {
      const locker = await make()
      const h = await hold(locker, ++nextEvent, ['F-1'])
      await locker.release(h.id, 'ann')
      await expect(locker.confirm(h.id, 'ann')).rejects.toThrow()
    })
  })
}
