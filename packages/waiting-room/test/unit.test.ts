import { sharedRedis } from '@ticketing/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import {
  createMemoryQueueStore,
  createShuffler,
  createWaitingRoom,
  InvalidOptionsError,
} from '../src/index.js'
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
