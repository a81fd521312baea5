import { sharedRedis } from '@ticketing/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createMemoryQueueStore,
  createShuffler,
  createWaitingRoom,
  InvalidOptionsError,
} from '../src/index.js'
import { preQueuePollAfter, waitingPollAfter } from '../src/poll.js'
import { drawShuffleKeys, L_SHUFFLE } from '../src/shuffle.js'

describe('shuffle', () => {
  const redis = sharedRedis()
  afterAll(() => redis.quit())

  it.each([1, 2, 3, 7, 64, 1000, 4097])(
    'is a bijection of [0, %i), the same in JavaScript and in Redis Lua',
    async (n) => {
      const keys = drawShuffleKeys()
      const js = createShuffler(n, keys)
      const tickets = Array.from({ length: n }, (_, i) => js.ticket(i))
      expect([...tickets].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i))
      expect(tickets.map((t) => js.index(t))).toEqual(Array.from({ length: n }, (_, i) => i))
      expect(js.ticket(n + 5)).toBe(n + 5) // FIFO joiners after the start keep their index
      const lua = (await redis.eval(
        `${L_SHUFFLE}
local s = shuffler(tonumber(ARGV[1]), ARGV[2])
local out = {}
for i = 0, tonumber(ARGV[1]) - 1 do out[#out + 1] = s.ticket(i) end
for t = 0, tonumber(ARGV[1]) - 1 do out[#out + 1] = s.index(t) end
return out`,
        0,
        n,
        keys,
      )) as number[]
      expect(lua).toEqual([...tickets, ...Array.from({ length: n }, (_, t) => js.index(t))])
    },
  )

  it('draws the first places evenly from every tenth of the arrival order (χ² over 100 draws)', () => {
    // For each of 100 draws (seeded keys: the same every run), the visitors drawn into the first
    // 8 % of 50,000 places (the crowd benchmark's sizes) are counted by tenth of the join order,
    // and the χ² of those counts against an even spread is taken (9 degrees of freedom). Under a
    // uniform shuffle, drawn without replacement, it follows (46,000 / 49,999) × χ²(9): mean
    // 8.28, standard error of the mean of 100 draws 0.39, above 21.67 in 1 draw of 200. A nearly
    // affine round function gives lattices, not a shuffle: the first version's averaged 13.7.
    let seed = 42
    const next = () => {
      seed = (seed + 0x6d2b79f5) >>> 0
      let t = Math.imul(seed ^ (seed >>> 15), seed | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return ((t ^ (t >>> 14)) >>> 0) & (2 ** 21 - 1)
    }
    const n = 50_000
    const first = 4_000
    const statistics = Array.from({ length: 100 }, () => {
      const s = createShuffler(n, Array.from({ length: 6 }, next).join(','))
      const counts = new Array<number>(10).fill(0)
      for (let t = 0; t < first; t++) counts[Math.floor((s.index(t) * 10) / n)]!++
      return counts.reduce((sum, c) => sum + (c - first / 10) ** 2 / (first / 10), 0)
    })
    const mean = statistics.reduce((a, b) => a + b, 0) / statistics.length
    expect(mean).toBeGreaterThan(7.1) // 8.28 ± 3 standard errors
    expect(mean).toBeLessThan(9.5)
    expect(statistics.filter((x) => x > 21.67).length).toBeLessThanOrEqual(4)
  })

  it('large pre-queues stay exact (10 million: indices near the top)', () => {
    const s = createShuffler(10_000_000, drawShuffleKeys())
    for (const i of [0, 1, 9_999_998, 9_999_999]) {
      const t = s.ticket(i)
      expect(t).toBeLessThan(10_000_000)
      expect(s.index(t)).toBe(i)
    }
  })
})

describe('options', () => {
  const store = createMemoryQueueStore()
  const secret = 's'.repeat(32)
  it.each([
    [{ store, secret: 'short' }, /secret/],
    [{ store: {} as never, secret }, /store/],
    [{ store, secret, maxActiveBuyers: 0 }, /maxActiveBuyers/],
    [{ store, secret, admitPerMinute: -1 }, /admitPerMinute/],
    [{ store, secret, unitsPerBuyer: 1.5 }, /unitsPerBuyer/],
    [{ store, secret, health: { slowLatencyMs: 900, pauseLatencyMs: 800 } }, /pause thresholds/],
    [{ store, secret, remaining: 5 as never }, /remaining/],
  ])('rejects %o', (options, message) => {
    expect(() => createWaitingRoom(options as never)).toThrow(InvalidOptionsError)
    expect(() => createWaitingRoom(options as never)).toThrow(message)
  })

  it('rejects a startsAt before opensAt, and bad ids', async () => {
    const room = createWaitingRoom({ store, secret })
    await expect(room.openEvent('e', { opensAt: 2000, startsAt: 1000 })).rejects.toMatchObject({
      code: 'E_INVALID_OPTIONS',
    })
    await room.openEvent('e')
    await expect(room.join('e', '')).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
    await room.close()
    await expect(room.join('e', 'v')).rejects.toMatchObject({ code: 'E_CLOSED' })
  })
})

