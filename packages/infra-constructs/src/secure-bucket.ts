import { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket/index.js'
import { S3BucketLifecycleConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js'
import { S3BucketOwnershipControls } from '@cdktn/provider-aws/lib/s3-bucket-ownership-controls/index.js'
import { S3BucketPolicy } from '@cdktn/provider-aws/lib/s3-bucket-policy/index.js'
import { S3BucketPublicAccessBlock } from '@cdktn/provider-aws/lib/s3-bucket-public-access-block/index.js'
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktn/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js'
import { S3BucketVersioningA } from '@cdktn/provider-aws/lib/s3-bucket-versioning/index.js'
import { Construct } from 'constructs'
import { validator } from './validate.js'

/** One IAM policy statement (the JSON shape). */
export interface PolicyStatement {
  readonly Sid?: string
  readonly Effect: 'Allow' | 'Deny'
  readonly Principal?: unknown
  readonly Action: string | string[]
  readonly Resource: string | string[]
  readonly Condition?: Record<string, unknown>
}

/** Props of {@link SecureBucket}. */
export interface SecureBucketProps {
  /** Bucket name prefix (Terraform appends a unique suffix); at most 37 characters. */
  readonly namePrefix: string
  /**
   * KMS key for SSE-KMS; unset uses SSE-S3 (required for ALB access logs).
   * @default undefined (SSE-S3, AES256)
   */
  readonly kmsKeyArn?: string
  /**
   * Object versioning.
   * @default true
   */
  readonly versioned?: boolean
  /**
   * Expire current objects after this many days (0 = never); noncurrent versions expire after 30 days.
   * @default 0
   */
  readonly expireAfterDays?: number
  /**
   * Let `terraform destroy` delete a non-empty bucket.
   * @default false
   */
  readonly forceDestroy?: boolean
  /**
   * Statements added to the bucket policy next to the TLS-only deny, built from the bucket ARN.
   * @default no extra statements
   */
  readonly extraStatements?: (bucketArn: string) => PolicyStatement[]
}

/**
 * An S3 bucket that is versioned, encrypted, TLS-only, owner-enforced (no ACLs) and blocks all
 * public access. Used for backups and for ALB access logs.
 */
export class SecureBucket extends Construct {
  readonly bucket: S3Bucket
  /** The bucket policy; depend on it before asking a service to write to the bucket. */
  readonly policy: S3BucketPolicy

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id)
    const v = validator('SecureBucket')
    v.name('namePrefix', props.namePrefix, 37)
    const expire = v.int('expireAfterDays', props.expireAfterDays ?? 0, 0, 36500)

    this.bucket = new S3Bucket(this, 'bucket', {
      bucketPrefix: `${props.namePrefix}-`,
      forceDestroy: props.forceDestroy ?? false,
      tags: { Name: props.namePrefix },
    })
    const publicBlock = new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    })
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket: this.bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    })
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: this.bucket.id,
      rule: [
        props.kmsKeyArn
          ? {
              applyServerSideEncryptionByDefault: {
                sseAlgorithm: 'aws:kms',
                kmsMasterKeyId: props.kmsKeyArn,
              },
              bucketKeyEnabled: true,
            }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
      ],
    })
    if (props.versioned ?? true) {
      new S3BucketVersioningA(this, 'versioning', {
        bucket: this.bucket.id,
        versioningConfiguration: { status: 'Enabled' },
      })
    }
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: this.bucket.id,
      rule: [
        {
          id: 'tidy',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
          noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
          ...(expire > 0 ? { expiration: [{ days: expire }] } : {}),
        },
      ],
    })
    this.policy = new S3BucketPolicy(this, 'policy', {
      bucket: this.bucket.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          ...(props.extraStatements?.(this.bucket.arn) ?? []),
        ],
      }),
      // A policy put before the public-access block is in place can be rejected as public.
      dependsOn: [publicBlock],
    })
  }
}
