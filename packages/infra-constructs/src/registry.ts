import { EcrLifecyclePolicy } from '@cdktn/provider-aws/lib/ecr-lifecycle-policy/index.js'
import { EcrRepository } from '@cdktn/provider-aws/lib/ecr-repository/index.js'
import { Construct } from 'constructs'
import { validator } from './validate.js'

/** Props of {@link Registry}. */
export interface RegistryProps {
  /** Repository name, e.g. `ticketing-dev`. */
  readonly name: string
  /**
   * Tags cannot be overwritten: a deploy pins an exact image, and `latest` cannot silently move.
   * @default true
   */
  readonly immutableTags?: boolean
  /**
   * Tagged images kept by the lifecycle policy (untagged ones expire after 7 days).
   * @default 30
   */
  readonly keepImages?: number
  /**
   * KMS key for the repository; unset uses AES256.
   * @default undefined
   */
  readonly kmsKeyArn?: string
  /**
   * Let `terraform destroy` delete a repository that still has images.
   * @default false
   */
  readonly forceDelete?: boolean
}

/** ECR repository: scan on push, immutable tags, encryption and a lifecycle policy. */
export class Registry extends Construct {
  readonly repository: EcrRepository

  constructor(scope: Construct, id: string, props: RegistryProps) {
    super(scope, id)
    const v = validator('Registry')
    const name = v.name('name', props.name, 200)
    const keep = v.int('keepImages', props.keepImages ?? 30, 1, 1000)
    this.repository = new EcrRepository(this, 'repo', {
      name,
      imageTagMutability: (props.immutableTags ?? true) ? 'IMMUTABLE' : 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [
        props.kmsKeyArn ? { encryptionType: 'KMS', kmsKey: props.kmsKeyArn } : { encryptionType: 'AES256' },
      ],
      forceDelete: props.forceDelete ?? false,
      tags: { Name: name },
    })
    new EcrLifecyclePolicy(this, 'lifecycle', {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: 'Expire untagged images after 7 days',
            selection: {
              tagStatus: 'untagged',
              countType: 'sinceImagePushed',
              countUnit: 'days',
              countNumber: 7,
            },
            action: { type: 'expire' },
          },
          {
            rulePriority: 2,
            description: `Keep the last ${keep} images`,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keep },
            action: { type: 'expire' },
          },
        ],
      }),
    })
  }
}
