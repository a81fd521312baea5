import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { ApiError } from '../errors.js'

/** What Node's HTTP parser failed on, as the envelope's error. */
function toEnvelopeError(error: NodeJS.ErrnoException): ApiError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError('HEADERS_TOO_LARGE', 'Request headers are larger than the server accepts (16 KiB)')
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError('REQUEST_TIMEOUT', 'The request was not received in time')
    default:
      return new ApiError('E_VALIDATION', 'request: malformed HTTP request', { field: 'request' })
  }
}

/**
 * Errors Node's HTTP parser raises before any route runs (headers too large, a malformed request
 * line, a request timeout) get the envelope too, instead of an empty body. The connection
 * closes after the answer: the parser cannot tell where the next request would start.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket) {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const e = toEnvelopeError(error)
  const body = JSON.stringify({ success: false, message: e.message, error: { code: e.code, ...e.details } })
  socket.end(
    `HTTP/1.1 ${e.statusCode} ${STATUS_CODES[e.statusCode]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
