import mysql from 'mysql2/promise'
import type { Purchase } from './buyers.js'

/**
 * Table and column names of the API's schema (packages/ticketing-api/src/migrations), in one
 * place: the checker reads MySQL directly, never through the API it is judging.
 */
export const SCHEMA = {
  events: 'events',
  eventId: 'id',
  totalSeats: 'total_seats',
  availableSeats: 'available_seats',
  reservations: 'reservations',
  reservationId: 'id',
  resEventId: 'event_id',
  userId: 'user_id',
  quantity: 'quantity',
  status: 'status',
  confirmed: 'CONFIRMED',
} as const

export interface ReservationRow {
  reservationId: string
  userId: string
  quantity: number
  status: string
}

export interface DbState {
  totalSeats: number
  availableSeats: number
  rows: ReservationRow[]
}

/** Reads one event and all its reservations from MySQL. */
export async function readState(databaseUrl: string, eventId: number): Promise<DbState> {
  const conn = await mysql.createConnection(databaseUrl)
  try {
    const s = SCHEMA
    const [events] = (await conn.query(
      `SELECT ${s.totalSeats} AS totalSeats, ${s.availableSeats} AS availableSeats FROM ${s.events} WHERE ${s.eventId} = ?`,
      [eventId],
    )) as unknown as [Array<{ totalSeats: number; availableSeats: number }>]
    const event = events[0]
    if (!event) throw new Error(`event ${eventId} is not in MySQL`)
    const [rows] = (await conn.query(
      `SELECT ${s.reservationId} AS reservationId, ${s.userId} AS userId, ${s.quantity} AS quantity, ${s.status} AS status
         FROM ${s.reservations} WHERE ${s.resEventId} = ?`,
      [eventId],
    )) as unknown as [ReservationRow[]]
    return {
      totalSeats: Number(event.totalSeats),
      availableSeats: Number(event.availableSeats),
      rows: rows.map((r) => ({ ...r, reservationId: String(r.reservationId), quantity: Number(r.quantity) })),
    }
  } finally {
    await conn.end()
  }
}

export interface CheckOptions {
  databaseUrl: string
  eventId: number
  purchases: Purchase[]
  /** The API's hold TTL: an admitted, uncommitted hold may occupy seats this long. */
  holdTtlMs: number
  /**
   * How long after its client gave up a request may still be working in the server (its own
   * timeouts): added to the hold TTL when deciding whether seats were legitimately occupied.
   * @default 5000
   */
  serverSlackMs?: number
}

export interface CheckReport {
  totalSeats: number
  availableSeats: number
  confirmedSeats: number
  /** Seats sold beyond the total (I1); must be 0. */
  oversold: number
  acknowledged: number
  /** Acknowledged reservations not confirmed in MySQL (I3); must be 0. */
  lost: number
  /** Purchases (keys) with more than one sale (I4); must be 0. */
  doubleSold: number
  /** Rejections while MySQL provably had the seats (I5); must be 0. */
  falseRejections: number
  /** Purchases the client gave up on (no definitive answer): their fate is read from MySQL. */
  unknown: number
  /** Of the unknown, how many were committed (sold, but the buyer was never told). */
  committedUnacked: number
  /** 4xx answers other than "seats gone" to well-formed purchases; must be 0. */
  refused: number
  /** Every violated invariant, in words; empty when all hold. */
  violations: string[]
}

/**
 * Checks I1–I5 for one event against MySQL and the client's log of purchases.
 *
 * I5, precisely: a rejection answered at time t for q seats is false when
 * total − occupied(t) ≥ q, where occupied(t) counts, over purchases with an attempt sent before
 * t, the seats of those that (a) are committed in MySQL, or (b) had an attempt still in flight at
 * t, or (c) had an attempt end without a definitive answer (timeout, 5xx, connection error)
 * less than holdTtl + serverSlack before t — its hold may legitimately still be there. This
 * over-counts occupation, so a reported false rejection is certain, never a guess.
 */
