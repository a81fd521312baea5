import { DataAwsCallerIdentity } from '@cdktn/provider-aws/lib/data-aws-caller-identity/index.js'
import { KmsAlias } from '@cdktn/provider-aws/lib/kms-alias/index.js'
import { KmsKey } from '@cdktn/provider-aws/lib/kms-key/index.js'
import { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic/index.js'
import { SnsTopicSubscription } from '@cdktn/provider-aws/lib/sns-topic-subscription/index.js'
import { SqsQueue } from '@cdktn/provider-aws/lib/sqs-queue/index.js'
import { Construct } from 'constructs'
import { validator } from './validate.js'

/** Props of {@link Messaging}. */
export interface MessagingProps {
  /** Name prefix: `<name>-alerts` topic, `<name>-events` queue, `<name>-events-dlq`. */
  readonly name: string
  /**
   * Email subscribed to the alert topic (AWS mails a confirmation link first).
   * @default undefined (no subscription)
   */
  readonly alarmEmail?: string
  /**
   * Receives before a message moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number
  /**
   * Queue visibility timeout, seconds.
   * @default 60
   */
  readonly visibilityTimeoutSeconds?: number
  /**
   * Dead-letter retention, seconds (the maximum, 14 days, leaves time to replay).
   * @default 1209600
   */
  readonly dlqRetentionSeconds?: number
}

/**
 * The alert topic and the work queue. SNS is encrypted with a customer-managed KMS key whose policy
 * lets CloudWatch alarms publish (the AWS-managed aws/sns key does not allow that, so alarms on a
 * topic encrypted with it silently never arrive). SQS uses SSE-SQS and a DLQ.
 */
export class Messaging extends Construct {
  readonly key: KmsKey
  readonly alertTopic: SnsTopic
  readonly queue: SqsQueue
  readonly deadLetterQueue: SqsQueue

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id)
    const v = validator('Messaging')
    const name = v.name('name', props.name, 60)
    const maxReceive = v.int('maxReceiveCount', props.maxReceiveCount ?? 5, 1, 1000)
    const visibility = v.int('visibilityTimeoutSeconds', props.visibilityTimeoutSeconds ?? 60, 0, 43200)
    const dlqRetention = v.int('dlqRetentionSeconds', props.dlqRetentionSeconds ?? 1_209_600, 60, 1_209_600)
    if (props.alarmEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(props.alarmEmail)) {
      v.fail('alarmEmail', `"${props.alarmEmail}" is not an email address`)
    }

    const account = new DataAwsCallerIdentity(this, 'account')
    this.key = new KmsKey(this, 'key', {
      description: `${name}: alert topic encryption`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AccountAdmin',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${account.accountId}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
          {
            Sid: 'CloudWatchAlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': account.accountId } },
          },
        ],
      }),
      tags: { Name: `${name}-alerts` },
    })
    new KmsAlias(this, 'alias', { name: `alias/${name}-alerts`, targetKeyId: this.key.keyId })

    this.alertTopic = new SnsTopic(this, 'alerts', {
      name: `${name}-alerts`,
      kmsMasterKeyId: this.key.arn,
      tags: { Name: `${name}-alerts` },
    })
    if (props.alarmEmail) {
      new SnsTopicSubscription(this, 'email', {
        topicArn: this.alertTopic.arn,
        protocol: 'email',
        endpoint: props.alarmEmail,
      })
    }

    this.deadLetterQueue = new SqsQueue(this, 'dlq', {
      name: `${name}-events-dlq`,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: dlqRetention,
      tags: { Name: `${name}-events-dlq` },
    })
    this.queue = new SqsQueue(this, 'queue', {
      name: `${name}-events`,
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: visibility,
      receiveWaitTimeSeconds: 20,
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: maxReceive,
      }),
      tags: { Name: `${name}-events` },
    })
  }
}
