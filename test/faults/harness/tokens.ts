import { mintJwt, signJwt as sign } from '@ticketing/testkit'

/** The HS256 secret every API process in the suite is started with (test-only, not a secret). */
export const TEST_JWT_SECRET = 'faults-suite-test-only-hs256-key-not-a-secret-0123456789'

/** Signs an HS256 JWT by hand (testkit's signJwt), so tests can also forge broken ones byte by byte. */
export function signJwt(
  payload: Record<string, unknown>,
  secret = TEST_JWT_SECRET,
  header?: Record<string, unknown>,
): string {
  return sign(payload, secret, header)
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
  return mintJwt(userId, {
    secret: TEST_JWT_SECRET,
    admin: options.admin,
    adminClaim: `${ADMIN_CLAIM.claim}=${ADMIN_CLAIM.value}`,
    expiresIn: options.expiresIn,
  })
}

/** Authorization header for `userId`. */
export function authHeader(userId: string | number, options: TokenOptions = {}): Record<string, string> {
  return { authorization: `Bearer ${tokenFor(userId, options)}` }
}
