import { createHmac, timingSafeEqual } from 'node:crypto'
import {
  TokenExpiredError,
  TokenInvalidError,
  TokenMissingError,
  TokenWrongEventError,
  TokenWrongVisitorError,
} from './errors.js'

/** What an admission token proves: this visitor's turn for this event, until `expiresAt`. */
export interface AdmissionClaims {
  eventId: string
  visitorId: string
  /** The visitor's place in the admission order (what `complete` releases). */
  ticket: number
  /** End of the turn (epoch ms). */
  expiresAt: number
}

/** What a queue ticket proves: this visitor joined this event's queue as its `index`-th visitor. */
export interface QueueClaims {
  eventId: string
  visitorId: string
  /** Join order (0-based); the place in line is derived from it. */
  index: number
  /** When the visitor joined (epoch ms), for the wait-time metric. */
  joinedAt: number
  expiresAt: number
}

type Kind = 'a' | 'q'

const b64 = (s: string) => Buffer.from(s).toString('base64url')

/**
 * Signs and checks the two kinds of tokens, `<kind>1.<payload>.<HMAC-SHA256>`. The kind is under
 * the signature, so a queue ticket can never pass as an admission token. The first secret
 * signs; every secret verifies (rotation without logging every waiter out).
 */
export class TokenSigner {
  readonly #secrets: Buffer[]

  constructor(secrets: Array<string | Buffer>) {
    this.#secrets = secrets.map((s) => (typeof s === 'string' ? Buffer.from(s) : s))
  }

  #mac(secret: Buffer, body: string): Buffer {
    return createHmac('sha256', secret).update(body).digest()
  }

  sign(kind: Kind, claims: AdmissionClaims | QueueClaims): string {
    const body = `${kind}1.${b64(JSON.stringify(claims))}`
    return `${body}.${this.#mac(this.#secrets[0]!, body).toString('base64url')}`
  }

  /** Checks the signature and kind only (no event, visitor or expiry checks). */
  open<T>(kind: Kind, token: string | undefined | null): T {
    if (token === undefined || token === null || token === '') throw new TokenMissingError()
    if (typeof token !== 'string') throw new TokenInvalidError('not a string')
    const dot = token.lastIndexOf('.')
    const body = token.slice(0, dot)
    if (dot < 0 || !body.startsWith(`${kind}1.`)) throw new TokenInvalidError('malformed or wrong kind')
    const sig = Buffer.from(token.slice(dot + 1), 'base64url')
    const valid = this.#secrets.some((secret) => {
      const mac = this.#mac(secret, body)
      return mac.length === sig.length && timingSafeEqual(mac, sig)
    })
    if (!valid) throw new TokenInvalidError('bad signature')
    try {
      return JSON.parse(Buffer.from(body.slice(3), 'base64url').toString()) as T
    } catch (cause) {
      throw new TokenInvalidError(`unreadable payload (${(cause as Error).message})`)
    }
  }

  /** Signature, kind, event, visitor, then expiry, in that order: the first failure is thrown. */
  verify<T extends { eventId: string; visitorId: string; expiresAt: number }>(
    kind: Kind,
    token: string | undefined | null,
    expected: { eventId?: string; visitorId?: string; now?: number; ignoreExpiry?: boolean },
  ): T {
    const claims = this.open<T>(kind, token)
    if (expected.eventId !== undefined && claims.eventId !== expected.eventId) {
      throw new TokenWrongEventError(expected.eventId, claims.eventId)
    }
    if (expected.visitorId !== undefined && claims.visitorId !== expected.visitorId) {
      throw new TokenWrongVisitorError()
    }
    if (!expected.ignoreExpiry && claims.expiresAt <= (expected.now ?? Date.now())) {
      throw new TokenExpiredError(claims.expiresAt)
    }
    return claims
  }
}
