/**
 * The flash crowd: who arrives when, and the lanes that carry them. N visitors arrive over
 * `spreadMs`, exactly half before the sale starts (`startMs`), each wanting 1–4 seats. A
 * machine cannot open 100,000 sockets from 100,000 addresses, so a few hundred lanes stand in
 * for them: lane i is one simulated client (its own 127.x source address, a few keep-alive
 * connections through the load balancer) carrying every visitor whose index ≡ i (mod lanes).
 * Each visitor still has its own identity (its own JWT `sub`, its own rate-limit budget, its own
 * queue place); what the lane shares is the address and the sockets, as buyers behind one NAT do.
 */
import { performance } from 'node:perf_hooks'
import type { SimulatedClient } from '@ticketing/testkit'
import { request } from 'undici'

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same crowd. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface Visitor {
  /** 0-based, in arrival order. */
  index: number
  /** ms after the crowd's t0. */
  arrivalMs: number
  quantity: number
}

export interface ArrivalOptions {
  visitors: number
  spreadMs: number
  startMs: number
  seed: number
}

/** Uniform arrivals: ⌊N/2⌋ in [0, startMs), the rest in [startMs, spreadMs); sorted. */
export function arrivals(o: ArrivalOptions): Visitor[] {
  const random = mulberry32(o.seed)
  const before = Math.floor(o.visitors / 2)
  const times = Array.from({ length: o.visitors }, (_, i) =>
    i < before ? random() * o.startMs : o.startMs + random() * (o.spreadMs - o.startMs),
  ).sort((a, b) => a - b)
  return times.map((arrivalMs, index) => ({ index, arrivalMs, quantity: 1 + Math.floor(random() * 4) }))
}

/** The status of a request the lane dropped unsent because the run ended. */
export const NOT_SENT = -1

export interface Reply {
  status: number
  text: string
  retryAfterSec?: number
  /** ms since t0: when the request left (after any wait for a free connection of its lane). */
  sentAt: number
  /** ms since t0: when the answer arrived. */
  at: number
  /** ms spent waiting for a free connection of the lane (the generator's own lag). */
  queuedMs: number
}

/**
 * One lane: a simulated client and a semaphore of as many requests in flight as it has
 * connections, so the latency measured is the server's (and the load balancer's), and the time
 * a visitor waits for its lane's socket is measured apart (`queuedMs`).
 */
export class Lane {
  private inFlight = 0
  private closed = false

  /**
   * The run is over: requests still waiting in the lane's lines are not sent (they answer
   * NOT_SENT at once), so the run does not go on draining a backlog nobody measures.
   */
  close(): void {
    this.closed = true
    for (const wake of this.urgent.splice(0)) wake()
    for (const wake of this.waiting.splice(0)) wake()
  }

  /** Two first-come-first-served lines; the urgent one is served first. */
  private readonly waiting: (() => void)[] = []
  private readonly urgent: (() => void)[] = []

  constructor(
    readonly client: SimulatedClient,
    private readonly origin: string,
    private readonly slots: number,
    private readonly t0: number,
  ) {}

  private now(): number {
    return performance.now() - this.t0
  }

  async send(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    headers: Record<string, string>,
    body?: unknown,
    urgent = false,
  ): Promise<Reply> {
    const asked = this.now()
    // An urgent request (a reservation) goes ahead of the others, first come first served among
    // urgent ones: the visitors of a lane are independent people, and one's purchase would not
    // wait behind the others' polls.
    if (this.inFlight >= this.slots)
      await new Promise<void>((resolve) => (urgent ? this.urgent : this.waiting).push(resolve))
    if (this.closed) return { status: NOT_SENT, text: 'lane closed', sentAt: asked, at: asked, queuedMs: 0 }
    this.inFlight++
    const sentAt = this.now()
    try {
      const answer = await exchange(this.client.dispatcher, this.origin, method, path, headers, body)
      return { ...answer, sentAt, at: this.now(), queuedMs: sentAt - asked }
    } catch (error) {
      return { status: 0, text: (error as Error).message, sentAt, at: this.now(), queuedMs: sentAt - asked }
    } finally {
      this.inFlight--
      ;(this.urgent.shift() ?? this.waiting.shift())?.()
    }
  }
}

/**
 * One HTTP exchange on undici's dispatcher API, with the smallest handler that collects the
 * status, the body and Retry-After. `undici.request` costs the generator about twice the CPU
 * per request (a body stream, promises, header objects): at ~5,000 requests a second on cores
 * the servers share, that is CPU taken from the servers and lag added to every latency the
 * generator measures. The requests on the wire are the same.
 */
function exchange(
  dispatcher: SimulatedClient['dispatcher'],
  origin: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; text: string; retryAfterSec?: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let status = 0
    let retryAfterSec: number | undefined
    dispatcher.dispatch(
      {
        origin,
        path,
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      },
      {
        onConnect() {},
        onHeaders(statusCode, rawHeaders) {
          status = statusCode
          for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
            const name = rawHeaders[i]!
            if (name.length === 11 && name.toString('latin1').toLowerCase() === 'retry-after') {
              const retry = Number(rawHeaders[i + 1]!.toString('latin1'))
              if (Number.isFinite(retry)) retryAfterSec = retry
            }
          }
          return true
        },
        onData(chunk) {
          chunks.push(chunk)
          return true
        },
        onComplete() {
          const text =
            chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')
          resolve({ status, text, retryAfterSec })
        },
        onError: reject,
      },
    )
  })
}

/** The `error.code` of an envelope answer, if any. */
export function errorCode(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code
  } catch {
    return undefined
  }
}

/** One Server-Sent Event. */
export interface SseEvent {
  event: string
  data: string
  /** ms since t0 when it arrived. */
  at: number
}

/**
 * Opens a Server-Sent Events stream and hands each event to `onEvent` until it returns true
 * (done), the stream ends, or `signal` aborts. Resolves with the HTTP status (0 on a transport
 * error). Streams use their own dispatcher (a second client on the lane's address), so that a
 * long-lived stream never takes one of the lane's request slots.
 */
export async function readSse(
  dispatcher: SimulatedClient['dispatcher'],
  url: string,
  headers: Record<string, string>,
  t0: number,
  signal: AbortSignal,
  onEvent: (e: SseEvent) => boolean | Promise<boolean>,
): Promise<number> {
  let status = 0
  try {
    const res = await request(url, {
      method: 'GET',
      dispatcher,
      headers: { ...headers, accept: 'text/event-stream' },
      signal,
      headersTimeout: 30_000,
      bodyTimeout: 0,
    })
    status = res.statusCode
    if (status !== 200) {
      await res.body.text()
      return status
    }
    let buffer = ''
    for await (const chunk of res.body) {
      buffer += (chunk as Buffer).toString('utf8')
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        let event = 'message'
        const data: string[] = []
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim()
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
        }
        if (data.length === 0) continue
        if (await onEvent({ event, data: data.join('\n'), at: performance.now() - t0 })) {
          res.body.destroy()
          return status
        }
      }
    }
  } catch {
    // Aborted or cut: the caller falls back to polling.
  }
  return status
}
