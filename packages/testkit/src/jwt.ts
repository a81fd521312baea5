import { createHmac } from 'node:crypto'

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url')

/**
 * Signs an HS256 JWT by hand (no library), so tests can also forge broken ones byte by byte:
 * another `header` (alg), a wrong `secret`, any payload.
 */
export function signJwt(
  payload: Record<string, unknown>,
  secret: string,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const head = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  const signature = createHmac('sha256', secret).update(head).digest('base64url')
  return `${head}.${signature}`
}

/** Options of `mintJwt`. */
export interface MintJwtOptions {
  /** The HS256 secret the API runs with (its JWT_SECRET). */
  secret: string
  /** Adds the admin claim (allowed to create events and to act for any user). @default false */
  admin?: boolean
  /**
   * The admin claim as the API's JWT_ADMIN_CLAIM spells it, `claim=value`.
   * @default 'role=admin'
   */
  adminClaim?: string
  /** Seconds from now until `exp`; negative for an expired token. @default 3600 */
  expiresIn?: number
  /** Extra claims (iss, aud, …). */
  claims?: Record<string, unknown>
}

/**
 * A valid HS256 token for `sub` as the reference API verifies it (AUTH_MODE=jwt with
 * JWT_SECRET): `sub` is the buyer and must equal the userId a request acts for; `iat`/`exp` are
 * set. Load generators use it to carry production auth instead of running with AUTH_MODE=none.
 */
export function mintJwt(sub: string | number, options: MintJwtOptions): string {
  const now = Math.floor(Date.now() / 1000)
  const payload: Record<string, unknown> = {
    ...options.claims,
    sub: String(sub),
    iat: now,
    exp: now + (options.expiresIn ?? 3600),
  }
  if (options.admin) {
    const [claim, value] = (options.adminClaim ?? 'role=admin').split('=')
    if (!claim || value === undefined)
      throw new Error(`mintJwt: adminClaim must be claim=value, got ${options.adminClaim}`)
    payload[claim] = value
  }
  return signJwt(payload, options.secret)
}

/** `{ authorization: 'Bearer …' }` for `sub`, ready to spread into request headers. */
export function bearerFor(sub: string | number, options: MintJwtOptions): Record<string, string> {
  return { authorization: `Bearer ${mintJwt(sub, options)}` }
}
