/**
 * When a waiter should poll next (`pollAfterMs`). A waiting room's cost grows with its polls,
 * not with its waiters, so the suggested interval grows with what the waiter has to wait for:
 *
 * - **Before the start** nothing can change for a pre-queue waiter but the start itself (and a
 *   sell-out, which nobody can buy into anyway): poll again at the start, plus a jitter of up
 *   to `startSpreadMs`, so the whole pre-queue does not come back in the same instant (50,000
 *   reads over 5 s were a wave this machine's instances and load balancer could not take
 *   without slowing the first sales; over 15 s they could).
 * - **Waiting**, a quarter of the estimated wait: a waiter far back polls every
 *   `maxIntervalMs`, and the interval shrinks as the turn comes near, down to a second (or the
 *   base, if shorter), so a turn is collected about a second after it is granted. An
 *   uncollected turn holds one of the event's `maxActiveBuyers` slots: with 5 s polls it was
 *   idle 2.5 s on average, which capped the sale's pace at slots ÷ 2.5 s.
 * - Otherwise (paused, no estimate, any other status): `baseMs`.
 *
 * Never more than half of the event's claim window: an admitted visitor must poll within it to
 * collect the turn, or it lapses.
 */
export interface PollPolicy {
  baseMs: number
  maxIntervalMs: number
  /** The pre-queue's return is spread over this after the start. */
  startSpreadMs: number
  /** [0, 1), for the pre-queue's jitter. */
  random: () => number
}

export function preQueuePollAfter(p: PollPolicy, untilStartMs: number, claimMs: number): number {
  const untilStart = Math.max(0, untilStartMs)
  // At least a second (or the base, if shorter): a state cached from just before the start
  // must not send the pre-queue straight back.
  const min = Math.min(p.baseMs, 1000)
  const ceiling = pollCeiling(p, claimMs)
  // The spread takes at most half the ceiling, so that the other half is left for the refresh
  // below (a short claim window makes the ceiling shorter than the configured spread).
  const spread = Math.min(p.startSpreadMs, ceiling / 2)
  const jittered = untilStart + p.random() * spread
  if (jittered <= ceiling) return clamp(jittered, min, ceiling)
  // Too far from the start to place the return within the ceiling: come back before the start
  // and draw the moment then. Cutting the jitter at the ceiling instead would send everyone
  // who joined early back at join + ceiling, in arrival order: an edge for arriving early. The
  // refresh itself is drawn within the last (ceiling − spread) before the start, from where any
  // return fits: refreshing all of them at (start − spread) was a wave of its own (12,500 reads
  // within a second in the crowd benchmark).
  const window = Math.max(0, Math.min(ceiling - spread, untilStart - min))
  return clamp(untilStart - p.random() * window, min, ceiling)
}

export function waitingPollAfter(p: PollPolicy, estimatedWaitMs: number | null, claimMs: number): number {
  if (estimatedWaitMs === null) return Math.min(p.baseMs, pollCeiling(p, claimMs))
  return clamp(estimatedWaitMs / 4, Math.min(p.baseMs, 1000), pollCeiling(p, claimMs))
}

/**
 * The place of a waiter whose turn has not come (ticket ≥ served): what `placeOnBoard` and the
 * room's `poll` both answer. The wait is the position at `perMinute` (none when paused), and
 * the next read a quarter of it, within the policy's bounds.
 */
export function placeInLine(
  ticket: number,
  served: number,
  perMinute: number,
  paused: boolean,
  policy: PollPolicy,
  claimMs: number,
): { position: number; estimatedWaitSeconds: number | null; readAfterMs: number } {
  const position = ticket - served + 1
  const estimatedWaitSeconds = !paused && perMinute > 0 ? Math.ceil((position * 60) / perMinute) : null
  const readAfterMs = waitingPollAfter(
    policy,
    estimatedWaitSeconds === null ? null : estimatedWaitSeconds * 1000,
    claimMs,
  )
  return { position, estimatedWaitSeconds, readAfterMs }
}

/** The longest interval suggested for an event: `maxIntervalMs`, at most half its claim window. */
export const pollCeiling = (p: PollPolicy, claimMs: number) =>
  Math.max(1, Math.min(p.maxIntervalMs, claimMs / 2))

const clamp = (v: number, min: number, max: number) => Math.round(Math.min(max, Math.max(min, v)))
