import { Agent, fetch, type RequestInit, type Response } from 'undici'

/** Addresses per third octet: .1 … .254 (never .0 or .255). */
const PER_OCTET = 254
/** 127.0.0.1 is skipped; after it come 256 × 256 × 254 − 1 distinct loopback addresses. */
const MAX_CLIENTS = 256 * 256 * PER_OCTET - 1

/**
 * The loopback source address of simulated client `i` (0-based): 127.0.0.2, …, 127.0.0.254,
 * 127.0.1.1, … (never a .0 or .255 last octet, never 127.0.0.1, which the services use). Linux
 * answers on all of 127.0.0.0/8 without configuration, so each client can bind its sockets to
 * its own address and the proxy in front of the API sees as many buyers as a real on-sale does
 * (per-address rate limits and X-Forwarded-For handling are tested for real). For a client of
 * your own: `new undici.Client(origin, { localAddress: sourceAddress(i) })`, or
 * `new http.Agent({ localAddress: sourceAddress(i), keepAlive: true })`.
 */
export function sourceAddress(i: number): string {
  if (!Number.isInteger(i) || i < 0 || i >= MAX_CLIENTS) {
    throw new Error(`sourceAddress: i must be an integer in [0, ${MAX_CLIENTS}), got ${i}`)
  }
  const k = i + 1
  const last = (k % PER_OCTET) + 1
  const third = Math.floor(k / PER_OCTET) % 256
  const second = Math.floor(k / PER_OCTET / 256)
  return `127.${second}.${third}.${last}`
}

/** One simulated buyer: its own source address, its own keep-alive connections. */
export interface SimulatedClient {
  readonly index: number
  /** The 127.x.y.z address every socket of this client is bound to. */
  readonly address: string
  /** An undici dispatcher bound to `address`, for `undici.request`/`fetch` code of your own. */
  readonly dispatcher: Agent
  /** undici's fetch through `dispatcher`, with the pool's default headers (e.g. the client's JWT). */
  fetch(url: string | URL, init?: RequestInit): Promise<Response>
}

/** Options of `createClientPool`. */
export interface ClientPoolOptions {
  /** How many clients, each on its own source address. */
  count: number
  /** Index of the first client, so two pools never share addresses. @default 0 */
  firstIndex?: number
  /** Keep-alive connections each client may open per origin. @default 1 */
  connectionsPerClient?: number
  /** Headers every request of client `i` carries (e.g. `{ authorization: 'Bearer …' }`). */
  headers?: (i: number) => Record<string, string>
}

/** Clients from many source addresses. */
export interface ClientPool {
  readonly clients: readonly SimulatedClient[]
  /** Closes every client's connections. */
  close(): Promise<void>
}

/**
 * Creates `count` HTTP clients, client `i` bound to `sourceAddress(firstIndex + i)`: a crowd of
 * buyers from distinct addresses on one machine (a test or a load generator picks a client per
 * simulated buyer). Only for loopback targets: the kernel can route a 127.x source only to
 * 127.0.0.0/8.
 */
export function createClientPool(options: ClientPoolOptions): ClientPool {
  const { count } = options
  const first = options.firstIndex ?? 0
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`createClientPool: count must be >= 1, got ${count}`)
  const connections = options.connectionsPerClient ?? 1
  const clients = Array.from({ length: count }, (_, i): SimulatedClient => {
    const address = sourceAddress(first + i)
    const dispatcher = new Agent({ localAddress: address, connections, keepAliveTimeout: 60_000 })
    const defaults = options.headers?.(first + i) ?? {}
    return {
      index: first + i,
      address,
      dispatcher,
      fetch: (url, init = {}) =>
        fetch(url, {
          ...init,
          dispatcher,
          headers: { ...defaults, ...(init.headers as Record<string, string> | undefined) },
        }),
    }
  })
  return {
    clients,
    async close() {
      await Promise.all(clients.map((c) => c.dispatcher.close()))
    },
  }
}
