import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch'
import { mockClient } from 'aws-sdk-client-mock'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCloudWatchMetrics, createMetrics, noopMetrics } from '../src/infra/metrics/index.js'

const cw = mockClient(CloudWatchClient)
const log = () => ({ warn: vi.fn() })

afterEach(() => cw.reset())

describe('CloudWatch metrics', () => {
  it('aggregates samples into one StatisticSet per metric and sends them in one request', async () => {
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
    await metrics.close()

    const calls = cw.commandCalls(PutMetricDataCommand)
    expect(calls).toHaveLength(1)
    const input = calls[0]!.args[0].input
    expect(input.Namespace).toBe('Ticketing')
    const byName = Object.fromEntries(input.MetricData!.map((d) => [d.MetricName, d]))
    expect(byName.ReservationsConfirmed).toMatchObject({
      Unit: 'Count',
      StatisticValues: { SampleCount: 2, Sum: 5, Minimum: 1, Maximum: 4 },
    })
    expect(byName.ReservationLatency).toMatchObject({
      Unit: 'Milliseconds',
      StatisticValues: { SampleCount: 2, Sum: 15, Minimum: 3, Maximum: 12 },
    })
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
