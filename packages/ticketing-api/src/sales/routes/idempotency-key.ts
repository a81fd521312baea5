import type { FastifyRequest } from 'fastify'
import { requestHash } from '../idempotency.js'
import type { IdempotencyRef } from '../model.js'

/**
 * The request's Idempotency-Key, scoped to its caller (two buyers may pick the same key), with
 * the hash of what it asks: the same key with another request is refused, never replayed.
 */
export function idempotencyRef(
  request: FastifyRequest,
  scope: IdempotencyRef['scope'],
  body: unknown,
  eventId?: number,
): IdempotencyRef | undefined {
  const key = request.headers['idempotency-key'] as string | undefined
  if (!key) return undefined
  const who = request.actor?.sub ?? '-'
  const route = scope === 'event' ? 'POST /api/events' : 'POST /api/reservations'
  return { scope, key: `${who}:${key}`, hash: requestHash([route, who, body]), eventId }
}
