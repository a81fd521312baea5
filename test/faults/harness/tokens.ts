import { createHmac } from 'node:crypto'

/** The HS256 secret every API process in the suite is started with (test-only, not a secret). */
export const TEST_JWT_SECRET = 'faults-suite-test-only-hs256-key-not-a-secret-0123456789'

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url')

/** Signs an HS256 JWT by hand, so tests can also forge broken ones byte by byte. */
export function signJwt(
  payload: Record<string, unknown>,
  secret = TEST_JWT_SECRET,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const head = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  const signature = createHmac('sha256', secret).update(head).digest('base64url')
  return `${head}.${signature}`
}

export interface TokenOptions {
  admin?: boolean
  /** Seconds from now; negative for an expired token. @default 3600 */
  expiresIn?: number
}

/** The API's default admin claim (JWT_ADMIN_CLAIM=role=admin). */
export const ADMIN_CLAIM = { claim: 'role', value: 'admin' }

/** A valid token for `userId` (`sub` must equal the userId the request acts for). */
export function tokenFor(userId: string | number, options: TokenOptions = {}): string {
  const now = Math.floor(Date.now() / 1000)
  const payload: Record<string, unknown> = {
    sub: String(userId),
    iat: now,
    exp: now + (options.expiresIn ?? 3600),
  }
  if (options.admin) payload[ADMIN_CLAIM.claim] = ADMIN_CLAIM.value
  return signJwt(payload)
}

/** Authorization header for `userId`. */
export function authHeader(userId: string | number, options: TokenOptions = {}): Record<string, string> {
  return { authorization: `Bearer ${tokenFor(userId, options)}` }
}
