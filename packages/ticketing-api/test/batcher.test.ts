import { describe, expect, it } from 'vitest'
import { createBatcher } from '../src/sales/batcher.js'

const tick = () => new Promise((r) => setTimeout(r, 5))

describe('group-commit batcher', () => {
  it('commits at once when idle, and batches what arrives during a commit', async () => {
    const batches: number[][] = []
    const b = createBatcher<number, number>({
      maxSize: 100,
      commit: async (_key, items) => {
        batches.push(items)
        await tick()
        return items.map((i) => i * 2)
      },
    })
    const first = b.submit(1, 0)
    const rest = Array.from({ length: 10 }, (_, i) => b.submit(1, i + 1))
    expect(await first).toBe(0)
    expect(await Promise.all(rest)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20])
    expect(batches).toEqual([[0], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]])
  })

  it('caps batches at maxSize, keeps keys independent, one commit per key in flight', async () => {
    let inFlight = 0
    let maxInFlightPerKey = 0
    const perKey = new Map<number, number>()
    const sizes: number[] = []
    const b = createBatcher<number, number>({
      maxSize: 3,
      commit: async (key, items) => {
        perKey.set(key, (perKey.get(key) ?? 0) + 1)
        maxInFlightPerKey = Math.max(maxInFlightPerKey, perKey.get(key)!)
        inFlight++
        sizes.push(items.length)
        await tick()
        inFlight--
        perKey.set(key, perKey.get(key)! - 1)
        return items
      },
    })
    const all = [
      ...Array.from({ length: 10 }, (_, i) => b.submit(1, i)),
      ...Array.from({ length: 4 }, (_, i) => b.submit(2, i)),
    ]
    await Promise.all(all)
    await b.drain()
    expect(maxInFlightPerKey).toBe(1)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3)
    expect(sizes.reduce((a, n) => a + n, 0)).toBe(14)
    expect(inFlight).toBe(0)
  })

  it('fails every item of a failed batch and keeps serving the key', async () => {
    let fail = true
    const b = createBatcher<number, number>({
      commit: async (_key, items) => {
        await tick()
        if (fail) throw new Error('db down')
        return items
      },
    })
    await expect(b.submit(7, 1)).rejects.toThrow('db down')
    fail = false
    expect(await b.submit(7, 2)).toBe(2)
  })

  it('waits up to maxWaitMs for company when configured', async () => {
    const sizes: number[] = []
    const b = createBatcher<number, number>({
      maxWaitMs: 30,
      commit: async (_key, items) => {
        sizes.push(items.length)
        return items
      },
    })
    const p = [b.submit(1, 1)]
    await tick()
    p.push(b.submit(1, 2))
    await Promise.all(p)
    expect(sizes).toEqual([2])
    expect(() => createBatcher({ maxSize: 0, commit: async () => [] })).toThrow(/maxSize/)
  })
})
