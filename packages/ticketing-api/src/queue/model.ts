// The waiting-room vocabulary of the API (README "Waiting room"): an event's queue settings as
// set at creation, and the one body every queue route answers with. Plain data and pure
// functions, no I/O: every layer of the feature may import it.
import type { EventOptions, WaiterStatus } from '@ticketing/waiting-room'

/** An event's waiting room, as POST /api/events sets it and the event's answer shows it. */
export interface QueueSettings {
  /** Joining opens (ISO-8601). */
  opensAt: string
  /** The sale starts (ISO-8601): joiners before it are shuffled then; FIFO after. */
  startsAt: string
  /** Most buyers holding a turn at once. */
  maxActiveBuyers: number
  /** Most admissions per minute. */
  admitPerMinute: number
  /** Time an admitted buyer has to buy (the admission token's lifetime). */
  turnSeconds: number
}

/** What a creator may omit: every number. */
export type QueueInput = Pick<QueueSettings, 'opensAt' | 'startsAt'> & Partial<QueueSettings>

export const QUEUE_DEFAULTS = { maxActiveBuyers: 1000, admitPerMinute: 600, turnSeconds: 600 } as const

/** The stored settings: defaults filled in, times normalised to UTC ISO strings. */
export function queueSettings(input: QueueInput): QueueSettings {
  return {
    opensAt: new Date(input.opensAt).toISOString(),
    startsAt: new Date(input.startsAt).toISOString(),
    maxActiveBuyers: input.maxActiveBuyers ?? QUEUE_DEFAULTS.maxActiveBuyers,
    admitPerMinute: input.admitPerMinute ?? QUEUE_DEFAULTS.admitPerMinute,
    turnSeconds: input.turnSeconds ?? QUEUE_DEFAULTS.turnSeconds,
  }
}

/** Why settings cannot be used, or null. */
export function invalidQueue(input: QueueInput): { field: string; message: string } | null {
  for (const field of ['opensAt', 'startsAt'] as const) {
    if (Number.isNaN(Date.parse(input[field])))
      return { field: `queue.${field}`, message: 'is not a date-time' }
  }
  if (Date.parse(input.startsAt) < Date.parse(input.opensAt)) {
    return { field: 'queue.startsAt', message: 'must not be before opensAt' }
  }
  return null
}

/** The library's per-event options for these settings. */
export function eventOptions(q: QueueSettings): EventOptions {
  return {
    opensAt: Date.parse(q.opensAt),
    startsAt: Date.parse(q.startsAt),
    maxActiveBuyers: q.maxActiveBuyers,
    admitPerMinute: q.admitPerMinute,
    turnSeconds: q.turnSeconds,
  }
}

export type QueueStatus =
  | 'pre_queue'
  | 'waiting'
  | 'admitted'
  | 'sold_out'
  | 'turn_expired'
  | 'completed'
  | 'left'

/** The body of every queue answer (join, poll, and each `position` event of the stream). */
export interface QueueView {
  /** The waiter's signed queue ticket: send it back as `Queue-Ticket` (or `?ticket=`). */
  ticket: string
  /** The waiter's join index: with the event's board, a page places itself (`placeOnBoard`). */
  index: number
  status: QueueStatus
  /** 1 = next; null unless waiting (in the pre-queue: the pre-queue's size so far). */
  position: number | null
  /** null when unknown (admission paused) or not waiting. */
  estimatedWaitSeconds: number | null
  /** Present when admitted: send it as `Admission-Token` to the sale's routes. */
  admissionToken?: string
  /** When the turn ends (ISO-8601), with `admissionToken`. */
  expiresAt?: string
  /** When to ask again. */
  pollAfterSeconds: number
  /** When the pre-queue is drawn and the sale starts (ISO-8601), in `pre_queue`. */
  startsAt?: string
  /** Admission is paused by the health signal (waiting). */
  paused?: boolean
  /** What remains is spoken for by admitted buyers (waiting). */
  inventoryHeld?: boolean
}

/** The library's status as the contract's body. */
export function queueView(ticket: string, s: WaiterStatus): QueueView {
  const base = { ticket, index: s.index, pollAfterSeconds: Math.max(1, Math.round(s.pollAfterMs / 1000)) }
  switch (s.status) {
    case 'pre_queue':
      return {
        ...base,
        status: s.status,
        position: null,
        estimatedWaitSeconds: null,
        startsAt: new Date(s.startsAt).toISOString(),
      }
    case 'waiting':
      return {
        ...base,
        status: s.status,
        position: s.position,
        estimatedWaitSeconds: s.estimatedWaitSeconds,
        paused: s.paused,
        inventoryHeld: s.inventoryHeld,
      }
    case 'admitted':
      return {
        ...base,
        status: s.status,
        position: null,
        estimatedWaitSeconds: 0,
        admissionToken: s.admissionToken,
        expiresAt: new Date(s.turnExpiresAt).toISOString(),
      }
    default:
      return { ...base, status: s.status, position: null, estimatedWaitSeconds: null }
  }
}
