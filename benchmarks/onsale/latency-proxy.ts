/**
 * The on-sale benchmark's latency proxy: TCP forwarders on 127.0.0.1 that add a network model's
 * round trip between a contender and its MySQL and Redis, and an Aurora commit's extra latency to
 * every MySQL query that commits. network.ts runs it as a process of its own (`node --import tsx
 * latency-proxy.ts '<json links>'`), so its CPU is metered apart from the load generator's and
 * the servers' (the `proxy` column of the results).
 *
 * Why not testkit's `startDelayProxy`: it arms one `setTimeout` per chunk in each direction, and
 * it cannot tell a COMMIT from any other query. This one holds the whole round trip on the
 * request direction (for a request/response protocol that is the same as half each way, with half
 * the timers), queues chunks per connection behind one timer, and reads the MySQL packet headers
 * of the requests to find `COM_QUERY` packets whose text holds a `COMMIT` statement.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'

/** One forwarder: listens on a free port, forwards to `targetPort`. */
export interface LinkSpec {
  targetPort: number
  /** Round trip added to every request (ms). */
  rttMs: number
  /** Added on top of `rttMs` to a MySQL `COM_QUERY` holding a COMMIT statement (ms). 0: off. */
  commitMs: number
}

// Node truncates timer delays to whole milliseconds (and fires them up to about a millisecond
// late); a chunk due within this much is sent now rather than waiting for another timer turn.
const EARLY_MS = 0.5

/** Chunks of one direction of one connection, each sent when due, in arrival order. */
class DelayedPipe {
  private readonly chunks: Buffer[] = []
  private readonly due: number[] = []
  private head = 0
  private timer: NodeJS.Timeout | undefined
  private lastDue = 0
  private ended = false

  constructor(private readonly to: Socket) {}

  push(chunk: Buffer, delayMs: number): void {
    const due = Math.max(performance.now() + delayMs, this.lastDue)
    this.lastDue = due
    this.chunks.push(chunk)
    this.due.push(due)
    if (this.timer === undefined) this.arm(due)
  }

  end(): void {
    this.ended = true
    if (this.head === this.chunks.length) this.to.end()
  }

  private arm(due: number): void {
    this.timer = setTimeout(this.flush, Math.round(due - performance.now()))
  }

  private readonly flush = (): void => {
    this.timer = undefined
    const now = performance.now() + EARLY_MS
    const to = this.to
    if (to.destroyed) return
    to.cork()
    while (this.head < this.chunks.length && this.due[this.head]! <= now) {
      to.write(this.chunks[this.head]!)
      this.head++
    }
    to.uncork()
    if (this.head === this.chunks.length) {
      this.chunks.length = 0
      this.due.length = 0
      this.head = 0
      if (this.ended) to.end()
    } else this.arm(this.due[this.head]!)
  }
}

const COM_QUERY = 0x03
const COMMIT = Buffer.from('COMMIT')
const commit = Buffer.from('commit')

/** Is `c` a byte of an SQL identifier or keyword (so `COMMITTED` is not `COMMIT`)? */
function wordByte(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f)
}

function holdsCommit(buf: Buffer, start: number, end: number): boolean {
  for (const word of [COMMIT, commit]) {
    let at = buf.indexOf(word, start)
    while (at !== -1 && at + word.length <= end) {
      if (!wordByte(at > start ? buf[at - 1] : undefined) && !wordByte(buf[at + word.length])) return true
      at = buf.indexOf(word, at + 1)
    }
  }
  return false
}

/**
 * Follows the client → server MySQL packets (3-byte length, sequence id, payload) across chunks,
 * and says whether a chunk carries (part of) a `COM_QUERY` whose text holds COMMIT. A COMMIT
 * split across two chunks of one packet is missed (the queries here are far smaller than a chunk).
 */
export class CommitSpotter {
  private left = 0 // payload bytes of the current packet still to come
  private header: number[] = []
  private inQuery = false

  commits(chunk: Buffer): boolean {
    let found = false
    let i = 0
    while (i < chunk.length) {
      if (this.left === 0) {
        this.header.push(chunk[i]!)
        i++
        if (this.header.length < 4) continue
        const [a, b, c] = this.header as [number, number, number, number]
        this.left = a | (b << 8) | (c << 16)
        this.header = []
        this.inQuery = this.left > 0 && chunk[i] === COM_QUERY
        if (this.left > 0 && i >= chunk.length) this.inQuery = false // command byte in the next chunk
        continue
      }
      const end = Math.min(chunk.length, i + this.left)
      if (this.inQuery && !found) found = holdsCommit(chunk, i, end)
      this.left -= end - i
      i = end
    }
    return found
  }
}

/** Starts one forwarder; resolves with its server once it listens. */
export async function startLink(spec: LinkSpec): Promise<Server> {
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: spec.targetPort })
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    const up = new DelayedPipe(upstream)
    const spotter = spec.commitMs > 0 ? new CommitSpotter() : undefined
    const down = (chunk: Buffer) => {
      if (!client.destroyed) client.write(chunk)
    }
    client.on('data', (chunk: Buffer) =>
      up.push(chunk, spotter?.commits(chunk) ? spec.rttMs + spec.commitMs : spec.rttMs),
    )
    upstream.on('data', down)
    client.on('end', () => up.end())
    upstream.on('end', () => client.end())
    const close = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', close)
    upstream.on('error', close)
    client.on('close', close)
    upstream.on('close', close)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

// As a process: `latency-proxy.ts '[{"targetPort":3306,"rttMs":1,"commitMs":2}, …]'` prints
// `{"ports":[…]}` on one line once every forwarder listens, and runs until SIGTERM.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const specs = JSON.parse(process.argv[2] ?? '[]') as LinkSpec[]
  const servers = await Promise.all(specs.map(startLink))
  const ports = servers.map((s) => (s.address() as { port: number }).port)
  process.stdout.write(`${JSON.stringify({ ports })}\n`)
  process.on('SIGTERM', () => process.exit(0))
}
