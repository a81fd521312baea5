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
  | 'QueueLength'
  | 'QueueAdmissions'
  | 'QueueWait'
  | 'QueueAbandonedTurns'

export const metricUnits: Record<MetricName, StandardUnit> = {
  ReservationsConfirmed: 'Count',
  ReservationsRejected: 'Count',
  SoldOutRejections: 'Count',
  ReservationLatency: 'Milliseconds',
  LockConflicts: 'Count',
  CacheHitRatio: 'Percent',
  DbBatchSize: 'Count',
  Errors: 'Count',
  // Waiting room (src/queue/room.ts): waiters per tick sample, admissions and abandoned turns
  // per tick, wait per admission.
  QueueLength: 'Count',
  QueueAdmissions: 'Count',
  QueueWait: 'Milliseconds',
  QueueAbandonedTurns: 'Count',
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

/** PutMetricData takes at most 1,000 datums per request. */
export const MAX_DATUMS_PER_REQUEST = 1000
/** …and at most 150 distinct values per datum (Values/Counts). */
export const MAX_VALUES_PER_DATUM = 150

/**
 * A sample rounded to two significant figures (123.4 → 120, 0.456 → 0.46): at most 5 % off, and
 * at most 90 distinct values per decade, so a minute of samples stays a few datums however many
 * requests it saw.
 */
export function quantize(value: number): number {
  if (value === 0) return 0
  const magnitude = 10 ** (Math.floor(Math.log10(Math.abs(value))) - 1)
  return Number((Math.round(value / magnitude) * magnitude).toPrecision(2))
}

/**
 * Buffers samples in memory as a histogram per metric (value → count) and sends them as
 * PutMetricData `Values`/`Counts`, from which CloudWatch computes percentiles (the dashboard's
 * p99 latency and its alarms); a StatisticSet (min, max, sum, count) would not let it. Sent on
 * an interval and on close; a failed send is logged and dropped: metrics must never take the
 * service down or hold up a reservation.
 */
export function createCloudWatchMetrics(options: CloudWatchMetricsOptions): Metrics {
  const { namespace, client, log } = options
  const intervalMs = options.flushIntervalMs ?? 60_000
  if (!Number.isInteger(intervalMs) || intervalMs < 1000) {
    throw new RangeError(`flushIntervalMs must be an integer >= 1000, got ${intervalMs}`)
  }
  let buffer = new Map<MetricName, Map<number, number>>()
  let inFlight: Promise<void> = Promise.resolve()

  /** Counters keep their exact value (small integers); samples are quantized. */
  const record = (name: MetricName, value: number, exact = false) => {
    if (!Number.isFinite(value)) return
    let histogram = buffer.get(name)
    if (!histogram) {
      histogram = new Map()
      buffer.set(name, histogram)
    }
    const v = exact ? value : quantize(value)
    histogram.set(v, (histogram.get(v) ?? 0) + 1)
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
    const datums: MetricDatum[] = [...taken].flatMap(([name, histogram]) => {
      const entries = [...histogram]
      const out: MetricDatum[] = []
      for (let i = 0; i < entries.length; i += MAX_VALUES_PER_DATUM) {
        const part = entries.slice(i, i + MAX_VALUES_PER_DATUM)
        out.push({
          MetricName: name,
          Unit: metricUnits[name],
          Timestamp: timestamp,
          Values: part.map(([v]) => v),
          Counts: part.map(([, n]) => n),
        })
      }
      return out
    })
    inFlight = inFlight.then(() => send(datums))
    return inFlight
  }

  const timer = setInterval(() => void flush(), intervalMs)
  timer.unref()

  return {
    increment: (name, value = 1) => record(name, value, true),
    observe: (name, value) => record(name, value),
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
