import {
  type CloudWatchClient,
  type MetricDatum,
  PutMetricDataCommand,
  type StandardUnit,
} from '@aws-sdk/client-cloudwatch'

/** The service's custom metrics: the contract with the CloudWatch dashboard in infra-constructs. */
export type MetricName =
  | 'ReservationsConfirmed'
  | 'ReservationsRejected'
  | 'SoldOutRejections'
  | 'ReservationLatency'
  | 'LockConflicts'
  | 'CacheHitRatio'
  | 'DbBatchSize'
  | 'Errors'

export const metricUnits: Record<MetricName, StandardUnit> = {
  ReservationsConfirmed: 'Count',
  ReservationsRejected: 'Count',
  SoldOutRejections: 'Count',
  ReservationLatency: 'Milliseconds',
  LockConflicts: 'Count',
  CacheHitRatio: 'Percent',
  DbBatchSize: 'Count',
  Errors: 'Count',
}

/** Where the service reports what it does. Recording never throws and never waits. */
export interface Metrics {
  /** Adds `value` (default 1) to a counter. */
  increment(name: MetricName, value?: number): void
  /** Records one sample (a latency, a batch size, a ratio). */
  observe(name: MetricName, value: number): void
  /** Sends what has been recorded so far. Failures are logged, never thrown. */
  flush(): Promise<void>
  /** Stops the interval and flushes one last time. */
  close(): Promise<void>
}

export interface CloudWatchMetricsOptions {
  namespace: string
  client: Pick<CloudWatchClient, 'send'>
  log: { warn(obj: unknown, msg?: string): void }
  /** How often buffered samples are sent. @default 60_000 */
  flushIntervalMs?: number
}

/**
 * PutMetricData takes at most 1,000 datums per request. We aggregate each metric into one
 * StatisticSet per flush, so a request normally carries 8 datums; the chunking is for safety.
 */
export const MAX_DATUMS_PER_REQUEST = 1000

interface Aggregate {
  count: number
  sum: number
  min: number
  max: number
}

/**
 * Buffers samples in memory as one StatisticSet per metric and sends them with batched
 * PutMetricData calls: on an interval, and on close. A failed send is logged and dropped:
 * metrics must never take the service down or hold up a reservation.
 */
export function createCloudWatchMetrics(options: CloudWatchMetricsOptions): Metrics {
  const { namespace, client, log } = options
  const intervalMs = options.flushIntervalMs ?? 60_000
  if (!Number.isInteger(intervalMs) || intervalMs < 1000) {
    throw new RangeError(`flushIntervalMs must be an integer >= 1000, got ${intervalMs}`)
  }
  let buffer = new Map<MetricName, Aggregate>()
  let inFlight: Promise<void> = Promise.resolve()

  const record = (name: MetricName, value: number) => {
    if (!Number.isFinite(value)) return
    const agg = buffer.get(name)
    if (agg) {
      agg.count++
      agg.sum += value
      agg.min = Math.min(agg.min, value)
      agg.max = Math.max(agg.max, value)
    } else {
      buffer.set(name, { count: 1, sum: value, min: value, max: value })
    }
  }

  const send = async (datums: MetricDatum[]) => {
    for (let i = 0; i < datums.length; i += MAX_DATUMS_PER_REQUEST) {
      const chunk = datums.slice(i, i + MAX_DATUMS_PER_REQUEST)
      try {
        await client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: chunk }))
      } catch (error) {
        log.warn({ err: error, datums: chunk.length }, 'metrics: PutMetricData failed; samples dropped')
      }
    }
  }

  const flush = () => {
    if (buffer.size === 0) return inFlight
    const taken = buffer
    buffer = new Map()
    const timestamp = new Date()
    const datums: MetricDatum[] = [...taken].map(([name, agg]) => ({
      MetricName: name,
      Unit: metricUnits[name],
      Timestamp: timestamp,
      StatisticValues: { SampleCount: agg.count, Sum: agg.sum, Minimum: agg.min, Maximum: agg.max },
    }))
    inFlight = inFlight.then(() => send(datums))
    return inFlight
  }

  const timer = setInterval(() => void flush(), intervalMs)
  timer.unref()

  return {
    increment: (name, value = 1) => record(name, value),
    observe: record,
    flush,
    async close() {
      clearInterval(timer)
      await flush()
    },
  }
}

/** Metrics that go nowhere: CloudWatch is off when no namespace or region is configured. */
export const noopMetrics: Metrics = {
  increment() {},
  observe() {},
  flush: async () => {},
  close: async () => {},
}
