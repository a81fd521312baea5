/**
 * The post-run audit of one contender against MySQL: I1 (sold + available = total), oversell,
 * duplicates by Idempotency-Key, I3 (every 201 is a committed row), and false rejections.
 *
 * False rejection, precisely: an attempt (one Idempotency-Key, quantity q) that never ends in a
 * 201 and received at least one refusal (a 409, a "busy" answer, an error) at a time t when MySQL
 * provably still had ≥ q seats. "Provably": available(t) ≥ total − Σ quantity of every committed
 * reservation whose request had been SENT before t (a row cannot commit before its request is
 * sent; rows the client never saw acknowledged count as sent at time 0). Seats only go down
 * during a run (nothing is cancelled), so this lower bound never flags a true refusal; it may miss
 * some false ones, which makes the count conservative.
 */
import mysql from 'mysql2/promise'
import type { BuyersResult } from './load.js'

/** How a contender's tables hold the hot event and its reservations. */
export interface AuditSchema {
  /** SELECT total, available FROM … WHERE id = ? */
  eventSql: string
  /** SELECT id, quantity, idem_key FROM … WHERE event_id = ? and the reservation is confirmed. */
  reservationsSql: string
}

export interface AuditResult {
  total: number
  available: number
  soldSeats: number
  rows: number
  /** I1: soldSeats + available = total and available ≥ 0. */
  i1Holds: boolean
  oversold: number
  /** Extra confirmed rows per Idempotency-Key (a key with 3 rows counts 2). */
  duplicates: number
  /** 201 answers whose reservation is not a committed row (I3). */
  lostAcks: number
  /** Committed rows the client never saw acknowledged (in flight when the connection failed). */
  unacknowledgedRows: number
  falseRejections: number
  /** A few false rejections, for the report. */
  falseRejectionExamples: { key: string; quantity: number; atMs: number; seatsProvablyLeft: number }[]
  /** ms since phase start of the last first acknowledgement, if MySQL says the event sold out. */
  soldOutAtMs?: number
}

interface RowShape {
  id: string
  quantity: number
  idem_key: string | null
}

export async function audit(
  databaseUrl: string,
  schema: AuditSchema,
  eventId: number,
  run: Pick<BuyersResult, 'attempts' | 'confirmations'>,
): Promise<AuditResult> {
  const conn = await mysql.createConnection(databaseUrl)
  let total: number
  let available: number
  let rows: RowShape[]
  try {
    const [events] = await conn.query<mysql.RowDataPacket[]>(schema.eventSql, [eventId])
    const event = events[0]
    if (!event) throw new Error(`audit: event ${eventId} not found`)
    total = Number(event.total)
    available = Number(event.available)
    const [found] = await conn.query<mysql.RowDataPacket[]>(schema.reservationsSql, [eventId])
    rows = found.map((r) => ({
      id: String(r.id),
      quantity: Number(r.quantity),
      idem_key: r.idem_key === null ? null : String(r.idem_key),
    }))
  } finally {
    await conn.end()
  }

  const soldSeats = rows.reduce((s, r) => s + r.quantity, 0)
  const rowIds = new Set(rows.map((r) => r.id))

  // Earliest send and first acknowledgement of every reservation id the client saw.
  const sentAt = new Map<string, number>()
  const ackAt = new Map<string, number>()
  const keyOf = new Map<string, string>()
  for (const c of run.confirmations) {
    sentAt.set(c.reservationId, Math.min(sentAt.get(c.reservationId) ?? Infinity, c.sentAt))
    ackAt.set(c.reservationId, Math.min(ackAt.get(c.reservationId) ?? Infinity, c.ackAt))
    if (!keyOf.has(c.reservationId)) keyOf.set(c.reservationId, c.key)
  }
  const lostAcks = [...sentAt.keys()].filter((id) => !rowIds.has(id)).length
  const unacknowledgedRows = rows.filter((r) => !sentAt.has(r.id)).length

  // Duplicates: rows per key, from MySQL's own key column when it has one, else from the ledger.
  const perKey = new Map<string, number>()
  for (const r of rows) {
    const key = r.idem_key ?? keyOf.get(r.id)
    if (key !== undefined) perKey.set(key, (perKey.get(key) ?? 0) + 1)
  }
  let duplicates = 0
  for (const n of perKey.values()) duplicates += n - 1

  // Committed seats by send time, for the provable-availability lower bound.
  const committed = rows.map((r) => ({ t: sentAt.get(r.id) ?? 0, q: r.quantity })).sort((a, b) => a.t - b.t)
  const times = committed.map((c) => c.t)
  const prefix: number[] = [0]
  for (const c of committed) prefix.push(prefix[prefix.length - 1]! + c.q)
  const soldSentBefore = (t: number) => {
    let lo = 0
    let hi = times.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (times[mid]! < t) lo = mid + 1
      else hi = mid
    }
    return prefix[lo]!
  }
  let falseRejections = 0
  const falseRejectionExamples: AuditResult['falseRejectionExamples'] = []
  for (const a of run.attempts) {
    if (a.outcome === 'confirmed') continue
    for (const t of a.refusals) {
      const left = total - soldSentBefore(t)
      if (left >= a.quantity) {
        falseRejections++
        if (falseRejectionExamples.length < 5)
          falseRejectionExamples.push({
            key: a.key,
            quantity: a.quantity,
            atMs: Math.round(t),
            seatsProvablyLeft: left,
          })
        break
      }
    }
  }

  let soldOutAtMs: number | undefined
  if (available === 0) {
    soldOutAtMs = 0
    for (const r of rows) soldOutAtMs = Math.max(soldOutAtMs, ackAt.get(r.id) ?? 0)
  }

  return {
    total,
    available,
    soldSeats,
    rows: rows.length,
    i1Holds: soldSeats + available === total && available >= 0,
    oversold: Math.max(0, soldSeats - total),
    duplicates,
    lostAcks,
    unacknowledgedRows,
    falseRejections,
    falseRejectionExamples,
    soldOutAtMs,
  }
}
