import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_VALUES_PER_DATUM, quantize } from '../src/infra/metrics/cloudwatch.js'
import { createCloudWatchMetrics, createMetrics, noopMetrics } from '../src/infra/metrics/index.js'

const cw = mockClient(CloudWatchClient)
const log = () => ({ warn: vi.fn() })

afterEach(() => cw.reset())

describe('CloudWatch metrics', () => {
  it('sends samples as Values/Counts, one datum per metric, in one request', async () => {
    cw.on(PutMetricDataCommand).resolves({})
    const metrics = createCloudWatchMetrics({
      namespace: 'Ticketing',
      client: new CloudWatchClient({ region: 'us-east-1' }),
      log: log(),
    })
    metrics.increment('ReservationsConfirmed')
    metrics.increment('ReservationsConfirmed', 4)
    metrics.observe('ReservationLatency', 12)
    metrics.observe('ReservationLatency', 3)
    metrics.observe('ReservationLatency', 12.04)
    await metrics.close()

    const calls = cw.commandCalls(PutMetricDataCommand)
    expect(calls).toHaveLength(1)
    const input = calls[0]!.args[0].input
    expect(input.Namespace).toBe('Ticketing')
    const byName = Object.fromEntries(input.MetricData!.map((d) => [d.MetricName, d]))
    expect(byName.ReservationsConfirmed).toMatchObject({ Unit: 'Count', Values: [1, 4], Counts: [1, 1] })
    expect(byName.ReservationLatency).toMatchObject({ Unit: 'Milliseconds', Values: [12, 3], Counts: [2, 1] })
    expect(byName.ReservationLatency?.StatisticValues).toBeUndefined()
  })

  it('lets CloudWatch compute percentiles: p50/p99 of what is sent match the samples within 5 %', async () => {
    cw.on(PutMetricDataCommand).resolves({})
    const metrics = createCloudWatchMetrics({
      namespace: 'T',
      client: new CloudWatchClient({ region: 'us-east-1' }),
      log: log(),
    })
    // 20,000 latencies, log-normal-ish: mostly 5–50 ms with a slow tail to seconds.
    let seed = 7
    const random = () => {
      seed = (seed * 48271) % 2147483647
      return seed / 2147483647
    }
    const samples = Array.from({ length: 20_000 }, () =>
      Math.exp(2.5 + random() * 1.5 + (random() < 0.02 ? 3 : 0)),
    )
    for (const v of samples) metrics.observe('ReservationLatency', v)
    await metrics.close()

    const datums = cw.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData ?? [])
    for (const d of datums) {
      expect(d.Values!.length).toBeLessThanOrEqual(MAX_VALUES_PER_DATUM)
      expect(d.Counts!.length).toBe(d.Values!.length)
    }
    expect(datums.length).toBeLessThan(10) // a few datums, not one per sample
    // Percentiles as CloudWatch computes them from Values/Counts (nearest rank).
    const sent = datums
      .flatMap((d) => d.Values!.map((v, i) => [v, d.Counts![i]!] as const))
      .sort((a, b) => a[0] - b[0])
    const total = sent.reduce((n, [, c]) => n + c, 0)
    expect(total).toBe(samples.length)
    const percentile = (p: number) => {
      let seen = 0
      for (const [v, c] of sent) {
        seen += c
        if (seen >= Math.ceil((p / 100) * total)) return v
      }
      return Number.NaN
    }
    const exact = [...samples].sort((a, b) => a - b)
    const truth = (p: number) => exact[Math.ceil((p / 100) * exact.length) - 1]!
    for (const p of [50, 90, 99]) {
      expect(Math.abs(percentile(p) - truth(p)) / truth(p), `p${p}`).toBeLessThanOrEqual(0.05)
    }
  })

  it('quantizes to two significant figures', () => {
    expect([0, 0.456, 3, 12.04, 123.4, 9_876].map(quantize)).toEqual([0, 0.46, 3, 12, 120, 9_900])
  })

  it('flushes on its interval', async () => {
    vi.useFakeTimers()
    try {
      cw.on(PutMetricDataCommand).resolves({})
      const metrics = createCloudWatchMetrics({
        namespace: 'T',
        client: new CloudWatchClient({ region: 'us-east-1' }),
        log: log(),
        flushIntervalMs: 1000,
      })
      metrics.increment('Errors')
      expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(0)
      await vi.advanceTimersByTimeAsync(1000)
      expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(1)
      await vi.advanceTimersByTimeAsync(1000)
      expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(1) // nothing new, nothing sent
      await metrics.close()
    } finally {
      vi.useRealTimers()
    }
  })

  it('logs a failed send and never throws', async () => {
    cw.on(PutMetricDataCommand).rejects(new Error('throttled'))
    const logger = log()
    const metrics = createCloudWatchMetrics({
      namespace: 'T',
      client: new CloudWatchClient({ region: 'us-east-1' }),
      log: logger,
    })
    metrics.increment('Errors')
    await expect(metrics.flush()).resolves.toBeUndefined()
    expect(logger.warn).toHaveBeenCalledTimes(1)
    // the next flush works again once the API recovers
    cw.on(PutMetricDataCommand).resolves({})
    metrics.increment('Errors')
    await metrics.close()
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(2)
  })

  it('ignores non-finite samples and sends nothing when empty', async () => {
    cw.on(PutMetricDataCommand).resolves({})
    const metrics = createCloudWatchMetrics({
      namespace: 'T',
      client: new CloudWatchClient({ region: 'us-east-1' }),
      log: log(),
    })
    metrics.observe('ReservationLatency', Number.NaN)
    await metrics.close()
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(0)
  })

  it('rejects an absurd flush interval', () => {
    expect(() =>
      createCloudWatchMetrics({
        namespace: 'T',
        client: new CloudWatchClient({}),
        log: log(),
        flushIntervalMs: 10,
      }),
    ).toThrow(/flushIntervalMs/)
  })

  it('is off when namespace or region is missing', () => {
    expect(createMetrics({ log: log() })).toBe(noopMetrics)
    expect(createMetrics({ namespace: 'T', log: log() })).toBe(noopMetrics)
    expect(createMetrics({ namespace: 'T', region: 'eu-west-1', log: log() })).not.toBe(noopMetrics)
  })
})
