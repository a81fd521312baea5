import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { signJwt, TEST_JWT_SECRET, tokenFor } from './tokens.js'

/**
 * Generators of malformed and hostile requests (scenario 7). Every generated request is invalid
 * in at least one way (its token, its body, or its path), so none of them may change state.
 */

export interface HostileRequest {
  route: string
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH'
  path: string
  headers: Record<string, string>
  /** Raw body text (so malformed JSON, 1 MB and deep bodies can be sent as they are). */
  body?: string
  /** What makes it invalid, for the failure message. */
  broken: string
}

/** Known ids in the target database the generators may aim at. */
export interface Targets {
  eventId: number
  /** A reservation of `ownerId`; only requests that cannot act on it reach it. */
  reservationId: string
  ownerId: string
  otherUserId: string
}

const SQL = [
  "' OR '1'='1",
  '1; DROP TABLE reservations; --',
  "1' UNION SELECT id, user_id FROM reservations --",
  "'; UPDATE events SET available_seats = 999999; --",
  '1 OR 1=1',
  "admin'--",
  '" OR ""="',
  '1); DELETE FROM events WHERE (1=1',
  '%27%20OR%201=1',
  "\\'; SLEEP(5); --",
]
const LUA = [
  "redis.call('FLUSHALL')",
  "]] redis.call('SET','x','y') --[[",
  "'); redis.call('DEL', KEYS[1]); --",
  '{event:1}:seat:*',
  '*',
  '\r\nFLUSHALL\r\n',
  '{',
  '}',
  '{}{}',
]
const WEIRD = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-0',
  '0x1F',
  '00001',
  '1.0',
  ' 1',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  '\u0000',
  '\u202e\u0041\u0042',
  '\ud83c\udfab\ud83c\udfab',
  '\ufeff',
  'ｅｖｅｎｔ',
  '../../../../etc/passwd',
  '..%2f..%2f',
  '<script>alert(1)</script>',
  '$' + '{jndi:ldap://x/a}',
  '{{7*7}}',
  '%s%s%s%n',
  'a'.repeat(10_000),
]

const hostileString = fc.oneof(
  fc.constantFrom(...SQL, ...LUA, ...WEIRD),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ maxLength: 300 }),
)

