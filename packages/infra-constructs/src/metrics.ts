/**
 * The contract with @ticketing/ticketing-api: custom CloudWatch metrics the API publishes (in the
 * namespace given by CLOUDWATCH_NAMESPACE, default `Ticketing`, with no dimensions), which the
 * Monitoring dashboard charts. Renaming one here or in the API breaks its widget silently, so both
 * sides import or test against this list.
 */
export const TICKETING_METRICS = [
  { name: 'ReservationsConfirmed', unit: 'Count', stat: 'Sum', doc: 'reservations committed to MySQL' },
  {
    name: 'ReservationsRejected',
    unit: 'Count',
    stat: 'Sum',
    doc: 'reservations refused (validation, conflicts)',
  },
  {
    name: 'SoldOutRejections',
    unit: 'Count',
    stat: 'Sum',
    doc: 'reservations refused because seats ran out',
  },
  { name: 'ReservationLatency', unit: 'Milliseconds', stat: 'p99', doc: 'POST /api/reservations latency' },
  { name: 'LockConflicts', unit: 'Count', stat: 'Sum', doc: 'seat-lock acquisitions that lost a race' },
  { name: 'CacheHitRatio', unit: 'Percent', stat: 'Average', doc: 'inventory-cache hits / lookups' },
  { name: 'DbBatchSize', unit: 'Count', stat: 'Average', doc: 'reservations per MySQL transaction' },
  { name: 'Errors', unit: 'Count', stat: 'Sum', doc: 'unhandled errors (5xx) in the API' },
] as const

/**
 * The waiting room's metrics (@ticketing/waiting-room in the API; same namespace, no dimensions):
 * the dashboard's "Waiting room" row and the "queue stalled" alarm read them.
 */
export const WAITING_ROOM_METRICS = [
  {
    name: 'QueueLength',
    unit: 'Count',
    stat: 'Maximum',
    doc: 'visitors waiting (pre-queue and queue), as each instance last saw it',
  },
  { name: 'QueueAdmissions', unit: 'Count', stat: 'Sum', doc: 'visitors admitted to buy' },
  {
    name: 'QueueWait',
    unit: 'Milliseconds',
    stat: 'p99',
    doc: 'time from joining to admission, one sample per admission (charted as p50 and p99)',
  },
  {
    name: 'QueueAbandonedTurns',
    unit: 'Count',
    stat: 'Sum',
    doc: 'admitted visitors who did not buy within their turn (the place went to the next)',
  },
] as const

/** One custom metric of the API. */
export interface TicketingMetric {
  readonly name: string
  readonly unit: string
  /** Statistic the dashboard shows (Sum, Average, p99, ...). */
  readonly stat: string
  readonly doc: string
}

/** Default CloudWatch namespace of the API's metrics. */
export const DEFAULT_METRICS_NAMESPACE = 'Ticketing'