describe('poll interval', () => {
  const p = { baseMs: 5000, maxIntervalMs: 30_000, startSpreadMs: 15_000, random: () => 0.5 }

  it('grows with the estimated wait, between the base and the cap, under half the claim window', () => {
    expect(waitingPollAfter(p, 2_000, 60_000)).toBe(1000) // near the turn: a second
    expect(waitingPollAfter(p, 12_000, 60_000)).toBe(3000)
    expect(waitingPollAfter(p, 60_000, 60_000)).toBe(15_000) // a quarter of the wait
    expect(waitingPollAfter(p, 3_600_000, 60_000)).toBe(30_000) // far back: the cap
    expect(waitingPollAfter(p, 3_600_000, 20_000)).toBe(10_000) // never half the claim window
    expect(waitingPollAfter(p, null, 60_000)).toBe(5000) // paused: no estimate
  })

  it('sends the pre-queue back at the start, spread over startSpreadMs', () => {
    expect(preQueuePollAfter(p, 10_000, 60_000)).toBe(17_500)
    expect(preQueuePollAfter({ ...p, random: () => 0.99 }, 0, 60_000)).toBe(14_850)
    expect(preQueuePollAfter({ ...p, random: () => 0 }, 10_000, 60_000)).toBe(10_000)
    expect(preQueuePollAfter(p, 3_600_000, 60_000)).toBe(30_000) // an hour early: the cap
    // Jitter past the ceiling: a refresh before the start (not at the 30 s ceiling), so the
    // moment after the start is drawn then, not set by when the waiter joined; the refresh is
    // drawn within the last 15 s before the start (ceiling − spread): 25 s − 0.9 × 15 s.
    expect(preQueuePollAfter({ ...p, random: () => 0.9 }, 25_000, 60_000)).toBe(11_500)
    expect(preQueuePollAfter({ ...p, random: () => 0.99 }, 25_000, 60_000)).toBe(10_150)
    const refreshes = [0.2, 0.5, 0.8].map((r) => preQueuePollAfter({ ...p, random: () => r }, 29_000, 60_000))
    expect(new Set(refreshes).size).toBe(3) // not all at (start − spread): no wave of refreshes
    // A claim window of 20 s makes the ceiling 10 s: the spread is cut to 5 s (half of it), and
    // a waiter 15.5 s early refreshes within the last 5 s before the start (here at the ceiling).
    expect(preQueuePollAfter({ ...p, random: () => 0.99 }, 0, 20_000)).toBe(4950)
    expect(preQueuePollAfter({ ...p, random: () => 0.99 }, 15_500, 20_000)).toBe(10_000)
    expect(preQueuePollAfter({ ...p, random: () => 0.5 }, 12_000, 20_000)).toBe(9500)
    expect(preQueuePollAfter({ ...p, random: () => 0.9 }, 10_000, 60_000)).toBe(23_500)
    expect(preQueuePollAfter({ ...p, random: () => 0 }, -50, 60_000)).toBe(1000) // never at once
  })

  it('is what the room suggests: waiters far back poll less often than those near their turn', async () => {
    const room = createWaitingRoom({ store: createMemoryQueueStore(), secret: 's'.repeat(32) })
    const startsAt = Date.now() + 20_000
    await room.openEvent('e', { admitPerMinute: 60, maxActiveBuyers: 1, startsAt, opensAt: Date.now() })
    const early = await room.join('e', 'early')
    expect(early.status).toBe('pre_queue')
    // The start (in 20 s) plus up to 15 s of spread, within the 30 s cap; past it, a refresh
    // within the last 15 s before the start (between 20 s − 15 s and 20 s).
    const atStart = early.pollAfterMs >= 19_000 && early.pollAfterMs <= 30_000
    const refresh = early.pollAfterMs >= 4_000 && early.pollAfterMs <= 20_000
    expect(atStart || refresh, `pollAfterMs ${early.pollAfterMs}`).toBe(true)
    await room.openEvent('f', { admitPerMinute: 60, maxActiveBuyers: 1 })
    const joins = []
    for (let i = 0; i < 200; i++) joins.push(await room.join('f', `v${i}`))
    const near = joins[2]!
    const far = joins[199]!
    expect(near).toMatchObject({ status: 'waiting', pollAfterMs: 1000 })
    // 200th at one admission a second: a 200 s wait, so the 30 s cap.
    expect(far).toMatchObject({ status: 'waiting', pollAfterMs: 30_000 })
    await room.close()
  })
})
