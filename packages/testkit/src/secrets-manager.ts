import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'

/** One version of a secret. */
interface SecretVersion {
  versionId: string
  secretString: string
  createdDate: number
}

interface StoredSecret {
  name: string
  arn: string
  current: SecretVersion
  previous?: SecretVersion
}

/** Options of `startFakeSecretsManager`. */
export interface FakeSecretsManagerOptions {
  /** Secrets at start, by name: a string, or an object stored as JSON (the RDS secret shape). */
  secrets: Record<string, string | Record<string, unknown>>
  /** Region written into the ARNs. @default 'us-east-1' */
  region?: string
}

/** A local Secrets Manager endpoint. */
export interface FakeSecretsManager {
  /** `http://127.0.0.1:PORT`: pass as the SDK client's `endpoint`. */
  readonly endpoint: string
  /** Ready-made SDK client options: endpoint, region and dummy credentials. */
  readonly clientConfig: {
    endpoint: string
    region: string
    credentials: { accessKeyId: string; secretAccessKey: string }
  }
  /** The ARN of secret `name`. */
  arn(name: string): string
  /**
   * Replaces secret `name` with a new version (it becomes AWSCURRENT, the old one AWSPREVIOUS),
   * as a rotation does; returns the new VersionId. Creates the secret if it is new.
   */
  rotate(name: string, secret: string | Record<string, unknown>): string
  /** Every request received, in order: the X-Amz-Target operation and the SecretId. */
  readonly calls: ReadonlyArray<{ operation: string; secretId?: string }>
  /** Stops the server. */
  stop(): Promise<void>
}

const asString = (secret: string | Record<string, unknown>) =>
  typeof secret === 'string' ? secret : JSON.stringify(secret)

/**
 * Starts a tiny HTTP server speaking enough of the AWS Secrets Manager JSON protocol
 * (awsJson1_1: POST / with `X-Amz-Target: secretsmanager.<Operation>`) for
 * `@aws-sdk/client-secrets-manager` pointed at it: GetSecretValue (by name or ARN, VersionId or
 * VersionStage AWSCURRENT/AWSPREVIOUS), DescribeSecret and PutSecretValue; anything else answers
 * an AWS-shaped error. `rotate()` models the managed master password rotating, so the service's
 * credential-refresh path is tested with the real SDK and no AWS account. Request signatures
 * are not checked.
 */
export async function startFakeSecretsManager(
  options: FakeSecretsManagerOptions,
): Promise<FakeSecretsManager> {
  const region = options.region ?? 'us-east-1'
  const secrets = new Map<string, StoredSecret>()
  const calls: Array<{ operation: string; secretId?: string }> = []
  const arn = (name: string) => `arn:aws:secretsmanager:${region}:000000000000:secret:${name}-AbCdEf`

  const rotate = (name: string, secret: string | Record<string, unknown>): string => {
    const version: SecretVersion = {
      versionId: randomUUID(),
      secretString: asString(secret),
      createdDate: Date.now() / 1000,
    }
    const existing = secrets.get(name)
    secrets.set(name, { name, arn: arn(name), current: version, previous: existing?.current })
    return version.versionId
  }
  for (const [name, secret] of Object.entries(options.secrets)) rotate(name, secret)

  const find = (secretId: unknown) =>
    [...secrets.values()].find((s) => s.name === secretId || s.arn === secretId)

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() })
    res.end(JSON.stringify(body))
  }
  const fail = (res: ServerResponse, type: string, message: string) =>
    reply(res, 400, { __type: type, Message: message, message })

  const handle = (operation: string, input: Record<string, unknown>, res: ServerResponse) => {
    const secret = find(input.SecretId)
    if (operation !== 'PutSecretValue' && !secret) {
      return fail(res, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.")
    }
    switch (operation) {
      case 'GetSecretValue': {
        const s = secret!
        const versions = [
          { v: s.current, stage: 'AWSCURRENT' },
          ...(s.previous ? [{ v: s.previous, stage: 'AWSPREVIOUS' }] : []),
        ]
        const wanted = versions.find((x) =>
          input.VersionId
            ? x.v.versionId === input.VersionId
            : x.stage === (input.VersionStage ?? 'AWSCURRENT'),
        )
        if (!wanted) {
          return fail(
            res,
            'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret value.",
          )
        }
        return reply(res, 200, {
          ARN: s.arn,
          Name: s.name,
          SecretString: wanted.v.secretString,
          VersionId: wanted.v.versionId,
          VersionStages: [wanted.stage],
          CreatedDate: wanted.v.createdDate,
        })
      }
      case 'DescribeSecret': {
        const s = secret!
        return reply(res, 200, {
          ARN: s.arn,
          Name: s.name,
          VersionIdsToStages: {
            [s.current.versionId]: ['AWSCURRENT'],
            ...(s.previous ? { [s.previous.versionId]: ['AWSPREVIOUS'] } : {}),
          },
        })
      }
      case 'PutSecretValue': {
        if (typeof input.SecretString !== 'string') {
          return fail(res, 'InvalidParameterException', 'SecretString is required')
        }
        const name = secret?.name ?? String(input.SecretId)
        const versionId = rotate(name, input.SecretString)
        return reply(res, 200, {
          ARN: arn(name),
          Name: name,
          VersionId: versionId,
          VersionStages: ['AWSCURRENT'],
        })
      }
      default:
        return fail(res, 'InvalidAction', `the fake Secrets Manager does not implement ${operation}`)
    }
  }

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const target = String(req.headers['x-amz-target'] ?? '')
    const operation = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : ''
    let input: Record<string, unknown>
    try {
      input = JSON.parse(Buffer.concat(chunks).toString() || '{}')
    } catch {
      return fail(res, 'SerializationException', 'the body is not JSON')
    }
    calls.push({ operation, secretId: typeof input.SecretId === 'string' ? input.SecretId : undefined })
    if (req.method !== 'POST' || !operation) {
      return fail(res, 'UnknownOperationException', `expected POST with X-Amz-Target secretsmanager.*`)
    }
    handle(operation, input, res)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('startFakeSecretsManager: no port')
  const endpoint = `http://127.0.0.1:${address.port}`
  return {
    endpoint,
    clientConfig: { endpoint, region, credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' } },
    arn,
    rotate,
    calls,
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
