import { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { createCloudWatchMetrics, type Metrics, noopMetrics } from './cloudwatch.js'

export {
  type CloudWatchMetricsOptions,
  createCloudWatchMetrics,
  MAX_DATUMS_PER_REQUEST,
  type MetricName,
  type Metrics,
  metricUnits,
  noopMetrics,
} from './cloudwatch.js'

export interface MetricsOptions {
  /** CloudWatch namespace (CLOUDWATCH_NAMESPACE). Metrics are off when unset. */
  namespace?: string
  /** AWS region (AWS_REGION). Metrics are off when unset. */
  region?: string
  /** @default 60_000 */
  flushIntervalMs?: number
  log: { warn(obj: unknown, msg?: string): void }
}

/** CloudWatch metrics when both namespace and region are set, otherwise a no-op sink. */
export function createMetrics(options: MetricsOptions): Metrics {
  if (!options.namespace || !options.region) return noopMetrics
  return createCloudWatchMetrics({
    namespace: options.namespace,
    client: new CloudWatchClient({ region: options.region }),
    log: options.log,
    flushIntervalMs: options.flushIntervalMs,
  })
}
