import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { bearerFor, mintJwt, signJwt } from '../src/index.js'

const SECRET = 'testkit-jwt-test-secret-0123456789abcdef'

function decode(token: string) {
  const [head, body, signature] = token.split('.')
  const expected = createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url')
  return {
    header: JSON.parse(Buffer.from(head!, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(body!, 'base64url').toString()),
    valid: signature === expected,
  }
}

describe('mintJwt', () => {
  it('signs HS256 with sub, iat and exp, and the admin claim the API expects (role=admin)', () => {
    const buyer = decode(mintJwt(42, { secret: SECRET }))
    expect(buyer.valid).toBe(true)
    expect(buyer.header).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(buyer.payload.sub).toBe('42')
    expect(buyer.payload.exp - buyer.payload.iat).toBe(3600)
    expect(buyer.payload.role).toBeUndefined()

    const admin = decode(
      mintJwt('ops', { secret: SECRET, admin: true, expiresIn: -10, claims: { iss: 'x' } }),
    )
    expect(admin.payload).toMatchObject({ sub: 'ops', role: 'admin', iss: 'x' })
    expect(admin.payload.exp).toBeLessThan(admin.payload.iat)
    expect(
      decode(mintJwt('ops', { secret: SECRET, admin: true, adminClaim: 'scope=admin' })).payload.scope,
    ).toBe('admin')
    expect(bearerFor(7, { secret: SECRET }).authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)
  })

  it('signJwt forges what a test asks for: another alg header, another secret', () => {
    const forged = decode(signJwt({ sub: '1' }, 'not-the-secret', { alg: 'HS512' }))
    expect(forged.valid).toBe(false)
    expect(forged.header.alg).toBe('HS512')
  })
})
