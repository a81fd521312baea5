import { once } from 'node:events'
import { createConnection, createServer, type Socket } from 'node:net'

/**
 * A TCP proxy on 127.0.0.1 in front of a server (Redis, MariaDB), that fault tests use to add
 * latency ("slow dependency"), to black-hole traffic, or to move the endpoint to another server
 * the way a DNS name follows a managed failover (ElastiCache primary endpoint, Aurora writer).
 */
export interface DelayProxy {
  /** The port clients connect to. */
  readonly port: number
  /** The port bytes are forwarded to. */
  readonly targetPort: number
  /** Delay (ms) added to every chunk, in both directions, from now on. */
  setDelay(ms: number): void
  /**
   * Sends new connections to `port`. Existing connections are cut (as a failover does), so
   * clients reconnect and land on the new target. With `keepConnections`, they stay on the old
   * server instead, as with a DNS endpoint that moved (an Aurora cluster endpoint after a
   * failover): pooled connections keep talking to the old writer until they are recycled.
   */
  retarget(port: number, options?: { keepConnections?: boolean }): void
  /** Destroys every open connection (clients see ECONNRESET). */
  dropConnections(): void
  /** Stops listening and closes every connection. */
  close(): Promise<void>
}

export interface DelayProxyOptions {
  /** The port of the real server on 127.0.0.1. */
  targetPort: number
  /** Delay (ms) added to every chunk, both directions. @default 0 */
  delayMs?: number
  /** Port to listen on. @default a free port */
  port?: number
}

/**
 * Starts a delay proxy. Chunks keep their order: each chunk leaves `delayMs` after it arrived,
 * and never before the chunk ahead of it.
 */
export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  if (!Number.isInteger(options.targetPort) || options.targetPort <= 0) {
    throw new Error(`startDelayProxy: targetPort must be a port number, got ${options.targetPort}`)
  }
  let delayMs = options.delayMs ?? 0
  let targetPort = options.targetPort
  if (delayMs < 0) throw new Error(`startDelayProxy: delayMs must be >= 0, got ${delayMs}`)
  const sockets = new Set<Socket>()

  // Forwards `from` → `to`, holding each chunk for the current delay, in arrival order.
  const pipeDelayed = (from: Socket, to: Socket) => {
    let lastDue = 0
    from.on('data', (chunk: Buffer) => {
      const due = Math.max(Date.now() + delayMs, lastDue)
      lastDue = due
      const send = () => {
        if (!to.destroyed) to.write(chunk)
      }
      const wait = due - Date.now()
      if (wait <= 0 && delayMs === 0) send()
      else setTimeout(send, Math.max(0, wait))
    })
    from.on('end', () => {
      const wait = Math.max(0, lastDue - Date.now())
      setTimeout(() => to.end(), wait)
    })
  }

  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort })
    sockets.add(client)
    sockets.add(upstream)
    const cleanup = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', cleanup)
    upstream.on('error', cleanup)
    client.on('close', cleanup)
    upstream.on('close', cleanup)
    pipeDelayed(client, upstream)
    pipeDelayed(upstream, client)
  })
  server.listen(options.port ?? 0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('startDelayProxy: no port')

  const dropConnections = () => {
    for (const s of sockets) s.destroy()
    sockets.clear()
  }
  return {
    port: address.port,
    get targetPort() {
      return targetPort
    },
    setDelay(ms) {
      if (ms < 0) throw new Error(`setDelay: ms must be >= 0, got ${ms}`)
      delayMs = ms
    },
    retarget(port, retargetOptions = {}) {
      if (!Number.isInteger(port) || port <= 0)
        throw new Error(`retarget: port must be a port number, got ${port}`)
      targetPort = port
      if (!retargetOptions.keepConnections) dropConnections()
    },
    dropConnections,
    async close() {
      dropConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
