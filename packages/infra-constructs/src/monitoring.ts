import { CloudwatchDashboard } from '@cdktn/provider-aws/lib/cloudwatch-dashboard/index.js'
import { CloudwatchMetricAlarm } from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm/index.js'
import { Construct } from 'constructs'
import {
  DEFAULT_METRICS_NAMESPACE,
  TICKETING_METRICS,
  type TicketingMetric,
  WAITING_ROOM_METRICS,
} from './metrics.js'
import { validator } from './validate.js'

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  /** Name prefix: `<name>-dashboard`, `<name>-high-cpu`, ... */
  readonly name: string
  readonly region: string
  /** Every alarm notifies this topic on ALARM and OK. */
  readonly alarmTopicArn: string
  /** `arn_suffix` of the ALB (`app/<name>/<id>`): the only form CloudWatch dimensions accept. */
  readonly loadBalancerArnSuffix: string
  /** `arn_suffix` of the target group. */
  readonly targetGroupArnSuffix: string
  readonly autoScalingGroupName: string
  readonly dbClusterIdentifier: string
  /** Redis node ids (`<group>-001`, ...), the ElastiCache `CacheClusterId` dimension. */
  readonly cacheClusterIds: string[]
  /**
   * Dead-letter queue name; adds a "DLQ not empty" alarm.
   * @default undefined
   */
  readonly deadLetterQueueName?: string
  /**
   * Namespace of the API's custom metrics.
   * @default 'Ticketing'
   */
  readonly metricsNamespace?: string
  /**
   * Custom metrics charted on the dashboard.
   * @default TICKETING_METRICS
   */
  readonly customMetrics?: readonly TicketingMetric[]
  /**
   * The waiting room's dashboard row (queue length, admissions, wait p50/p99, abandoned turns) and
   * the "queue stalled" alarm. Harmless without queued events: no data, no alarm.
   * @default true
   */
  readonly waitingRoom?: boolean
  /**
   * Minutes people may wait with no admission before "queue stalled" fires.
   * @default 3
   */
  readonly queueStalledMinutes?: number
  /**
   * Fleet CPU alarm threshold, percent (above the scaling target, so it fires only when scaling lags).
   * @default 85
   */
  readonly cpuHighPercent?: number
  /**
   * Aurora CPU alarm threshold, percent.
   * @default 80
   */
  readonly dbCpuHighPercent?: number
  /**
   * Redis memory alarm threshold (DatabaseMemoryUsagePercentage).
   * @default 80
   */
  readonly redisMemoryHighPercent?: number
  /**
   * 5xx alarm threshold: (ELB 5xx + target 5xx) / requests, percent.
   * @default 5
   */
  readonly http5xxRatePercent?: number
}

/**
 * CloudWatch dashboard (ALB, EC2, Aurora, Redis, ASG, the API's custom metrics and its waiting
 * room) and alarms on high CPU, unhealthy hosts, 5xx rate, DB CPU, Redis memory, a stalled
 * waiting room (and a non-empty DLQ), dimensioned on `arn_suffix` and notifying the SNS topic.
 */
