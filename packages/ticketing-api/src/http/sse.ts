import type { FastifyReply, FastifyRequest } from 'fastify'

/** Comment lines keep idle proxies (ALB: 60 s) from closing a quiet stream. */
const HEARTBEAT_MS = 15_000

export interface SseStream {
  send(event: string, data: unknown): void
  close(): void
  readonly closed: boolean
}

/**
 * Turns the reply into a Server-Sent Events stream (text/event-stream). The caller gets
 * `onClose` when the client goes away or `close()` is called (server shutdown).
 */
export function openSse(request: FastifyRequest, reply: FastifyReply, onClose: () => void): SseStream {
  reply.hijack()
  const res = reply.raw
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx and some proxies buffer responses unless told not to.
    'x-accel-buffering': 'no',
  })
  // Reconnect quickly: a page that lost its stream re-reads the snapshot on reconnect.
  res.write('retry: 2000\n\n')
  let closed = false
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS)
  heartbeat.unref()
  const finish = () => {
    if (closed) return
    closed = true
    clearInterval(heartbeat)
    onClose()
  }
  request.raw.on('close', finish)
  res.on('error', finish)
  return {
    send(event, data) {
      if (closed) return
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    },
    close() {
      finish()
      res.end()
    },
    get closed() {
      return closed
    },
  }
}
