import type { CapacityState, NodeHold } from './hold.js'
import type { EventKeys } from './keys.js'

/** What the public API needs from a topology. Arguments are already validated. */
export interface Engine {
  holdSeats(k: EventKeys, hold: HoldRef, seats: string[], owner: string, ttlMs: number): Promise<NodeHold>
  holdUnits(k: EventKeys, hold: HoldRef, quantity: number, owner: string, ttlMs: number): Promise<NodeHold>
  /** false = the hold was already gone (or is confirmed: sold stays sold). */
  release(k: EventKeys, hold: HoldRef, owner: string): Promise<boolean>
  extend(k: EventKeys, hold: HoldRef, ttlMs: number, owner: string): Promise<NodeHold>
  confirm(k: EventKeys, hold: HoldRef, owner: string, retentionMs: number): Promise<NodeHold>
  get(k: EventKeys, hold: HoldId): Promise<NodeHold | null>
  /**
   * What a hold's scripts must be told: its seats (seat hold), null (quantity hold), or
   * undefined when there is no record (expired, released or never there).
   */
  seatsOf(k: EventKeys, hold: HoldId): Promise<readonly string[] | null | undefined>
  freeSeats(k: EventKeys, seats: string[]): Promise<void>
  capacity(k: EventKeys, op: 'set' | 'add' | 'rebuild' | 'get', n: number): Promise<CapacityState>
  removeUnits(k: EventKeys, units: number): Promise<CapacityState>
  /** Number of nodes whose agreement a write needs (1 unless quorum). */
  readonly quorum: number
}

/** A hold as the engines address it: by id, and with the seats whose keys its scripts declare. */
export interface HoldRef {
  readonly id: string
  readonly rand: string
  /** A seat hold's seats, as its record lists them; null for a quantity hold. */
  readonly seats: readonly string[] | null
}

/** What a hold id alone says: enough to read the record, not to run its scripts. */
export type HoldId = Pick<HoldRef, 'id' | 'rand'>

/** ARGV of release/extend/confirm that the scripts check against the record ('' = quantity hold). */
export function seatsArg(hold: HoldRef): string {
  return hold.seats === null ? '' : JSON.stringify(hold.seats)
}

/**
 * A script replied {-5}: the seats we declared are not the hold's. Internal: SeatLock then looks
 * the seats up in Redis and calls again.
 */
export class WrongHoldKeysError extends Error {
  constructor(holdId: string) {
    super(`seat-lock: declared keys do not match hold ${holdId}`)
  }
}

/** Reply status codes shared by every script (see scripts.ts). */
export const OK = 1
export const CONTENDED = 0
export const NOT_OWNER = -1
export const GONE = -2
export const NO_CAPACITY = -3
export const ALREADY_CONFIRMED = -4
export const WRONG_KEYS = -5
