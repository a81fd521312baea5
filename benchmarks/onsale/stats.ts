/** Percentiles and time buckets for the on-sale benchmark (plain arrays: a run holds < 2M samples). */

/** A growable list of latency samples (ms) with their completion times (ms since phase start). */
export class Samples {
  latencies: number[] = []
  times: number[] = []

  add(at: number, ms: number): void {
    this.times.push(at)
    this.latencies.push(ms)
  }

  get count(): number {
    return this.latencies.length
  }

  /** Samples whose completion time is in [from, to). */
  between(from: number, to: number): number[] {
    const out: number[] = []
    for (let i = 0; i < this.times.length; i++) {
      const t = this.times[i]!
      if (t >= from && t < to) out.push(this.latencies[i]!)
    }
    return out
  }
}

/** Nearest-rank percentile of unsorted values; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export interface Summary {
  count: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { count: 0, p50Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN }
  return {
    count: values.length,
    p50Ms: round(percentile(values, 50)),
    p99Ms: round(percentile(values, 99)),
    maxMs: round(values.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY)),
  }
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** One point of a time series: a rate (per second) and a p99 (ms) over one bucket. */
export interface SeriesPoint {
  /** Bucket start, seconds since the phase began. */
  t: number
  perSec: number
  p99Ms: number | null
}

/**
 * Buckets `events` (completion times, ms) into `bucketMs` windows for the rate, and `latency`
 * samples into the same windows for the p99.
 */
export function series(
  events: readonly number[],
  latency: Samples,
  durationMs: number,
  bucketMs: number,
): SeriesPoint[] {
  // Whole buckets only: a last, partial bucket would read as a drop in throughput.
  const n = Math.max(1, Math.floor(durationMs / bucketMs))
  const counts = new Array<number>(n).fill(0)
  const lat: number[][] = Array.from({ length: n }, () => [])
  for (const t of events) {
    const i = Math.floor(t / bucketMs)
    if (i >= 0 && i < n) counts[i]! += 1
  }
  for (let k = 0; k < latency.times.length; k++) {
    const i = Math.floor(latency.times[k]! / bucketMs)
    if (i >= 0 && i < n) lat[i]!.push(latency.latencies[k]!)
  }
  return counts.map((count, i) => ({
    t: round((i * bucketMs) / 1000, 3),
    perSec: round((count * 1000) / bucketMs, 1),
    p99Ms: lat[i]!.length > 0 ? round(percentile(lat[i]!, 99)) : null,
  }))
}
