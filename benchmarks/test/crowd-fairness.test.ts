import { describe, expect, it } from 'vitest'
import {
  binByRank,
  binsFor,
  chiSquareUniform,
  gammaQ,
  logGamma,
  pearson,
  ranks,
  spearman,
} from '../crowd/fairness.js'
import { arrivals, mulberry32 } from '../crowd/visitors.js'

describe('ranks and Spearman', () => {
  it('gives ties their average rank', () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1])
  })

  it('is 1 for any increasing relation, -1 for a decreasing one, NaN when constant', () => {
    const x = [1, 2, 3, 4, 5, 6]
    expect(
      spearman(
        x,
        x.map((v) => v ** 3),
      ),
    ).toBeCloseTo(1, 12)
    expect(
      spearman(
        x,
        x.map((v) => -Math.exp(v)),
      ),
    ).toBeCloseTo(-1, 12)
    expect(spearman(x, [7, 7, 7, 7, 7, 7])).toBeNaN()
    expect(pearson([1], [2])).toBeNaN()
  })

  it('matches a hand computation with one swap: ρ = 1 − 6·Σd²/(n(n²−1))', () => {
    // n = 5, ranks 1..5 vs 1,2,4,3,5: Σd² = 2 → ρ = 1 − 12/120 = 0.9
    expect(spearman([1, 2, 3, 4, 5], [1, 2, 4, 3, 5])).toBeCloseTo(0.9, 12)
  })

  it('is near 0 for an independent shuffle and near 1 for FIFO with small jitter', () => {
    const random = mulberry32(7)
    const n = 5000
    const x = Array.from({ length: n }, (_, i) => i)
    const shuffled = [...x]
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
    }
    expect(Math.abs(spearman(x, shuffled))).toBeLessThan(0.05)
    expect(
      spearman(
        x,
        x.map((v) => v + random() * 20),
      ),
    ).toBeGreaterThan(0.99)
  })
})

describe('chi-square', () => {
  it('logGamma matches known values', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12)
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12)
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12)
  })

  it('p-values match the chi-square table', () => {
    // df = 9: the 5% critical value is 16.919, the 1% one 21.666; df = 1: 3.841 → 0.05.
    expect(gammaQ(9 / 2, 16.919 / 2)).toBeCloseTo(0.05, 4)
    expect(gammaQ(9 / 2, 21.666 / 2)).toBeCloseTo(0.01, 4)
    expect(gammaQ(1 / 2, 3.841 / 2)).toBeCloseTo(0.05, 3)
    // df = 2: Q = exp(−x/2) exactly.
    expect(gammaQ(1, 3)).toBeCloseTo(Math.exp(-3), 12)
    expect(gammaQ(3, 0)).toBe(1)
  })

  it('accepts counts drawn uniformly and rejects a skew toward early arrivals', () => {
    const random = mulberry32(11)
    const population = 50_000
    const fair = Array.from({ length: 4000 }, () => Math.floor(random() * population))
    const bins = binsFor(fair.length)
    expect(bins).toBe(10)
    const ok = chiSquareUniform(binByRank(fair, population, bins))
    expect(ok.degreesOfFreedom).toBe(9)
    expect(ok.pValue).toBeGreaterThan(0.001)
    // An "early arrivals win a bit more often" order: rank² / population leans to the start.
    const skewed = fair.map((r) => Math.floor((r * r) / population))
    expect(chiSquareUniform(binByRank(skewed, population, bins)).pValue).toBeLessThan(1e-6)
    // Perfectly even counts: statistic 0, p = 1.
    expect(chiSquareUniform([5, 5, 5, 5])).toMatchObject({ statistic: 0, pValue: 1 })
  })

  it('refuses ranks outside the population', () => {
    expect(() => binByRank([10], 10, 2)).toThrow(/outside/)
  })
})

describe('the visitor model', () => {
  it('puts exactly half the arrivals before the start, sorted, the same for a seed', () => {
    const a = arrivals({ visitors: 1001, spreadMs: 60_000, startMs: 30_000, seed: 3 })
    expect(a).toHaveLength(1001)
    expect(a.filter((v) => v.arrivalMs < 30_000)).toHaveLength(500)
    for (let i = 1; i < a.length; i++) expect(a[i]!.arrivalMs).toBeGreaterThanOrEqual(a[i - 1]!.arrivalMs)
    expect(a.every((v) => v.arrivalMs >= 0 && v.arrivalMs < 60_000)).toBe(true)
    expect(a.every((v) => v.quantity >= 1 && v.quantity <= 4)).toBe(true)
    expect(arrivals({ visitors: 1001, spreadMs: 60_000, startMs: 30_000, seed: 3 })).toEqual(a)
    expect(new Set(a.map((v) => v.index)).size).toBe(1001)
  })
})
