/**
 * The pre-queue is shuffled without moving any data: the i-th visitor who joined before the
 * start holds ticket `permute(i)`, a keyed bijection of [0, preCount) drawn when the sale
 * starts. Starting the sale is O(1) whatever the size of the pre-queue, and a position is
 * computed from (index, preCount, keys) by any instance without asking Redis.
 *
 * The bijection is a balanced Feistel network on the smallest even-bit domain covering
 * preCount, with cycle walking back into range. It is not cryptography: it only has to make
 * arrival order useless, with keys nobody knows before the start. The arithmetic stays below
 * 2^53 so that JavaScript numbers and Redis's Lua doubles compute the same tickets; the Lua
 * twin is `L_SHUFFLE` below and the contract suite checks that both agree.
 *
 * The round function must not be (nearly) linear: a Feistel network of affine rounds is affine,
 * and an affine map sends runs of arrivals to lattices of tickets, so the first places come
 * unevenly from the parts of the arrival order (the first version, the top bits of one
 * multiply-add, did: the unit test's χ² check). Each round squares twice modulo the prime
 * 2^31 − 1, which is exact in doubles when one factor is split into 16-bit halves.
 */

/** Feistel rounds; each takes one 21-bit key. */
export const SHUFFLE_ROUNDS = 6

/** Fresh round keys, as the comma-separated string the store keeps with the event. */
export function drawShuffleKeys(): string {
  // Web Crypto (global in Node and browsers): this module is also part of the `./board` entry.
  const words = globalThis.crypto.getRandomValues(new Uint32Array(SHUFFLE_ROUNDS))
  return Array.from(words, (w) => w & (2 ** 21 - 1)).join(',')
}

/** The Mersenne prime 2^31 − 1: the round function's modulus. */
const P = 2147483647

/** a · b mod P for a, b < 2^31, exact in doubles: b split into 16-bit halves keeps each product < 2^47. */
const mulMod = (a: number, b: number) => (((a * Math.floor(b / 65536)) % P) * 65536 + a * (b % 65536)) % P

/** Maps a visitor's join index to its ticket (its place in the admission order), and back. */
export interface Shuffler {
  ticket(index: number): number
  index(ticket: number): number
}

/** Indices and tickets at or above `preCount` (FIFO joiners after the start) map to themselves. */
export function createShuffler(preCount: number, keyString: string): Shuffler {
  const keys = keyString.split(',').map(Number)
  let bits = 0
  while (2 ** bits < preCount) bits++
  const half = Math.max(1, Math.ceil(bits / 2))
  const m = 2 ** half
  const shift = 2 ** (31 - half)
  const mod = (a: number, b: number) => ((a % b) + b) % b
  const f = (x: number, k: number) => {
    let y = (x * 40503 + k) % P
    y = (mulMod(y, y) + k) % P
    y = (mulMod(y, y) + 12345) % P
    return Math.floor(y / shift)
  }
  const enc = (x: number) => {
    let l = Math.floor(x / m)
    let r = x % m
    for (const k of keys) {
      const next = (l + f(r, k)) % m
      l = r
      r = next
    }
    return l * m + r
  }
  const dec = (y: number) => {
    let l = Math.floor(y / m)
    let r = y % m
    for (let i = keys.length - 1; i >= 0; i--) {
      const previous = mod(r - f(l, keys[i]!), m)
      r = l
      l = previous
    }
    return l * m + r
  }
  const walk = (start: number, step: (n: number) => number) => {
    if (start >= preCount) return start
    let n = step(start)
    while (n >= preCount) n = step(n)
    return n
  }
  return { ticket: (i) => walk(i, enc), index: (t) => walk(t, dec) }
}

/** The Lua twin of {@link createShuffler} (same arithmetic, Lua's `%` is already non-negative). */
export const L_SHUFFLE = `
local function shuffler(n, keystr)
  local keys = {}
  for k in string.gmatch(keystr or '', '%d+') do keys[#keys + 1] = tonumber(k) end
  local bits = 0
  while 2 ^ bits < n do bits = bits + 1 end
  local m = 2 ^ math.max(1, math.ceil(bits / 2))
  local shift = 2 ^ (31 - math.max(1, math.ceil(bits / 2)))
  local P = 2147483647
  local function mulmod(a, b)
    return ((a * math.floor(b / 65536)) % P * 65536 + a * (b % 65536)) % P
  end
  local function f(x, k)
    local y = (x * 40503 + k) % P
    y = (mulmod(y, y) + k) % P
    y = (mulmod(y, y) + 12345) % P
    return math.floor(y / shift)
  end
  local function enc(x)
    local l, r = math.floor(x / m), x % m
    for i = 1, #keys do l, r = r, (l + f(r, keys[i])) % m end
    return l * m + r
  end
  local function dec(y)
    local l, r = math.floor(y / m), y % m
    for i = #keys, 1, -1 do l, r = (r - f(l, keys[i])) % m, l end
    return l * m + r
  end
  local function walk(x, step)
    if x >= n then return x end
    local y = step(x)
    while y >= n do y = step(y) end
    return y
  end
  return {
    ticket = function(i) return walk(i, enc) end,
    index = function(t) return walk(t, dec) end,
  }
end`
