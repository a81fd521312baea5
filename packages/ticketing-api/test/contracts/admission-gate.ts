// The AdmissionGate contract: every adapter (memory, seat-lock on Redis) passes it.
import { describe, expect, it } from 'vitest'
import { type AdmissionGate, CapacityUnknownError, NotAdmittedError } from '../../src/sales/ports.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let nextEvent = Math.floor(Math.random() * 1e9)

export function registerAdmissionGateContract(
  name: string,
  make: () => AdmissionGate | Promise<AdmissionGate>,
) {
  describe(`AdmissionGate contract: ${name}`, () => {
    const admit = (gate: AdmissionGate, eventId: number, quantity: number, ttlMs = 60_000) =>
      gate.admit({ eventId, quantity, owner: 'buyer', ttlMs })

    it('admits within capacity and refuses past it, saying how many remain', async () => {
      const gate = await make()
      const eventId = ++nextEvent
      await gate.setCapacity(eventId, 5)
      const a = await admit(gate, eventId, 3)
      expect(a.quantity).toBe(3)
      const refused = await admit(gate, eventId, 3).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(NotAdmittedError)
      expect(refused).toMatchObject({ requested: 3, available: 2 })
      expect(await gate.state(eventId)).toEqual({ available: 2, admitted: 3 })
    })

    it('gives strictly increasing fencing tokens per event', async () => {
      const gate = await make()
      const eventId = ++nextEvent
      await gate.setCapacity(eventId, 10)
      const tokens = []
      for (let i = 0; i < 4; i++) tokens.push((await admit(gate, eventId, 1)).token)
      expect([...tokens].sort((x, y) => x - y)).toEqual(tokens)
      expect(new Set(tokens).size).toBe(4)
    })

    it('has no counter for an event it was never told of', async () => {
      const gate = await make()
      await expect(admit(gate, ++nextEvent, 1)).rejects.toBeInstanceOf(CapacityUnknownError)
      expect(await gate.state(nextEvent)).toBeNull()
    })

    it('confirm keeps the units taken; release and expiry return them', async () => {
      const gate = await make()
      const eventId = ++nextEvent
      await gate.setCapacity(eventId, 6)
      const kept = await admit(gate, eventId, 2)
      const released = await admit(gate, eventId, 2)
      await admit(gate, eventId, 2, 100)
      await gate.confirm(kept)
      await gate.release(released)
      await sleep(250)
      expect(await gate.state(eventId)).toEqual({ available: 4, admitted: 0 })
    })

    it('add puts units back on sale; rebuild counts live admissions against the committed figure', async () => {
      const gate = await make()
      const eventId = ++nextEvent
      await gate.setCapacity(eventId, 4)
      await gate.confirm(await admit(gate, eventId, 3))
      await gate.add(eventId, 2)
      expect(await gate.state(eventId)).toEqual({ available: 3, admitted: 0 })
      await admit(gate, eventId, 1)
      await gate.rebuild(eventId, 3)
      expect(await gate.state(eventId)).toEqual({ available: 2, admitted: 1 })
    })
  })
}
