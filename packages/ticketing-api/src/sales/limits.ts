// The per-user ticket limit, resolved in one place for every path that sells.
import type { EventRecord } from './model.js'

/**
 * The most tickets one buyer may have for `event`: the event's own limit, else the service's
 * (MAX_TICKETS_PER_USER), else none (null).
 */
export function perUserLimit(
  event: Pick<EventRecord, 'maxTicketsPerUser'>,
  serviceLimit?: number,
): number | null {
  return event.maxTicketsPerUser ?? serviceLimit ?? null
}
