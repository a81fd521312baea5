import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group/index.js'
import { DataAwsSecretsmanagerRandomPassword } from '@cdktn/provider-aws/lib/data-aws-secretsmanager-random-password/index.js'
import { DbSubnetGroup } from '@cdktn/provider-aws/lib/db-subnet-group/index.js'
import { RdsCluster } from '@cdktn/provider-aws/lib/rds-cluster/index.js'
import { RdsClusterInstance } from '@cdktn/provider-aws/lib/rds-cluster-instance/index.js'
import { RdsClusterParameterGroup } from '@cdktn/provider-aws/lib/rds-cluster-parameter-group/index.js'
import { SecretsmanagerSecret } from '@cdktn/provider-aws/lib/secretsmanager-secret/index.js'
import { SecretsmanagerSecretRotation } from '@cdktn/provider-aws/lib/secretsmanager-secret-rotation/index.js'
import { SecretsmanagerSecretVersion } from '@cdktn/provider-aws/lib/secretsmanager-secret-version/index.js'
import { Fn } from 'cdktn'
import { Construct } from 'constructs'
import { validator } from './validate.js'

/** The Aurora MySQL version a Database runs unless told otherwise (3.10: long-term support). */
export const DEFAULT_AURORA_MYSQL_VERSION = '8.0.mysql_aurora.3.10.0'

/** The parameter-group family of an Aurora MySQL engine version, or undefined when it is not one. */
export function auroraMysqlFamily(engineVersion: string): string | undefined {
  const m = /^(\d+\.\d+)\.mysql_aurora\.\d+\.\d+\.\d+$/.exec(engineVersion)
  return m ? `aurora-mysql${m[1]}` : undefined
}

/** Props of {@link Database}. */
export interface DatabaseProps {
  /** Name prefix; the cluster is `<name>-aurora`. */
  readonly name: string
  /** Database subnets, at least two AZs. */
  readonly subnetIds: string[]
  /** Security group of the cluster (ingress from the app only). */
  readonly securityGroupId: string
  /** AZs for the writer and the reader, in that order (they must differ). */
  readonly availabilityZones: string[]
  /**
   * Aurora MySQL engine version, pinned (`<mysql major>.mysql_aurora.<aurora version>`). The
   * parameter-group family is derived from it (`8.0.mysql_aurora.3.10.0` → `aurora-mysql8.0`), so
   * a major upgrade moves both together instead of leaving an 8.0 group on an 8.4 cluster.
   * @default '8.0.mysql_aurora.3.10.0' (the Aurora MySQL 3.10 long-term-support release)
   */
  readonly engineVersion?: string
  /**
   * Instance class of the writer and the readers.
   * @default 'db.t4g.medium'
   */
  readonly instanceClass?: string
  /**
   * Reader instances (each in the next AZ after the writer's). At least 1 for Multi-AZ failover.
   * @default 1
   */
  readonly readers?: number
  /**
   * Initial database (schema) name.
   * @default 'ticketing'
   */
  readonly databaseName?: string
  /**
   * Master user name. Its password is generated and stored by RDS in Secrets Manager
   * (`manage_master_user_password`); it never appears in config or user data.
   * @default 'ticketing_admin'
   */
  readonly masterUsername?: string
  /**
   * The application's own database user: what the API connects as, instead of the master user.
   * Its password is generated into a Secrets Manager secret (`<name>/aurora/app-user`, the JSON
   * shape AWS's RDS rotation functions use); the user itself is created in MySQL once, after the
   * first apply, by the step in the README ("The application database user"): Terraform cannot
   * reach a database in isolated subnets.
   * @default 'ticketing_app'
   */
  readonly appUsername?: string
  /**
   * Rotation of the app user's secret: the ARN of a rotation function (AWS's
   * `SecretsManagerRDSMySQLRotationSingleUser`, deployed once per account and VPC) and how often.
   * The API follows a rotation by itself: it reads the secret when it connects and again when
   * MySQL refuses the password. Unset: the secret does not rotate (this package deploys no Lambda).
   * @default undefined
   */
  readonly appUserRotation?: { readonly lambdaArn: string; readonly everyDays?: number }
  /**
   * KMS key for storage, the master secret and the app user's secret; unset uses the AWS-managed
   * keys. With a key of your own, grant the app role kms:Decrypt on it.
   * @default undefined (aws/rds and aws/secretsmanager)
   */
  readonly kmsKeyArn?: string
  /**
   * Refuse `terraform destroy` on the cluster. Turn off only for throwaway dev stacks.
   * @default true
   */
  readonly deletionProtection?: boolean
  /**
   * Automated backup retention, 7 to 35 days.
   * @default 7
   */
  readonly backupRetentionDays?: number
  /**
   * Take a final snapshot (`<name>-aurora-final`) on destroy.
   * @default true
   */
  readonly finalSnapshot?: boolean
  /**
   * Performance Insights on every instance.
   * @default true
   */
  readonly performanceInsights?: boolean
  /**
   * Log types exported to CloudWatch Logs.
   * @default ['audit', 'error', 'slowquery']
   */
  readonly logExports?: string[]
  /**
   * Retention of the exported log groups, in days.
   * @default 30
   */
  readonly logRetentionDays?: number
}