export class Monitoring extends Construct {
  readonly dashboard: CloudwatchDashboard
  readonly alarms: CloudwatchMetricAlarm[] = []
  readonly dashboardName: string

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id)
    const v = validator('Monitoring')
    const name = v.name('name', props.name, 200)
    const cpuHigh = v.number('cpuHighPercent', props.cpuHighPercent ?? 85, 1, 100)
    const dbCpuHigh = v.number('dbCpuHighPercent', props.dbCpuHighPercent ?? 80, 1, 100)
    const redisMemHigh = v.number('redisMemoryHighPercent', props.redisMemoryHighPercent ?? 80, 1, 100)
    const rate5xx = v.number('http5xxRatePercent', props.http5xxRatePercent ?? 5, 0.01, 100)
    const waitingRoom = props.waitingRoom ?? true
    const stalledMinutes = v.int('queueStalledMinutes', props.queueStalledMinutes ?? 3, 1, 60)
    if (props.cacheClusterIds.length === 0) v.fail('cacheClusterIds', 'need at least one Redis node id')
    const namespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE
    const custom = props.customMetrics ?? TICKETING_METRICS
    const lb = props.loadBalancerArnSuffix
    const tg = props.targetGroupArnSuffix
    const asg = props.autoScalingGroupName
    const db = props.dbClusterIdentifier
    const actions = [props.alarmTopicArn]
    this.dashboardName = `${name}-dashboard`

    type Metric = (string | Record<string, unknown>)[]
    let y = 0
    const widgets: object[] = []
    const row = (items: { title: string; metrics: Metric[]; stat?: string }[]) => {
      const width = Math.floor(24 / items.length)
      items.forEach((w, i) => {
        widgets.push({
          type: 'metric',
          x: i * width,
          y,
          width,
          height: 6,
          properties: {
            title: w.title,
            region: props.region,
            view: 'timeSeries',
            stacked: false,
            period: 60,
            stat: w.stat ?? 'Average',
            metrics: w.metrics,
          },
        })
      })
      y += 6
    }
    row([
      {
        title: 'ALB healthy / unhealthy hosts',
        stat: 'Minimum',
        metrics: [
          ['AWS/ApplicationELB', 'HealthyHostCount', 'TargetGroup', tg, 'LoadBalancer', lb],
          [
            'AWS/ApplicationELB',
            'UnHealthyHostCount',
            'TargetGroup',
            tg,
            'LoadBalancer',
            lb,
            { stat: 'Maximum' },
          ],
        ],
      },
      {
        title: 'ALB requests and 5xx',
        stat: 'Sum',
        metrics: [
          ['AWS/ApplicationELB', 'RequestCount', 'LoadBalancer', lb],
          ['AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', 'LoadBalancer', lb],
          ['AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count', 'LoadBalancer', lb],
        ],
      },
      {
        title: 'ALB target response time (p50 / p99)',
        metrics: [
          ['AWS/ApplicationELB', 'TargetResponseTime', 'LoadBalancer', lb, { stat: 'p50' }],
          ['AWS/ApplicationELB', 'TargetResponseTime', 'LoadBalancer', lb, { stat: 'p99' }],
        ],
      },
    ])
    row([
      {
        title: 'EC2 CPU (fleet average)',
        metrics: [['AWS/EC2', 'CPUUtilization', 'AutoScalingGroupName', asg]],
      },
      {
        title: 'ASG size',
        metrics: [
          ['AWS/AutoScaling', 'GroupInServiceInstances', 'AutoScalingGroupName', asg],
          ['AWS/AutoScaling', 'GroupDesiredCapacity', 'AutoScalingGroupName', asg],
          ['AWS/AutoScaling', 'GroupMaxSize', 'AutoScalingGroupName', asg],
        ],
      },
    ])
    row([
      {
        title: 'Aurora connections',
        metrics: [['AWS/RDS', 'DatabaseConnections', 'DBClusterIdentifier', db]],
      },
      { title: 'Aurora CPU', metrics: [['AWS/RDS', 'CPUUtilization', 'DBClusterIdentifier', db]] },
    ])
    row([
      {
        title: 'Redis memory used (%)',
        metrics: props.cacheClusterIds.map((c) => [
          'AWS/ElastiCache',
          'DatabaseMemoryUsagePercentage',
          'CacheClusterId',
          c,
        ]),
      },
      {
        title: 'Redis engine CPU (%)',
        metrics: props.cacheClusterIds.map((c) => [
          'AWS/ElastiCache',
          'EngineCPUUtilization',
          'CacheClusterId',
          c,
        ]),
      },
    ])
    // The API's own metrics, four widgets per row.
    for (let i = 0; i < custom.length; i += 4) {
      row(
        custom.slice(i, i + 4).map((m) => ({
          title: `${m.name} (${m.stat})`,
          stat: m.stat,
          metrics: [[namespace, m.name]],
        })),
      )
    }
    if (waitingRoom) {
      const [length, admissions, wait, abandoned] = WAITING_ROOM_METRICS
      row([
        {
          title: 'Waiting room: people waiting (max)',
          stat: length.stat,
          metrics: [[namespace, length.name]],
        },
        { title: 'Waiting room: admissions', stat: admissions.stat, metrics: [[namespace, admissions.name]] },
        {
          title: 'Waiting room: wait until admitted, ms (p50 / p99)',
          metrics: [
            [namespace, wait.name, { stat: 'p50' }],
            [namespace, wait.name, { stat: 'p99' }],
          ],
        },
        {
          title: 'Waiting room: abandoned turns',
          stat: abandoned.stat,
          metrics: [[namespace, abandoned.name]],
        },
      ])
    }
    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: this.dashboardName,
      dashboardBody: JSON.stringify({ widgets }),
    })

    const alarm = (
      key: string,
      description: string,
      cfg: Omit<
        ConstructorParameters<typeof CloudwatchMetricAlarm>[2],
        'alarmName' | 'alarmActions' | 'okActions'
      >,
    ) => {
      this.alarms.push(
        new CloudwatchMetricAlarm(this, key, {
          alarmName: `${name}-${key}`,
          alarmDescription: description,
          alarmActions: actions,
          okActions: actions,
          ...cfg,
        }),
      )
    }
    alarm('high-cpu', `Fleet CPU above ${cpuHigh}% for 10 minutes: scaling is not keeping up`, {
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: { AutoScalingGroupName: asg },
      statistic: 'Average',
      period: 300,
      evaluationPeriods: 2,
      threshold: cpuHigh,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'missing',
    })
    alarm('unhealthy-hosts', 'At least one target failed /api/health for 3 minutes', {
      namespace: 'AWS/ApplicationELB',
      metricName: 'UnHealthyHostCount',
      dimensions: { LoadBalancer: lb, TargetGroup: tg },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 3,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
    })
    alarm('http-5xx-rate', `More than ${rate5xx}% of requests answered 5xx for 5 minutes`, {
      evaluationPeriods: 5,
      threshold: rate5xx,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      metricQuery: [
        {
          id: 'rate',
          expression: '100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests',
          label: '5xx rate (%)',
          returnData: true,
        },
        ...(
          [
            ['elb5xx', 'HTTPCode_ELB_5XX_Count'],
            ['target5xx', 'HTTPCode_Target_5XX_Count'],
            ['requests', 'RequestCount'],
          ] as const
        ).map(([qid, metricName]) => ({
          id: qid,
          returnData: false,
          metric: {
            namespace: 'AWS/ApplicationELB',
            metricName,
            dimensions: { LoadBalancer: lb },
            period: 60,
            stat: 'Sum',
          },
        })),
      ],
    })
    alarm('db-cpu', `Aurora CPU above ${dbCpuHigh}% for 10 minutes`, {
      namespace: 'AWS/RDS',
      metricName: 'CPUUtilization',
      dimensions: { DBClusterIdentifier: db },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 2,
      threshold: dbCpuHigh,
      comparisonOperator: 'GreaterThanThreshold',
    })
    props.cacheClusterIds.forEach((node, i) => {
      alarm(`redis-memory-${i + 1}`, `Redis node ${node} memory above ${redisMemHigh}%: eviction is near`, {
        namespace: 'AWS/ElastiCache',
        metricName: 'DatabaseMemoryUsagePercentage',
        dimensions: { CacheClusterId: node },
        statistic: 'Maximum',
        period: 300,
        evaluationPeriods: 2,
        threshold: redisMemHigh,
        comparisonOperator: 'GreaterThanThreshold',
      })
    })
    if (waitingRoom) {
      // People are waiting (the longest queue any instance reports is not empty) and nobody was
      // admitted, minute after minute: the controller is not ticking, is paused by the health
      // signal, or every active slot is held. FILL: a minute without admissions publishes no
      // QueueAdmissions datum at all; a minute without QueueLength (no queued event) is not a stall.
      alarm(
        'queue-stalled',
        `People are waiting in the queue and nobody was admitted for ${stalledMinutes} minutes`,
        {
          evaluationPeriods: stalledMinutes,
          datapointsToAlarm: stalledMinutes,
          threshold: 0,
          comparisonOperator: 'GreaterThanThreshold',
          treatMissingData: 'notBreaching',
          metricQuery: [
            {
              id: 'stalled',
              expression: 'IF(FILL(waiting, 0) > 0 AND FILL(admitted, 0) == 0, 1, 0)',
              label: 'waiting with no admission (1 = stalled)',
              returnData: true,
            },
            ...(
              [
                ['waiting', 'QueueLength', 'Maximum'],
                ['admitted', 'QueueAdmissions', 'Sum'],
              ] as const
            ).map(([qid, metricName, stat]) => ({
              id: qid,
              returnData: false,
              metric: { namespace, metricName, period: 60, stat },
            })),
          ],
        },
      )
    }
    if (props.deadLetterQueueName) {
      alarm('dlq-not-empty', 'Messages are landing in the dead-letter queue', {
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: props.deadLetterQueueName },
        statistic: 'Maximum',
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      })
    }
  }
}
