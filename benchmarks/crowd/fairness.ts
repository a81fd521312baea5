/**
 * The fairness statistics of the flash-crowd benchmark, dependency-free:
 *
 * - Spearman's rank correlation (ties get their average rank), for "does a later arrival get a
 *   later turn?" (post-start arrivals: FIFO should give ρ ≈ 1) and "does an earlier arrival in
 *   the pre-queue get an edge?" (the shuffle should give ρ ≈ 0).
 * - Pearson's chi-square goodness of fit to a uniform distribution, with its p-value from the
 *   regularised upper incomplete gamma function, for "are the pre-queue's first turns drawn
 *   evenly from every slice of the arrival order?".
 */

/** 1-based ranks of `values`, ties sharing their average rank. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0])
  const out = new Array<number>(values.length)
  for (let i = 0; i < order.length; ) {
    let j = i
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++
    const rank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) out[order[k]![1]] = rank
    i = j + 1
  }
  return out
}

/** Pearson's correlation; NaN when fewer than 2 points or either side is constant. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error(`pearson: ${x.length} x values but ${y.length} y values`)
  const n = x.length
  if (n < 2) return Number.NaN
  let mx = 0
  let my = 0
  for (let i = 0; i < n; i++) {
    mx += x[i]!
    my += y[i]!
  }
  mx /= n
  my /= n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx
    const dy = y[i]! - my
    sxy += dx * dy
    sxx += dx * dx
    syy += dy * dy
  }
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy)
}

/** Spearman's ρ: Pearson's correlation of the ranks. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(ranks(x), ranks(y))
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: ~15 significant digits). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ]
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  const z = x - 1
  let a = c[0]!
  const t = z + 7.5
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i)
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

/**
 * Q(a, x) = Γ(a, x) / Γ(a), the regularised upper incomplete gamma function: a series below
 * x < a + 1, a continued fraction above (Numerical Recipes, gser/gcf).
 */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || x < 0) throw new Error(`gammaQ: need a > 0 and x >= 0, got a=${a}, x=${x}`)
  if (x === 0) return 1
  const lnPrefix = -x + a * Math.log(x) - logGamma(a)
  if (x < a + 1) {
    let sum = 1 / a
    let term = sum
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n)
      sum += term
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break
    }
    return Math.max(0, 1 - sum * Math.exp(lnPrefix))
  }
  const tiny = 1e-300
  let b = x + 1 - a
  let c = 1 / tiny
  let d = 1 / b
  let h = d
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < tiny) d = tiny
    c = b + an / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < 1e-15) break
  }
  return Math.min(1, Math.exp(lnPrefix) * h)
}

export interface ChiSquare {
  /** Σ (observed − expected)² / expected. */
  statistic: number
  degreesOfFreedom: number
  /** P(χ² ≥ statistic) under uniformity: small (< 0.01) means "not uniform". */
  pValue: number
  counts: number[]
  expected: number
}

/** Chi-square goodness of fit of `counts` (one per bin) to equal expected counts. */
export function chiSquareUniform(counts: readonly number[]): ChiSquare {
  const k = counts.length
  if (k < 2) throw new Error(`chiSquareUniform: need at least 2 bins, got ${k}`)
  const total = counts.reduce((s, c) => s + c, 0)
  const expected = total / k
  if (expected === 0)
    return { statistic: 0, degreesOfFreedom: k - 1, pValue: 1, counts: [...counts], expected }
  const statistic = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0)
  return {
    statistic,
    degreesOfFreedom: k - 1,
    pValue: gammaQ((k - 1) / 2, statistic / 2),
    counts: [...counts],
    expected,
  }
}

/**
 * Which of `bins` equal slices of the arrival order each chosen visitor came from: `arrivalRank`
 * (0-based rank among `population`) of each chosen one → counts per slice.
 */
export function binByRank(arrivalRanks: readonly number[], population: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0)
  for (const r of arrivalRanks) {
    if (r < 0 || r >= population) throw new Error(`binByRank: rank ${r} outside [0, ${population})`)
    counts[Math.min(bins - 1, Math.floor((r * bins) / population))]! += 1
  }
  return counts
}

/** Bins for a chi-square test: at most `max`, and at least 5 expected per bin (the textbook rule). */
export function binsFor(chosen: number, max = 10): number {
  return Math.max(2, Math.min(max, Math.floor(chosen / 5)))
}
