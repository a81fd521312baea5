// The HoldIndex contract: every adapter (memory, Redis) passes it.
import { describe, expect, it } from 'vitest'
import type { ListedHold } from '../../src/seating/model.js'
import type { HoldIndex } from '../../src/seating/ports.js'

let nextEvent = Math.floor(Math.random() * 1e9)

export function registerHoldIndexContract(name: string, make: () => HoldIndex | Promise<HoldIndex>) {
  describe(`HoldIndex contract: ${name}`, () => {
    const listed = (
      eventId: number,
      owner: string,
      seats: string[],
      expiresAt = Date.now() + 60_000,
    ): ListedHold => ({
      id: `${eventId}.${crypto.randomUUID().slice(0, 16)}`,
      eventId,
      owner,
      seats,
      expiresAt,
    })

    it('lists live holds and counts each owner’s held seats', async () => {
      const index = await make()
      const eventId = ++nextEvent
      const a = listed(eventId, 'ann', ['A-1', 'A-2'])
      const b = listed(eventId, 'ann', ['A-3'])
      await index.add(a)
      await index.add(b)
      await index.add(listed(eventId, 'bob', ['B-1']))
      expect((await index.list(eventId)).map((h) => h.id).sort()).toEqual(
        expect.arrayContaining([a.id, b.id].sort()),
      )
      expect(await index.heldBy(eventId, 'ann')).toBe(3)
      expect(await index.heldBy(eventId, 'cid')).toBe(0)
    })

    it('removes a hold for exactly one caller', async () => {
      const index = await make()
      const eventId = ++nextEvent
      const a = listed(eventId, 'ann', ['A-1'])
      await index.add(a)
      const [first, second] = await Promise.all([index.remove(eventId, a.id), index.remove(eventId, a.id)])
      expect([first, second].filter(Boolean)).toEqual([a])
      expect(await index.heldBy(eventId, 'ann')).toBe(0)
      expect(await index.list(eventId)).toEqual([])
    })

    it('sweeps expired holds once, leaving live ones', async () => {
      const index = await make()
      const eventId = ++nextEvent
      const old = listed(eventId, 'ann', ['A-1'], Date.now() - 1000)
      const live = listed(eventId, 'ann', ['A-2'])
      await index.add(old)
      await index.add(live)
      const [one, two] = await Promise.all([index.sweep(), index.sweep()])
      const swept = [...one, ...two].filter((h) => h.eventId === eventId)
      expect(swept).toEqual([old])
      expect((await index.list(eventId)).map((h) => h.id)).toEqual([live.id])
      expect(await index.heldBy(eventId, 'ann')).toBe(1)
    })
  })
}