/**
 * Aurora MySQL: writer + reader(s) in different AZs, encrypted, managed master password in
 * Secrets Manager, an application user with its own secret (optionally rotated), IAM auth, Performance Insights, log exports with retention, backups ≥ 7 days,
 * a final snapshot, deletion protection, and `require_secure_transport` on the cluster.
 */
export class Database extends Construct {
  readonly cluster: RdsCluster
  readonly writer: RdsClusterInstance
  readonly readers: RdsClusterInstance[] = []
  readonly parameterGroup: RdsClusterParameterGroup
  /** `<name>-aurora`; the CloudWatch `DBClusterIdentifier` dimension. */
  readonly clusterIdentifier: string
  /** ARN of the Secrets Manager secret RDS manages for the master user (JSON `{username, password}`). */
  readonly masterSecretArn: string
  /** The application user's name (`appUsername`). */
  readonly appUsername: string
  /** The application user's secret (JSON `{engine, host, port, dbname, username, password}`); the API reads this one. */
  readonly appSecret: SecretsmanagerSecret
  /** Rotation of {@link appSecret}, when `appUserRotation` is set. */
  readonly appSecretRotation?: SecretsmanagerSecretRotation
  readonly databaseName: string
  readonly port = 3306

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id)
    const v = validator('Database')
    const name = v.name('name', props.name, 40)
    if (props.subnetIds.length < 2) v.fail('subnetIds', 'need subnets in at least 2 AZs')
    const azs = v.azs('availabilityZones', props.availabilityZones)
    const readers = v.int('readers', props.readers ?? 1, 1, 15)
    const retention = v.int('backupRetentionDays', props.backupRetentionDays ?? 7, 7, 35)
    const logRetention = v.retention('logRetentionDays', props.logRetentionDays ?? 30)
    const databaseName = props.databaseName ?? 'ticketing'
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(databaseName))
      v.fail('databaseName', `"${databaseName}" is not a valid MySQL schema name`)
    const masterUsername = props.masterUsername ?? 'ticketing_admin'
    if (!/^[A-Za-z][A-Za-z0-9_]{0,15}$/.test(masterUsername))
      v.fail('masterUsername', `"${masterUsername}" must be 1-16 letters, digits or _`)
    const appUsername = props.appUsername ?? 'ticketing_app'
    if (!/^[A-Za-z][A-Za-z0-9_]{0,31}$/.test(appUsername))
      v.fail('appUsername', `"${appUsername}" must be 1-32 letters, digits or _`)
    if (appUsername === masterUsername) v.fail('appUsername', 'must differ from masterUsername')
    const rotationDays =
      props.appUserRotation &&
      v.int('appUserRotation.everyDays', props.appUserRotation.everyDays ?? 30, 1, 365)
    const logExports = props.logExports ?? ['audit', 'error', 'slowquery']
    for (const l of logExports)
      v.oneOf('logExports', l, ['audit', 'error', 'general', 'slowquery', 'iam-db-auth-error'])
    const instanceClass = props.instanceClass ?? 'db.t4g.medium'
    if (!instanceClass.startsWith('db.'))
      v.fail('instanceClass', `"${instanceClass}" is not an RDS instance class (db.*)`)
    const pi = props.performanceInsights ?? true
    this.clusterIdentifier = `${name}-aurora`
    const engineVersion = props.engineVersion ?? DEFAULT_AURORA_MYSQL_VERSION
    const family =
      auroraMysqlFamily(engineVersion) ??
      v.fail(
        'engineVersion',
        `"${engineVersion}" is not an Aurora MySQL version like 8.0.mysql_aurora.3.10.0`,
      )

    const subnetGroup = new DbSubnetGroup(this, 'subnets', {
      name: `${name}-aurora`,
      subnetIds: props.subnetIds,
      tags: { Name: `${name}-aurora` },
    })
    this.parameterGroup = new RdsClusterParameterGroup(this, 'params', {
      name: `${name}-${family.replace('.', '')}`,
      family,
      description: 'TLS-only connections, UTF-8, slow query log',
      parameter: [
        { name: 'require_secure_transport', value: 'ON' },
        { name: 'character_set_server', value: 'utf8mb4' },
        { name: 'collation_server', value: 'utf8mb4_unicode_ci' },
        { name: 'slow_query_log', value: '1' },
        { name: 'long_query_time', value: '1' },
        { name: 'server_audit_logging', value: '1' },
        { name: 'server_audit_events', value: 'CONNECT,QUERY_DDL' },
      ],
      tags: { Name: `${name}-aurora-mysql8` },
    })
    // RDS creates these on first export with no expiry; creating them first pins the retention.
    const logGroups = logExports.map(
      (log) =>
        new CloudwatchLogGroup(this, `log-${log}`, {
          name: `/aws/rds/cluster/${this.clusterIdentifier}/${log}`,
          retentionInDays: logRetention,
        }),
    )
    this.cluster = new RdsCluster(this, 'cluster', {
      clusterIdentifier: this.clusterIdentifier,
      engine: 'aurora-mysql',
      engineVersion,
      databaseName,
      masterUsername,
      manageMasterUserPassword: true,
      ...(props.kmsKeyArn ? { kmsKeyId: props.kmsKeyArn, masterUserSecretKmsKeyId: props.kmsKeyArn } : {}),
      storageEncrypted: true,
      iamDatabaseAuthenticationEnabled: true,
      dbSubnetGroupName: subnetGroup.name,
      dbClusterParameterGroupName: this.parameterGroup.name,
      vpcSecurityGroupIds: [props.securityGroupId],
      backupRetentionPeriod: retention,
      preferredBackupWindow: '17:00-18:00',
      preferredMaintenanceWindow: 'sun:18:30-sun:19:30',
      copyTagsToSnapshot: true,
      deletionProtection: props.deletionProtection ?? true,
      skipFinalSnapshot: !(props.finalSnapshot ?? true),
      finalSnapshotIdentifier: `${name}-aurora-final`,
      enabledCloudwatchLogsExports: logExports,
      tags: { Name: this.clusterIdentifier },
      dependsOn: logGroups,
    })
    this.masterSecretArn = this.cluster.masterUserSecret.get(0).secretArn
    this.databaseName = databaseName
    this.appUsername = appUsername

    // The API's own user. Its password is drawn once into the secret and then owned by rotation
    // (ignore_changes); it is in Terraform state until the first rotation, like the Redis token.
    this.appSecret = new SecretsmanagerSecret(this, 'app-user', {
      name: `${name}/aurora/app-user`,
      description: `Aurora user ${appUsername} of the ticketing API (not the master user)`,
      recoveryWindowInDays: 7,
      ...(props.kmsKeyArn ? { kmsKeyId: props.kmsKeyArn } : {}),
    })
    const appPassword = new DataAwsSecretsmanagerRandomPassword(this, 'app-user-random', {
      passwordLength: 40,
      // Letters and digits only: safe in a URL, a shell and a MySQL string without escaping.
      excludePunctuation: true,
    })
    new SecretsmanagerSecretVersion(this, 'app-user-value', {
      secretId: this.appSecret.id,
      secretString: Fn.jsonencode({
        engine: 'mysql',
        host: this.cluster.endpoint,
        port: this.port,
        dbname: databaseName,
        dbClusterIdentifier: this.clusterIdentifier,
        username: appUsername,
        password: appPassword.randomPassword,
      }),
      lifecycle: { ignoreChanges: ['secret_string'] },
    })
    if (props.appUserRotation) {
      this.appSecretRotation = new SecretsmanagerSecretRotation(this, 'app-user-rotation', {
        secretId: this.appSecret.id,
        rotationLambdaArn: props.appUserRotation.lambdaArn,
        rotationRules: { automaticallyAfterDays: rotationDays },
        // Not at creation: the user exists in MySQL only once the bootstrap step has run.
        rotateImmediately: false,
      })
    }

    const instance = (key: string, az: string, tier: number, after?: RdsClusterInstance) =>
      new RdsClusterInstance(this, key, {
        identifier: `${name}-aurora-${key}`,
        clusterIdentifier: this.cluster.id,
        engine: 'aurora-mysql',
        engineVersion,
        instanceClass,
        availabilityZone: az,
        dbSubnetGroupName: subnetGroup.name,
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
        promotionTier: tier,
        performanceInsightsEnabled: pi,
        ...(pi ? { performanceInsightsRetentionPeriod: 7 } : {}),
        ...(pi && props.kmsKeyArn ? { performanceInsightsKmsKeyId: props.kmsKeyArn } : {}),
        tags: { Name: `${name}-aurora-${key}` },
        // The first instance created becomes the writer: create readers after it.
        ...(after ? { dependsOn: [after] } : {}),
      })
    this.writer = instance('writer', azs[0]!, 0)
    for (let i = 0; i < readers; i++) {
      this.readers.push(instance(`reader-${i + 1}`, azs[(i + 1) % azs.length]!, 1, this.writer))
    }
  }
}
