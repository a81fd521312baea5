// Database credentials that rotate: read from AWS Secrets Manager (the RDS-managed secret's
// JSON: {username, password}) when a pool connects, cached briefly, and read again at once when
// MySQL answers "access denied" (the password rotated under us).
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager'

export interface DbCredentials {
  user: string
  password: string
}

/** Where a pool gets its credentials; `fresh` skips the cache (after an access-denied). */
export interface CredentialSource {
  get(options?: { fresh?: boolean }): Promise<DbCredentials>
}

export interface SecretsManagerCredentialsOptions {
  client: Pick<SecretsManagerClient, 'send'>
  /** The secret's name or ARN (DATABASE_SECRET_ID). */
  secretId: string
  /** How long a read secret is reused. @default 60_000 */
  cacheMs?: number
}

/** Credentials from one Secrets Manager secret, single-flighted and cached. */
export function secretsManagerCredentials(options: SecretsManagerCredentialsOptions): CredentialSource {
  const cacheMs = options.cacheMs ?? 60_000
  let cached: { at: number; value: Promise<DbCredentials> } | undefined
  const read = async (): Promise<DbCredentials> => {
    const out = await options.client.send(new GetSecretValueCommand({ SecretId: options.secretId }))
    const secret = JSON.parse(out.SecretString ?? '{}') as { username?: unknown; password?: unknown }
    if (typeof secret.username !== 'string' || typeof secret.password !== 'string') {
      throw new Error(`secret ${options.secretId} has no string username and password`)
    }
    return { user: secret.username, password: secret.password }
  }
  return {
    get({ fresh = false } = {}) {
      if (!cached || fresh || Date.now() - cached.at > cacheMs) {
        const value = read()
        cached = { at: Date.now(), value }
        value.catch(() => {
          if (cached?.value === value) cached = undefined
        })
      }
      return cached.value
    },
  }
}

/** `url` with the credentials in it (percent-encoded), for pools and the migration connection. */
export function withCredentials(url: string, credentials?: DbCredentials): string {
  if (!credentials) return url
  const u = new URL(url)
  u.username = encodeURIComponent(credentials.user)
  u.password = encodeURIComponent(credentials.password)
  return u.toString()
}
