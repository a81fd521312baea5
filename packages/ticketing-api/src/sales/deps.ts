import type { Metrics } from '../infra/metrics/index.js'
import type { SalesPorts } from './ports.js'

/** What every sales step is handed by the feature's service (sales/service.ts). */
export interface SalesDeps {
  ports: SalesPorts
  metrics: Metrics
  log: {
    warn(obj: unknown, msg?: string): void
    error(obj: unknown, msg?: string): void
    debug(obj: unknown, msg?: string): void
  }
  options: SalesOptions
}

export interface SalesOptions {
  /** How long an admission holds its units before its batch must have committed. */
  admissionTtlMs: number
  /** Service-wide per-user limit when an event has none (MAX_TICKETS_PER_USER). */
  maxTicketsPerUser?: number
  /** Group commit: most reservations per transaction, and how long the first one waits. */
  batch: { maxSize: number; maxWaitMs: number }
}
