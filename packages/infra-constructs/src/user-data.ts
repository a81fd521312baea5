/** Everything the boot script needs; all values may be Terraform tokens. Nothing here is secret. */
export interface UserDataInput {
  readonly region: string
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<repo>` (the repository_url attribute). */
  readonly repositoryUrl: string
  readonly imageTag: string
  readonly appPort: number
  readonly databaseHost: string
  readonly databaseReaderHost: string
  readonly databasePort: number
  readonly databaseName: string
  /** Secret ARN holding `{"username", "password"}`: the application user's, not the master's. */
  readonly databaseSecretArn: string
  readonly redisHost: string
  readonly redisPort: number
  /** Secret ARN whose SecretString is the Redis AUTH token. */
  readonly redisSecretArn: string
  /** Secret ARN whose SecretString is the JWT signing secret. */
  readonly jwtSecretArn: string
  readonly cloudwatchNamespace: string
  readonly logGroupName: string
  /** Extra non-secret environment variables for the container. */
  readonly extraEnv: Record<string, string>
  /**
   * Proxies in front of the app whose X-Forwarded-For entries it believes (TRUST_PROXY): 1 for
   * the ALB, 2 with CloudFront in front of the ALB.
   * @default 1
   */
  readonly trustProxyHops?: number
}

/**
 * Renders the instance boot script. It logs in to the real ECR registry, pulls the image, builds
 * DATABASE_URL and REDIS_URL from Secrets Manager at boot (the secrets never appear in user data,
 * Terraform config or the launch template), and runs the container on the app port.
 *
 * Written without `${...}` or `%{...}`: Terraform would read those as its own interpolation, so
 * the only `${...}` left in the rendered text are Terraform references to real resources.
 */
export function renderUserData(input: UserDataInput): string {
  const extra = Object.entries(input.extraEnv)
    .map(([k, val]) => `${k}=${val}`)
    .join('\n')
  for (const key of Object.keys(input.extraEnv)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) throw new Error(`renderUserData: invalid env name "${key}"`)
  }
  const hops = input.trustProxyHops ?? 1
  // The one-proxy text is unchanged from earlier releases, so their launch templates plan no change.
  const trustNote =
    hops === 1
      ? 'TRUST_PROXY=1: the ALB is the one proxy in front, and its\n# X-Forwarded-For names the client (rate limits count per client, not per ALB node).'
      : `TRUST_PROXY=${hops}: ${hops} proxies in front (with CloudFront: the edge, then the ALB); the entry\n# before theirs in X-Forwarded-For names the client (rate limits count per client, not per edge).`
  return `#!/bin/bash
# Boot script of the ticketing API (rendered by @ticketing/infra-constructs). Log: /var/log/user-data.log
set -euo pipefail
exec > >(tee -a /var/log/user-data.log) 2>&1

REGION="${input.region}"
REPOSITORY_URL="${input.repositoryUrl}"
IMAGE="$REPOSITORY_URL:${input.imageTag}"
REGISTRY="$(echo "$REPOSITORY_URL" | cut -d/ -f1)"

dnf install -y docker jq
systemctl enable --now docker

secret() {
  aws secretsmanager get-secret-value --region "$REGION" --secret-id "$1" --query SecretString --output text
}
urlencode() {
  jq -rn --arg v "$1" '$v|@uri'
}

# Secrets are read here, at boot, with the instance role; they are written only to a root-only env file.
DB_USER="$(secret '${input.databaseSecretArn}' | jq -r .username)"
REDIS_TOKEN="$(secret '${input.redisSecretArn}')"
JWT_SECRET="$(secret '${input.jwtSecretArn}')"

# ssl=Amazon RDS: mysql2's TLS profile with the RDS CA bundle (the cluster requires TLS).
# The database password is not copied here: its secret rotates, so the app
# reads it from the secret itself when it connects, and again when MySQL refuses it
# (DATABASE_SECRET_ID). ${trustNote}
umask 077
mkdir -p /etc/ticketing
cat > /etc/ticketing/app.env <<ENV
PORT=${input.appPort}
NODE_ENV=production
AUTH_MODE=jwt
JWT_SECRET=$JWT_SECRET
DATABASE_URL=mysql://$(urlencode "$DB_USER")@${input.databaseHost}:${input.databasePort}/${input.databaseName}?ssl=Amazon%20RDS
DATABASE_READER_URL=mysql://$(urlencode "$DB_USER")@${input.databaseReaderHost}:${input.databasePort}/${input.databaseName}?ssl=Amazon%20RDS
DATABASE_SECRET_ID=${input.databaseSecretArn}
TRUST_PROXY=${hops}
REDIS_URL=rediss://:$(urlencode "$REDIS_TOKEN")@${input.redisHost}:${input.redisPort}
CLOUDWATCH_NAMESPACE=${input.cloudwatchNamespace}
AWS_REGION=$REGION
${extra}
ENV
unset REDIS_TOKEN JWT_SECRET

aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "$REGISTRY"
docker pull "$IMAGE"
docker rm -f ticketing-api 2>/dev/null || true
docker run -d --name ticketing-api --restart unless-stopped \\
  -p ${input.appPort}:${input.appPort} \\
  --env-file /etc/ticketing/app.env \\
  --log-driver awslogs \\
  --log-opt awslogs-region="$REGION" \\
  --log-opt awslogs-group='${input.logGroupName}' \\
  --log-opt awslogs-create-group=false \\
  "$IMAGE"
echo "ticketing-api started from $IMAGE"
`
}
