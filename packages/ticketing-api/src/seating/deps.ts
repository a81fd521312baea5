import type { EventRecord } from '../sales/model.js'
import type { SeatingPorts } from './ports.js'

/** What every seating step is handed by the feature's service (seating/service.ts). */
export interface SeatingDeps {
  ports: SeatingPorts
  /** What seating needs of sales: the event (cached), and its cached count moved after a sale or cancel. */
  events: {
    get(eventId: number): Promise<EventRecord | undefined>
    moved(eventId: number, delta: number): Promise<void>
  }
  options: SeatingOptions
  log: { warn(obj: unknown, msg?: string): void }
}

export interface SeatingOptions {
  /** Seat-hold TTL (HOLD_SEATS_TTL_MS). */
  ttlMs: number
  /** Most seats in one hold (MAX_SEATS_PER_HOLD); also a buyer's cap on held seats when no limit applies. */
  maxSeatsPerHold: number
  /** Service-wide per-user limit when the event has none (MAX_TICKETS_PER_USER). */
  maxTicketsPerUser?: number
  /** How often expired holds are looked for (their seats pushed back to pages). @default 250 */
  sweepIntervalMs?: number
}
