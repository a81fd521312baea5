/**
 * `npm test` runs the quick subset (FAULTS unset: a few seconds of load per scenario, within
 * ~3 minutes in all); `npm run test:faults` sets FAULTS=full: every scenario, at full length.
 */
export const FULL = process.env.FAULTS === 'full'

/** Picks the quick or the full value. */
export function scale<T>(quick: T, full: T): T {
  return FULL ? full : quick
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
