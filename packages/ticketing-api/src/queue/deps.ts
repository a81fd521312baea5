import type { Metrics } from '../infra/metrics/index.js'
import type { EventRecord } from '../sales/model.js'
import type { QueuePorts } from './ports.js'

/** What every waiting-room step is handed by the feature's service (queue/service.ts). */
export interface QueueDeps {
  ports: QueuePorts
  metrics: Metrics
  log: {
    warn(obj: unknown, msg?: string): void
    debug(obj: unknown, msg?: string): void
  }
  /** What the queue needs of the sale: the event (with its queue settings) and its inventory. */
  events: {
    /** The event's unchanging fields, queue settings included (remembered: no I/O when known). */
    get(eventId: number): Promise<EventRecord | undefined>
    /** Units still on sale (not sold, nor being sold), or undefined when unknown. */
    remaining(eventId: number): Promise<number | undefined>
  }
  options: QueueOptions
}

export interface QueueOptions {
  /** HMAC key of queue tickets and admission tokens (>= 32 bytes, the same on every instance). */
  secret: string
  /** How often every instance ticks the admission controller (ms). @default 500 */
  tickIntervalMs?: number
  /** How often waiters are told to poll (ms). @default 5_000 */
  pollIntervalMs?: number
}