const hostileNumber = fc.oneof(
  fc.constantFrom(
    -1,
    0,
    -0,
    1.5,
    -2147483648,
    2147483648,
    4294967296,
    Number.MAX_SAFE_INTEGER + 2,
    2 ** 63,
    1e21,
    1e308,
    -1e308,
    Number.MIN_VALUE,
  ),
  fc.integer({ min: -2_000_000_000, max: 0 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
)

/** Any JSON value a careless client might send. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(hostileString, hostileNumber), { maxLength: 5 }),
  fc.dictionary(fc.oneof(fc.constantFrom('__proto__', 'constructor', '$where'), fc.string()), hostileString, {
    maxKeys: 3,
  }),
)

// Per field of the two write bodies: values the schema must refuse.
const invalidFor: Record<string, fc.Arbitrary<unknown>> = {
  eventName: fc.oneof(
    fc.constantFrom('', 'x'.repeat(201)),
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(hostileString, { maxLength: 3 }),
  ),
  totalSeats: fc.oneof(
    fc.constantFrom(0, -1, 1_000_001, 1.5, 1e308, '100', 'NaN', null, true, [], {}),
    fc.integer({ max: 0 }),
    fc.integer({ min: 1_000_001 }),
    hostileString,
  ),
  eventDate: fc.oneof(
    fc.constantFrom('2024-13-01T19:00:00', '2024-02-30', 'NaN', '', '2024-12-31T24:00:00', 20241231),
    hostileString.filter((s) => !/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(s)),
    hostileNumber,
  ),
  price: fc.oneof(fc.constantFrom(-1, 1e10, 'free', null, true), fc.double({ max: -0.01, noNaN: true })),
  eventId: fc.oneof(
    fc.constantFrom(0, -1, 1.5, '1', 'NaN', null, Number.MAX_SAFE_INTEGER + 2, 1e308, [], {}, true),
    fc.integer({ max: 0 }),
    hostileString,
  ),
  userId: fc.oneof(
    fc.constantFrom('', 'u'.repeat(101), 'a b', "a'b", 'ü', null, 42, [], {}),
    hostileString.filter((s) => !/^[A-Za-z0-9_.@:+-]{1,100}$/.test(s)),
  ),
  quantity: fc.oneof(
    fc.constantFrom(0, -1, 101, 1.5, '1', 'NaN', null, 1e308, true, []),
    fc.integer({ max: 0 }),
    fc.integer({ min: 101 }),
    hostileString,
  ),
}

const deepJson = fc.integer({ min: 100, max: 20_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth))
const hugeBody = fc.constantFrom(
  JSON.stringify({ eventName: 'x'.repeat(1024 * 1024), totalSeats: 10, eventDate: '2030-01-01T00:00:00' }),
  JSON.stringify({ eventId: 1, userId: 'u1', quantity: 1, pad: 'y'.repeat(1024 * 1024) }),
  `[${'1,'.repeat(400_000)}1]`,
)
const malformedJson = fc.oneof(
  fc.constantFrom(
    '{',
    '{"eventId":',
    '{"a":1,}',
    "{'eventId': 1}",
    'null',
    '[]',
    '"text"',
    '1',
    'NaN',
    '\u0000',
  ),
  fc.string({ unit: 'binary', maxLength: 100 }),
  deepJson,
  hugeBody,
)

function b64(json: unknown) {
  return Buffer.from(JSON.stringify(json)).toString('base64url')
}

/** Tokens that must all be refused with 401 (and never crash the verifier). */
export function badTokens(userId: string): Record<string, string> {
  const now = Math.floor(Date.now() / 1000)
  const valid = tokenFor(userId)
  const [h, p, s] = valid.split('.') as [string, string, string]
  return {
    expired: tokenFor(userId, { expiresIn: -60 }),
    forged: signJwt({ sub: userId, exp: now + 3600 }, 'an-attacker-guessed-this-secret-value'),
    forgedAdmin: signJwt({ sub: userId, role: 'admin', exp: now + 3600 }, 'wrong-secret-wrong-secret'),
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: userId, role: 'admin', exp: now + 3600 })}.`,
    hs512: signJwt({ sub: userId, exp: now + 3600 }, TEST_JWT_SECRET, { alg: 'HS512', typ: 'JWT' }),
    tamperedPayload: `${h}.${b64({ sub: userId, role: 'admin', exp: now + 3600 })}.${s}`,
    truncated: `${h}.${p}`,
    badSignature: `${h}.${p}.${s.slice(0, -4)}AAAA`,
    notYetValid: signJwt({ sub: userId, nbf: now + 3600, exp: now + 7200 }),
    noSub: signJwt({ exp: now + 3600 }),
    emptySub: signJwt({ sub: '', exp: now + 3600 }),
    garbage: 'not.a.jwt',
    empty: '',
  }
}

const authHeaderFor = (userId: string) =>
  fc.oneof(
    fc.constantFrom(...Object.values(badTokens(userId)).map((t) => `Bearer ${t}`)),
    fc.constantFrom('Basic dXNlcjpwYXNz', 'Bearer', 'bearer  ', `Token ${tokenFor(userId)}`),
    hostileString.map((s) => `Bearer ${s}`),
  )

/** Header values must be latin-1 without control characters, or fetch refuses to send them. */
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e\xa0-\xff]/g, '?')

/** Short printing for fast-check counterexamples (bodies can be 1 MB). */
function printable(req: HostileRequest): HostileRequest {
  const short = () =>
    `${req.method} ${req.path.slice(0, 120)} (${req.broken}) headers=${JSON.stringify(req.headers).slice(0, 200)} body=${req.body === undefined ? '-' : `${JSON.stringify(req.body.slice(0, 200))} (${req.body.length} chars)`}`
  return Object.assign(req, { [fc.toStringMethod]: short })
}

export function hostileRequests(t: Targets): fc.Arbitrary<HostileRequest> {
  return hostileRequestsRaw(t).map(printable)
}

function hostileRequestsRaw(t: Targets): fc.Arbitrary<HostileRequest> {
  const goodAdmin = `Bearer ${tokenFor('organizer', { admin: true })}`
  const goodOwner = `Bearer ${tokenFor(t.ownerId)}`
  const goodOther = `Bearer ${tokenFor(t.otherUserId)}`
  const anyAuth = fc.oneof(fc.constantFrom(goodAdmin, goodOwner, goodOther), authHeaderFor(t.ownerId))
  const contentType = fc.oneof(
    fc.constant('application/json'),
    fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'application/xml',
      '',
    ),
  )
  const idemKey = fc.oneof(fc.constant(randomUUID()), hostileString.map(headerSafe))

  // A JSON body from a valid base with one field made invalid (and maybe unknown fields or hostile extras).
  const brokenBody = (base: Record<string, unknown>) =>
    fc
      .record({
        field: fc.constantFrom(...Object.keys(base), '+unknown'),
        others: fc.dictionary(fc.constantFrom(...Object.keys(base)), hostileValue, { maxKeys: 2 }),
        extra: fc.oneof(
          fc.constant({}),
          fc.dictionary(fc.string({ minLength: 1 }), hostileValue, { maxKeys: 2 }),
        ),
      })
      .chain(({ field, others, extra }) =>
        (field === '+unknown'
          ? fc
              .constantFrom('isAdmin', 'status', 'availableSeats', 'reservationId', 'role')
              .map((k) => [k, true])
          : invalidFor[field]!.map((v) => [field, v])
        ).map(([k, v]) => ({
          // Hostile values in the other fields, and the guaranteed-invalid field last so it wins.
          text: JSON.stringify({ ...base, ...extra, ...others, [k as string]: v }),
          broken: `body.${String(k)}`,
        })),
      )

  const eventBase = { eventName: 'Hostile night', totalSeats: 100, eventDate: '2030-01-01T20:00:00' }
  const reservationBase = { eventId: t.eventId, userId: t.ownerId, quantity: 1 }

  const postEvent = fc.oneof(
    // Bad auth (or an authenticated non-admin), any body.
    fc
      .record({
        auth: fc.oneof(fc.constantFrom(goodOwner, goodOther), authHeaderFor('organizer')),
        body: fc.oneof(fc.constant(JSON.stringify(eventBase)), malformedJson),
        ct: contentType,
      })
      .map(({ auth, body, ct }) => ({ auth, body, ct, broken: 'auth' })),
    // Admin, broken body.
    fc
      .record({
        b: fc.oneof(
          brokenBody(eventBase),
          malformedJson.map((text) => ({ text, broken: 'json' })),
        ),
      })
      .map(({ b }) => ({ auth: goodAdmin, body: b.text, ct: 'application/json', broken: b.broken })),
  )

  const postReservation = fc.oneof(
    fc
      .record({
        auth: fc.oneof(fc.constant(goodOther), authHeaderFor(t.ownerId)),
        body: fc.oneof(fc.constant(JSON.stringify(reservationBase)), malformedJson),
        ct: contentType,
      })
      .map(({ auth, body, ct }) => ({ auth, body, ct, broken: 'auth (or not the buyer)' })),
    fc
      .record({
        auth: fc.constantFrom(goodOwner, goodAdmin),
        b: fc.oneof(
          brokenBody(reservationBase),
          malformedJson.map((text) => ({ text, broken: 'json' })),
        ),
      })
      .map(({ auth, b }) => ({ auth, body: b.text, ct: 'application/json', broken: b.broken })),
  )

  const badPathId = fc.oneof(
    fc.constantFrom(randomUUID(), '0', '-1', 'NaN', '1e309', '9'.repeat(40), '%00', '%2e%2e%2f', 'null'),
    hostileString,
  )

  return fc.oneof(
    postEvent.chain(({ auth, body, ct, broken }) =>
      idemKey.map(
        (key): HostileRequest => ({
          route: 'POST /api/events',
          method: 'POST',
          path: '/api/events',
          headers: { authorization: headerSafe(auth), 'content-type': ct, 'idempotency-key': key },
          body,
          broken,
        }),
      ),
    ),
    postReservation.chain(({ auth, body, ct, broken }) =>
      idemKey.map(
        (key): HostileRequest => ({
          route: 'POST /api/reservations',
          method: 'POST',
          path: '/api/reservations',
          headers: { authorization: headerSafe(auth), 'content-type': ct, 'idempotency-key': key },
          body,
          broken,
        }),
      ),
    ),
    fc.record({ id: badPathId, auth: anyAuth }).map(
      ({ id, auth }): HostileRequest => ({
        route: 'GET /api/events/:eventId',
        method: 'GET',
        path: `/api/events/${encodeURIComponent(String(id))}`,
        headers: { authorization: headerSafe(auth) },
        broken: 'id',
      }),
    ),
    fc.record({ page: hostileString, size: hostileString, extra: fc.option(hostileString) }).chain((q) =>
      fc.constantFrom('/api/events', '/api/events/available').map(
        (base): HostileRequest => ({
          route: `GET ${base}`,
          method: 'GET',
          path: `${base}?page=${encodeURIComponent(q.page)}&size=${encodeURIComponent(q.size)}${q.extra ? `&${encodeURIComponent(q.extra)}=1` : ''}`,
          headers: {},
          broken: 'query',
        }),
      ),
    ),
    // Reads and cancels of a reservation: bad ids with any token, or the real id with a token that is not its owner's.
    fc
      .record({
        method: fc.constantFrom('GET' as const, 'DELETE' as const),
        target: fc.oneof(
          badPathId.map((id) => ({ id: String(id), auth: null as string | null, broken: 'id' })),
          fc.oneof(fc.constant(goodOther), authHeaderFor(t.ownerId)).map((auth) => ({
            id: t.reservationId,
            auth: auth as string | null,
            broken: 'auth (not the owner)',
          })),
        ),
        anyAuth,
      })
      .map(
        ({ method, target, anyAuth: a }): HostileRequest => ({
          route: `${method} /api/reservations/:id`,
          method,
          path: `/api/reservations/${encodeURIComponent(target.id)}`,
          headers: { authorization: headerSafe(target.auth ?? a) },
          broken: target.broken,
        }),
      ),
    fc
      .record({
        user: fc.oneof(fc.constant(t.ownerId), hostileString),
        auth: fc.oneof(fc.constant(goodOther), authHeaderFor(t.ownerId)),
      })
      .map(
        ({ user, auth }): HostileRequest => ({
          route: 'GET /api/reservations/user/:userId',
          method: 'GET',
          path: `/api/reservations/user/${encodeURIComponent(user)}`,
          headers: { authorization: headerSafe(auth) },
          broken: 'auth (not the user) or userId',
        }),
      ),
    // Methods and paths that do not exist.
    fc
      .record({
        method: fc.constantFrom('PUT' as const, 'PATCH' as const, 'DELETE' as const),
        path: fc.constantFrom(
          '/api/events',
          '/api/events/1',
          '/api/reservations',
          '/api/health',
          '/api/../etc',
        ),
        body: fc.oneof(fc.constant(undefined), malformedJson),
      })
      .map(
        ({ method, path, body }): HostileRequest => ({
          route: `${method} (unsupported)`,
          method,
          path,
          headers: { authorization: goodAdmin, 'content-type': 'application/json' },
          body,
          broken: 'method',
        }),
      ),
  )
}
