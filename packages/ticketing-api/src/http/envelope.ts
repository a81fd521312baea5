import type { FastifyReply } from 'fastify'
import type { ApiError } from '../errors.js'

/** Sends an ApiError in the envelope, with Retry-After when it has one. */
export function sendError(reply: FastifyReply, error: ApiError) {
  if (error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter))
  return reply
    .code(error.statusCode)
    .send({ success: false, message: error.message, error: { code: error.code, ...error.details } })
}
