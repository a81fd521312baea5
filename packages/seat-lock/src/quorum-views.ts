import { randomInt } from 'node:crypto'
import type { CapacityState } from './hold.js'
import { parseCapacityReply } from './hold.js'
import type { NodeReply } from './redlock-adapter.js'

/**
 * Pure helpers of quorum GA holds: reading the nodes' views of free units, choosing units,
 * and telling settled units from units in flux.
 */

/**
 * Free-unit ids a view returns in full when a node has at most this many, else a random sample
 * of this size: views are read by every buyer on every node, so they must stay small. After
 * repeated collisions a buyer asks for the full sets (exact, but costlier).
 */
export const VIEW_SAMPLE = 48

/** Unit id -> number of nodes whose view lists it free. Views are `{1, count, unit ids...}`. */
export function freeCounts(views: NodeReply[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const v of views)
    for (const u of v.reply.slice(2)) counts.set(String(u), (counts.get(String(u)) ?? 0) + 1)
  return counts
}

/**
 * `owners[node][i]` is the hold owning unit i on that node (null = none). A unit is in flux when
 * no single hold owns it on enough nodes to have won, even counting unreachable nodes as its.
 */
export function anyInFlux(
  owners: Array<Array<string | null>>,
  units: number,
  unreachable: number,
  quorum: number,
) {
  for (let i = 0; i < units; i++) {
    const votes = new Map<string, number>()
    for (const o of owners) if (o[i]) votes.set(o[i]!, (votes.get(o[i]!) ?? 0) + 1)
    if (Math.max(0, ...votes.values()) + unreachable < quorum) return true
  }
  return false
}

/** The lower median: at least half of the values are >= it. */
export function lowerMedian(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!
}

/** Counters as the majority sees them: per field, the lower median of the nodes' values. */
export function medianState(replies: NodeReply[]): CapacityState {
  const states = replies.map((r) => parseCapacityReply(r.reply))
  const mid = (f: keyof CapacityState) => lowerMedian(states.map((s) => s[f]))
  return { total: mid('total'), available: mid('available'), held: mid('held'), confirmed: mid('confirmed') }
}

/** `n` distinct random elements. */
export function pick<T>(items: T[], n: number): T[] {
  const a = [...items]
  for (let i = 0; i < n && i < a.length; i++) {
    const j = i + randomInt(a.length - i)
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a.slice(0, n)
}
