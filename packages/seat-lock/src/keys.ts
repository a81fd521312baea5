import { randomBytes } from 'node:crypto'
import { CrossSlotError, InvalidArgumentError } from './errors.js'

/**
 * Key scheme. Every key of an event shares the hash tag `{<prefix>:<eventId>}`, so that a
 * script touching seats, holds, the fencing counter and GA capacity of one event always runs on
 * one Redis Cluster slot:
 *
 *   {p:e}:fence   INCR counter (fencing tokens)     {p:e}:h:<rand>  hold record (hash)
 *   {p:e}:s:<seat> seat -> hold id (PXAT / none)    {p:e}:cap       GA totals (hash)
 *   {p:e}:ufree   free GA unit ids (set)            {p:e}:uexp      held unit -> expiry (zset)
 *   {p:e}:uown    held/confirmed unit -> hold id    (hash)
 */
export interface EventKeys {
  readonly eventId: string
  readonly fence: string
  readonly cap: string
  readonly free: string
  readonly exp: string
  readonly own: string
  readonly seatPrefix: string
  readonly holdPrefix: string
}

/** Ids that become part of keys and hold ids: no braces (hash tags), no '.' (hold id separator). */
const ID = /^[A-Za-z0-9_:-]{1,64}$/
/** Seat labels like `A-12`, `S1/R4/7`, `floor#3`. */
const SEAT = /^[A-Za-z0-9_:#/-][A-Za-z0-9_:#/.-]{0,63}$/

export function assertEventId(eventId: unknown): asserts eventId is string {
  if (typeof eventId !== 'string' || !ID.test(eventId)) {
    throw new InvalidArgumentError(`eventId must match ${ID} (got ${JSON.stringify(eventId)})`)
  }
}

export function assertSeat(seat: unknown): asserts seat is string {
  if (typeof seat !== 'string' || !SEAT.test(seat)) {
    throw new InvalidArgumentError(`seat ids must match ${SEAT} (got ${JSON.stringify(seat)})`)
  }
}

export function eventKeys(prefix: string, eventId: string): EventKeys {
  const tag = `{${prefix}:${eventId}}`
  return {
    eventId,
    fence: `${tag}:fence`,
    cap: `${tag}:cap`,
    free: `${tag}:ufree`,
    exp: `${tag}:uexp`,
    own: `${tag}:uown`,
    seatPrefix: `${tag}:s:`,
    holdPrefix: `${tag}:h:`,
  }
}

/** The quantity layout (see scripts.ts): record, fence and the event's GA structures. */
export function baseKeys(k: EventKeys, holdRand: string): string[] {
  return [k.holdPrefix + holdRand, k.fence, k.cap, k.free, k.exp, k.own]
}

/**
 * Every key a hold's scripts touch, in the order the Lua expects: record, fence, then the seat
 * keys of a seat hold, or the GA structures of a quantity hold (`seats` null).
 */
export function holdKeys(k: EventKeys, holdRand: string, seats: readonly string[] | null): string[] {
  if (seats === null) return baseKeys(k, holdRand)
  const keys = [k.holdPrefix + holdRand, k.fence]
  for (const seat of seats) keys.push(k.seatPrefix + seat)
  return keys
}

/**
 * A hold id is `<eventId>.<random>`: it names the event (so any process can find the hold's
 * record from the id alone) plus 96 random bits (so ids cannot be guessed or collide). Returns
 * the new hold's reference (see HoldRef), built in one literal: the hot path avoids spreads.
 */
export function newHoldId(
  eventId: string,
  seats: readonly string[] | null,
): { id: string; rand: string; seats: readonly string[] | null } {
  // One crypto call per 256 ids: randomBytes has a fixed cost that shows on the hot path.
  if (poolOffset + 12 > pool.length) {
    pool = randomBytes(12 * 256)
    poolOffset = 0
  }
  const rand = pool.toString('base64url', poolOffset, poolOffset + 12)
  poolOffset += 12
  return { id: `${eventId}.${rand}`, rand, seats }
}
let pool = Buffer.alloc(0)
let poolOffset = 0

const RAND = /^[A-Za-z0-9_-]{16}$/

export function parseHoldId(holdId: unknown): { eventId: string; rand: string } {
  if (typeof holdId === 'string') {
    const dot = holdId.indexOf('.')
    const eventId = holdId.slice(0, dot)
    const rand = holdId.slice(dot + 1)
    if (dot > 0 && ID.test(eventId) && RAND.test(rand)) return { eventId, rand }
  }
  throw new InvalidArgumentError(`not a hold id: ${JSON.stringify(holdId)}`)
}

/** CRC16/XMODEM, the function Redis Cluster uses to map keys to its 16384 slots. */
function crc16(s: string): number {
  let crc = 0
  for (const byte of Buffer.from(s)) {
    crc ^= byte << 8
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
  }
  return crc
}

export function keySlot(key: string): number {
  const open = key.indexOf('{')
  if (open >= 0) {
    const close = key.indexOf('}', open + 1)
    if (close > open + 1) key = key.slice(open + 1, close)
  }
  return crc16(key) % 16384
}

/**
 * Refuses, before any write, a call whose keys would span cluster slots. With the built-in key
 * scheme this cannot happen (one hash tag per event); the guard keeps it that way if the scheme
 * ever changes, instead of Redis failing half-way through a multi-key operation.
 */
export function assertOneSlot(keys: readonly string[]): void {
  if (keys.length < 2) return
  const slot = keySlot(keys[0]!)
  for (const key of keys) if (keySlot(key) !== slot) throw new CrossSlotError(keys)
}
