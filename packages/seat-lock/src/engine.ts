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
  get(k: EventKeys, hold: HoldRef): Promise<NodeHold | null>
  freeSeats(k: EventKeys, seats: string[]): Promise<void>
  capacity(k: EventKeys, op: 'set' | 'add' | 'rebuild' | 'get', n: number): Promise<CapacityState>
  removeUnits(k: EventKeys, units: number): Promise<CapacityState>
  /** Number of nodes whose agreement a write needs (1 unless quorum). */
  readonly quorum: number
}

export interface HoldRef {
  readonly id: string
  readonly rand: string
}

/** Reply status codes shared by every script (see scripts.ts). */
export const OK = 1
export const CONTENDED = 0
export const NOT_OWNER = -1
export const GONE = -2
export const NO_CAPACITY = -3
export const ALREADY_CONFIRMED = -4