export async function checkInvariants(options: CheckOptions): Promise<CheckReport> {
  const state = await readState(options.databaseUrl, options.eventId)
  const violations: string[] = []
  const confirmedRows = state.rows.filter((r) => r.status === 'CONFIRMED')
  const confirmedSeats = confirmedRows.reduce((sum, r) => sum + r.quantity, 0)
  const oversold = Math.max(0, confirmedSeats - state.totalSeats, -state.availableSeats)

  // I1
  if (confirmedSeats + state.availableSeats !== state.totalSeats) {
    violations.push(
      `I1: confirmed ${confirmedSeats} + available ${state.availableSeats} != total ${state.totalSeats}`,
    )
  }
  if (state.availableSeats < 0) violations.push(`I1: availableSeats is ${state.availableSeats}`)

  // I2/I4: every purchase has its own userId, so two confirmed rows for one userId = one key sold twice.
  const byUser = new Map<string, ReservationRow[]>()
  for (const r of confirmedRows) byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), r])
  const byId = new Map(state.rows.map((r) => [r.reservationId, r]))
  let doubleSold = 0
  for (const [user, rows] of byUser) {
    if (rows.length > 1) {
      doubleSold++
      violations.push(`I4: user ${user} (one key) has ${rows.length} confirmed reservations`)
    }
  }
  for (const p of options.purchases) {
    if (new Set(p.ackIds).size > 1) {
      doubleSold++
      violations.push(`I4: key ${p.key} was acknowledged with different ids ${p.ackIds.join(', ')}`)
    }
  }

  // I3
  let lost = 0
  const acked = options.purchases.filter((p) => p.outcome === 'acked')
  for (const p of acked) {
    const row = p.reservationId ? byId.get(p.reservationId) : undefined
    if (row?.status !== 'CONFIRMED' || row.quantity !== p.quantity || row.userId !== p.userId) {
      lost++
      violations.push(
        `I3: acknowledged ${p.reservationId} (key ${p.key}) is ${row ? JSON.stringify(row) : 'missing'}`,
      )
    }
  }

  // Well-formed purchases must not be refused for any other reason.
  const refused = options.purchases.filter((p) => p.outcome === 'refused')
  for (const p of refused.slice(0, 5)) {
    const last = p.attempts.at(-1)
    violations.push(`refused: key ${p.key} got ${last?.status} ${last?.code ?? ''}`)
  }

  // I5
  const linger = options.holdTtlMs + (options.serverSlackMs ?? 5000)
  // Seats each purchase (userId) really holds in MySQL: more than its quantity if its key sold twice.
  const committedSeats = new Map<string, number>()
  for (const r of confirmedRows)
    committedSeats.set(r.userId, (committedSeats.get(r.userId) ?? 0) + r.quantity)
  const committed = new Set(committedSeats.keys())
  const occupiedAt = (t: number) => {
    let seats = 0
    for (const p of options.purchases) {
      if (p.attempts.length === 0 || p.attempts[0]!.sentAt >= t) continue
      const sold = committedSeats.get(p.userId)
      if (sold !== undefined) {
        seats += sold
        continue
      }
      const holding = p.attempts.some(
        (a) =>
          a.sentAt < t &&
          (a.endedAt >= t || ((typeof a.status !== 'number' || a.status >= 500) && a.endedAt >= t - linger)),
      )
      if (holding) seats += p.quantity
    }
    return seats
  }
  let falseRejections = 0
  for (const p of options.purchases) {
    if (p.outcome !== 'rejected') continue
    const answeredAt = p.attempts.at(-1)!.endedAt
    const free = state.totalSeats - occupiedAt(answeredAt)
    if (free >= p.quantity) {
      falseRejections++
      if (falseRejections <= 5) {
        violations.push(
          `I5: ${p.code} for ${p.quantity} seats at ${answeredAt} while at least ${free} were free`,
        )
      }
    }
  }
  if (falseRejections > 5) violations.push(`I5: … ${falseRejections} false rejections in all`)

  const unknownPurchases = options.purchases.filter((p) => p.outcome === 'unknown')
  return {
    totalSeats: state.totalSeats,
    availableSeats: state.availableSeats,
    confirmedSeats,
    oversold,
    acknowledged: acked.length,
    lost,
    doubleSold,
    falseRejections,
    unknown: unknownPurchases.length,
    committedUnacked: unknownPurchases.filter((p) => committed.has(p.userId)).length,
    refused: refused.length,
    violations,
  }
}
