import type { PendingReservation } from '../ports/index.js'

export type Decision =
  | { ok: true }
  | { ok: false; code: 'INSUFFICIENT_SEATS'; available: number }
  | { ok: false; code: 'TICKET_LIMIT_EXCEEDED'; limit: number; alreadyHeld: number }

/**
 * Decides, in arrival order, which reservations of one batch fit: a buyer over their per-user
 * limit is refused, and so is a request larger than what is left after the earlier ones.
 * Both stores run this inside their atomic section, so the answer is exact.
 */
export function allocate(
  available: number,
  batch: readonly PendingReservation[],
  held: Map<string, number>,
): { decisions: Decision[]; taken: number } {
  let left = available
  const decisions: Decision[] = batch.map((r) => {
    const already = held.get(r.userId) ?? 0
    if (r.limit !== null && already + r.quantity > r.limit) {
      return { ok: false, code: 'TICKET_LIMIT_EXCEEDED', limit: r.limit, alreadyHeld: already }
    }
    if (r.quantity > left) return { ok: false, code: 'INSUFFICIENT_SEATS', available: left }
    left -= r.quantity
    held.set(r.userId, already + r.quantity)
    return { ok: true }
  })
  return { decisions, taken: available - left }
}
