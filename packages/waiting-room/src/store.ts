/**
 * The port between the waiting room and where its queues live. Two adapters implement it:
 * `createRedisQueueStore` (shared by every instance; each call is one atomic Lua script) and
 * `createMemoryQueueStore` (one process: the API's embedded mode, tests). Both pass the one
 * contract suite. Times are the store's clock (Redis `TIME`), in epoch ms.
 */

/** Per-event admission settings, kept with the event so every instance applies the same ones. */
export interface EventSettings {
  /** Joining is possible from this time (epoch ms). */
  opensAt: number
  /** Joiners before this time form the pre-queue, shuffled at this time; FIFO after (epoch ms). */
  startsAt: number
  /** Most turns held at once (admitted, not yet completed, released or lapsed). */
  maxActiveBuyers: number
  /** Most admissions per minute (a token bucket holding at most 10 s worth). */
  admitPerMinute: number
  /** How long an admitted visitor who collected the turn has to buy (ms). */
  turnMs: number
  /** How long an admitted visitor has to collect the turn (poll) before it lapses (ms). */
  claimMs: number
  /** Units a buyer is expected to take: admission stops when remaining ≤ active × unitsPerBuyer. */
  unitsPerBuyer: number
}

/** A snapshot of one event's queue, as `state` reads it (one round trip). */
export interface EventState extends EventSettings {
  /** The store's clock when this snapshot was read. */
  now: number
  /** When the sale started (the pre-queue was frozen and shuffled); null before. */
  startedAt: number | null
  /** Visitors who joined before the start (they hold tickets 0 .. preCount-1, shuffled). */
  preCount: number
  /** The shuffle's round keys (see shuffle.ts); '' before the start. */
  shuffleKeys: string
  /** Joins so far: the next join gets this index. */
  joined: number
  /** Tickets below this number have been admitted (or skipped because they left). */
  served: number
  /** Visitors who left while waiting (not yet skipped by the controller). */
  leftWaiting: number
  /** Turns held now (including lapsed ones the next tick will release). */
  active: number
  /** Remaining inventory as last reported; null when unknown (no inventory bound). */
  remaining: number | null
  soldOut: boolean
  /** Admission speed factor from the health signal, 0 (paused) to 1, already expired-checked. */
  healthFactor: number
  admittedTotal: number
  abandonedTotal: number
  expiredTotal: number
  completedTotal: number
}

export type JoinResult =
  | { outcome: 'joined' | 'rejoined'; index: number; now: number }
  | { outcome: 'not_found' }
  | { outcome: 'not_open'; opensAt: number }
  | { outcome: 'sold_out' }

export type ClaimResult =
  | { outcome: 'held'; ticket: number; expiresAt: number; first: boolean }
  | { outcome: 'waiting' }
  | { outcome: 'expired' | 'completed'; ticket: number }
  | { outcome: 'not_in_queue' }

export type TurnState = { state: 'held'; expiresAt: number } | { state: 'completed' | 'released' }

export interface TickResult {
  /** Visitors admitted by this tick. */
  admitted: number
  /** Turns that lapsed uncollected (the visitor never came back). */
  abandoned: number
  /** Turns collected but not completed within turnMs. */
  expired: number
  served: number
  active: number
  /** Visitors still waiting (joined, not admitted, not left). */
  waiting: number
  soldOut: boolean
  started: boolean
  now: number
}

/** What `adjust` changes: the inventory counter, the sold-out flag, or the health factor. */
export type Adjustment =
  | { remaining: number | null }
  | { soldOut: true }
  | { healthFactor: number; ttlMs: number }

export interface QueueStore {
  /** Creates the event's queue, or updates its settings (counters and the queue are kept). */
  openEvent(eventId: string, settings: EventSettings): Promise<void>
  /** Drops the event's queue and every key of it. */
  deleteEvent(eventId: string): Promise<void>
  /** Events with a queue (what `start()` ticks). */
  events(): Promise<string[]>
  state(eventId: string): Promise<EventState | null>
  /**
   * Gives the visitor the next index, or their existing one (`rejoined`). Starts the sale if
   * `startsAt` passed, drawing the shuffle from `shuffleKeys`.
   */
  join(eventId: string, visitorId: string, shuffleKeys: string): Promise<JoinResult>
  /** Gives up the visitor's place or held turn. False when they had none. */
  leave(eventId: string, visitorId: string): Promise<boolean>
  /** Collects an admitted visitor's turn (idempotent: the same turn and deadline again). */
  claim(eventId: string, visitorId: string, index: number): Promise<ClaimResult>
  /** Marks a held turn bought: its slot frees. `already` when it was completed before. */
  complete(eventId: string, ticket: number): Promise<'completed' | 'already' | 'not_held'>
  turn(eventId: string, ticket: number): Promise<TurnState>
  /**
   * The admission controller's step, atomic: start the sale if due, release lapsed turns,
   * apply `remaining` (when given), then admit within the bounds. Null for an unknown event.
   */
  tick(eventId: string, input: { remaining?: number; shuffleKeys: string }): Promise<TickResult | null>
  /** False for an unknown event. */
  adjust(eventId: string, change: Adjustment): Promise<boolean>
}

/** The settings fields, in the order the stores write them. */
export const SETTING_FIELDS = [
  'opensAt',
  'startsAt',
  'maxActiveBuyers',
  'admitPerMinute',
  'turnMs',
  'claimMs',
  'unitsPerBuyer',
] as const satisfies ReadonlyArray<keyof EventSettings>
