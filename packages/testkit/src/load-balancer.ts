import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, type Spawned, spawnServer, waitFor, waitForProcess } from './processes.js'
import { requireTool } from './tools.js'

/** A backend: `'127.0.0.1:8080'`, `'http://127.0.0.1:8080'` or `{ host, port }`. */
export type BackendAddress = string | { host?: string; port: number }

/** The health of one backend slot, as HAProxy's stats show it. */
export interface BackendStatus {
  /** Slot index, 0-based (the order of `backends`). */
  readonly index: number
  /** `host:port`, or null for an empty slot. */
  readonly address: string | null
  /** 'UP' (in rotation), 'DOWN' (health check failing), 'MAINT' (disabled or empty), or a transition. */
  readonly status: string
}

/** Options of `startLoadBalancer`. */
export interface LoadBalancerOptions {
  /** The backends at start, in slot order (round-robin over the healthy ones). */
  backends: BackendAddress[]
  /** Path of the HTTP health check; a backend answering anything but 200 is taken out. @default '/api/health' */
  healthPath?: string
  /** Interval between two health checks of a backend. @default 500 */
  healthIntervalMs?: number
  /** Consecutive failed checks that take a backend out (ALB: UnhealthyThresholdCount). @default 2 */
  unhealthyThreshold?: number
  /** Consecutive good checks that bring it back (ALB: HealthyThresholdCount). @default 2 */
  healthyThreshold?: number
  /** How many backend slots exist, so that `setBackends` can grow the set at run time. @default max(8, backends.length) */
  maxBackends?: number
  /** Idle timeout of client and backend connections (ALB's default idle timeout is 60 s). @default 60_000 */
  idleTimeoutMs?: number
  /**
   * HAProxy's maxconn (client connections at once). It needs about two file descriptors per
   * connection, within the hard `ulimit -n`: the default is lowered to fit it.
   * @default 4096
   */
  maxConnections?: number
  /** Port to listen on (127.0.0.1). @default a free port */
  port?: number
  /**
   * Calls this with each request HAProxy logs, with its timers: what an ALB's access log and
   * its `TargetResponseTime` metric record, measured where no load generator's own lag can
   * reach. Off by default (a log line per request costs HAProxy and the reader CPU).
   */
  accessLog?: AccessLogOptions
  /**
   * Plays the CDN in front of the ALB (CloudFront): answers GET requests to these paths from
   * HAProxy's cache for as long as the instance's `Cache-Control` allows, so that a benchmark
   * on one machine sees what production would (the instances see about one request a second
   * per URL, not one per client). See `EdgeCacheOptions` for what is and is not cached. Off by
   * default.
   */
  cache?: EdgeCacheOptions
}

/** Options of the load balancer's access log. */
export interface AccessLogOptions {
  /** Only requests with these methods are logged (the others are silenced in HAProxy). @default every method */
  methods?: string[]
  /** Only requests to these exact paths (no query string) are logged. @default every path */
  paths?: string[]
  onEntry: (entry: AccessLogEntry) => void
}

/**
 * Options of the load balancer's edge cache: HAProxy 2.6's cache, with its rules.
 *
 * Stored: the answer to an HTTP/1.1 GET to one of `paths`, status 200, whose `Cache-Control`
 * has a `max-age` or `s-maxage` (else an `Expires`, `ETag` or `Last-Modified` header), for the
 * lower of that age and `maxAgeSeconds`, in whole seconds of HAProxy's clock (with max-age 1,
 * until the end of the second it was stored in). Never stored: `Cache-Control` `private`,
 * `no-cache`, `no-store` or `max-age=0`, `Pragma: no-cache`, a `Vary` header (HAProxy's Vary
 * support is left off), or an answer larger than a 256th of `maxSizeMb`.
 *
 * Served: to GET and HEAD requests, keyed by Host and URI (query string included), with an
 * `Age` header. Never answered from the cache: a request with an `Authorization` header (its
 * answer is stored all the same if `public`, as RFC 9111 allows), or with
 * `Cache-Control: no-cache` or `max-age=…`, or `Pragma: no-cache` (a browser's reload).
 * CloudFront, unless its cache policy keys on Authorization, drops that header and answers from
 * its cache: here a client sending its JWT with the board request reaches an instance each
 * time. Cookies play no part: a request's `Cookie` is not in the key, and a `Set-Cookie` is
 * stored with the answer and replayed to everyone.
 *
 * Unlike CloudFront, misses that arrive while the first one is at the instance are not
 * collapsed into it: each reaches an instance. In the access log, an answer from the cache has
 * `server` `<CACHE>` and `backendMs` 0.
 */
export interface EdgeCacheOptions {
  /**
   * HAProxy regexes (PCRE) of the cached paths, matched against the path without the query
   * string, e.g. `'^/api/events/[^/]+/queue/board$'`. No whitespace, braces or quotes; an
   * invalid regex fails the start with HAProxy's message.
   */
  paths: string[]
  /** Longest a response is kept, whatever its `Cache-Control` allows (CloudFront's maximum TTL). @default 1 */
  maxAgeSeconds?: number
  /** Memory for the cached objects, in MB (at most 4095); one object is at most a 256th of it. @default 16 */
  maxSizeMb?: number
}

/** One request as the load balancer saw it (HAProxy's timers, in ms; -1 when it never got there). */
export interface AccessLogEntry {
  method: string
  /** The path, without the query string. */
  path: string
  /** The status answered to the client (HAProxy's own 503 included). */
  status: number
  /** From the request sent to the backend to its full response headers: ALB's TargetResponseTime. */
  backendMs: number
  /** From the request's first byte to the answer's last (HAProxy's Ta). */
  totalMs: number
  /** The backend slot that answered (`s1`, `s2`, …), `<CACHE>` (the edge cache; `backendMs` 0), or `<NOSRV>`. */
  server: string
}

/** A running HAProxy playing the ALB. */
export interface LoadBalancer {
  /** `http://127.0.0.1:PORT`, what clients call. */
  readonly url: string
  readonly port: number
  /** HAProxy's process id. */
  readonly pid: number
  readonly process: Spawned
  /**
   * Replaces the backend set at run time (slot i gets `backends[i]`; slots past the list are
   * emptied). A new or moved backend enters rotation only after it passes its health checks,
   * as a new target does in an ALB target group.
   */
  setBackends(backends: BackendAddress[]): Promise<void>
  /** Puts slot `index` in maintenance (deregisters the target): no new request goes there. */
  disable(index: number): Promise<void>
  /** Takes slot `index` out of maintenance; it serves again once its health checks pass. */
  enable(index: number): Promise<void>
  /** Every slot that holds a backend, with its health. */
  status(): Promise<BackendStatus[]>
  /** Waits until slot `index` has `status` ('UP', 'DOWN', 'MAINT'). */
  waitForStatus(index: number, status: string, timeoutMs?: number): Promise<void>
  /** Sends one command to HAProxy's runtime API (stats socket, admin level) and returns its answer. */
  runtime(command: string): Promise<string>
  /** Stops HAProxy (by pid) and deletes its configuration folder. */
  stop(): Promise<void>
}

function parseBackend(backend: BackendAddress): { host: string; port: number } {
  if (typeof backend !== 'string') return { host: backend.host ?? '127.0.0.1', port: backend.port }
  const url = new URL(backend.includes('://') ? backend : `tcp://${backend}`)
  const port = Number(url.port)
  if (!url.hostname || !Number.isInteger(port) || port <= 0) {
    throw new Error(`startLoadBalancer: backend must be host:port, got ${JSON.stringify(backend)}`)
  }
  return { host: url.hostname, port }
}

/** One request/answer over HAProxy's stats socket (it closes the connection after answering). */
function runtimeCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath)
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      answer += chunk
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(answer))
    socket.end(`${command}\n`)
  })
}

/** 4096, or less when the hard file-descriptor limit is too low for it (haproxy would refuse to start). */
function defaultMaxConnections(): number {
  try {
    const hard = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim()
    if (hard === 'unlimited') return 4096
    return Math.max(64, Math.min(4096, Math.floor((Number(hard) - 200) / 2)))
  } catch {
    return 4096
  }
}

/** Marks access-log lines among HAProxy's other output. */
const ACCESS_LOG_PREFIX = 'testkit-access'

/** Parses the access-log lines HAProxy writes to its stdout (the log-format above). */
function readAccessLog(proc: Spawned, onEntry: (entry: AccessLogEntry) => void) {
  let partial = ''
  proc.child.stdout?.setEncoding('utf8')
  proc.child.stdout?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      const at = line.indexOf(ACCESS_LOG_PREFIX)
      if (at < 0) continue
      const [method, path, status, backendMs, totalMs, server] = line
        .slice(at + ACCESS_LOG_PREFIX.length + 1)
        .split(' ')
      if (!method || !path || !server) continue
      onEntry({
        method,
        path,
        status: Number(status),
        backendMs: Number(backendMs),
        totalMs: Number(totalMs),
        server,
      })
    }
  })
}

const BACKEND = 'api'
const CACHE = 'edge'
const slotName = (index: number) => `s${index + 1}`

/** The `cache` section and the frontend rules of the edge cache. */
function edgeCache(options: EdgeCacheOptions): { section: string[]; rules: string[] } {
  const { paths } = options
  // Each regex goes in single quotes, where HAProxy takes every character as it is (a backslash
  // stays a backslash). Braces are refused as in accessLog.paths: a `}` ends the anonymous ACL.
  if (paths.length === 0 || paths.some((p) => !/^[^\s{}'"]+$/.test(p))) {
    throw new Error(
      `startLoadBalancer: cache.paths must be path regexes without whitespace, braces or quotes, like ^/api/x$, got ${JSON.stringify(paths)}`,
    )
  }
  const maxAge = options.maxAgeSeconds ?? 1
  if (!Number.isInteger(maxAge) || maxAge < 1) {
    throw new Error(
      `startLoadBalancer: cache.maxAgeSeconds must be a whole number of seconds >= 1, got ${maxAge}`,
    )
  }
  const maxSize = options.maxSizeMb ?? 16
  if (!Number.isInteger(maxSize) || maxSize < 1 || maxSize > 4095) {
    throw new Error(
      `startLoadBalancer: cache.maxSizeMb must be a whole number from 1 to 4095, got ${maxSize}`,
    )
  }
  return {
    section: [`cache ${CACHE}`, `  total-max-size ${maxSize}`, `  max-age ${maxAge}`],
    rules: [
      // cache-use computes the key that cache-store needs: other paths are neither served nor stored.
      `  http-request cache-use ${CACHE} if { path_reg ${paths.map((p) => `'${p}'`).join(' ')} }`,
      `  http-response cache-store ${CACHE}`,
    ],
  }
}

/**
 * Starts HAProxy in front of HTTP backends, standing in for the production ALB: round-robin
 * over healthy backends, `X-Forwarded-For` appended like an ALB does (the client address
 * added to any incoming list), `X-Forwarded-Proto`/`-Port`, HTTP/1.1 keep-alive to the
 * backends, and an HTTP health check that takes a dead backend out of rotation. Unlike an ALB
 * it answers 503 when every backend is down (an ALB then "fails open"), and it never retries a
 * request on another backend (nor does an ALB). The backend set changes at run time through
 * HAProxy's runtime API, without a reload, so the fault suite can kill, restart and replace
 * API instances. Needs Debian's `haproxy` package.
 */
export async function startLoadBalancer(options: LoadBalancerOptions): Promise<LoadBalancer> {
  const haproxy = requireTool('haproxy', 'haproxy')
  const initial = options.backends.map(parseBackend)
  const maxBackends = options.maxBackends ?? Math.max(8, initial.length)
  if (initial.length > maxBackends) {
    throw new Error(`startLoadBalancer: ${initial.length} backends but maxBackends is ${maxBackends}`)
  }
  const healthPath = options.healthPath ?? '/api/health'
  if (!healthPath.startsWith('/') || /\s/.test(healthPath)) {
    throw new Error(`startLoadBalancer: healthPath must be a path like /api/health, got ${healthPath}`)
  }
  const cache = options.cache && edgeCache(options.cache)
  const inter = options.healthIntervalMs ?? 500
  const fall = options.unhealthyThreshold ?? 2
  const rise = options.healthyThreshold ?? 2
  const idle = options.idleTimeoutMs ?? 60_000
  const port = options.port ?? (await freePort())
  const dir = await mkdtemp(join(tmpdir(), 'testkit-haproxy-'))
  const socketPath = join(dir, 'admin.sock')

  const servers = Array.from({ length: maxBackends }, (_, i) => {
    const backend = initial[i]
    // Empty slots start in maintenance at a placeholder address; setBackends fills them.
    return backend
      ? `  server ${slotName(i)} ${backend.host}:${backend.port} check`
      : `  server ${slotName(i)} 127.0.0.1:1 check disabled`
  })
  const accessLog = options.accessLog
  const methods = accessLog?.methods?.map((m) => m.toUpperCase())
  if (methods?.some((m) => !/^[A-Z]+$/.test(m))) {
    throw new Error(
      `startLoadBalancer: accessLog.methods must be HTTP methods, got ${JSON.stringify(methods)}`,
    )
  }
  const paths = accessLog?.paths
  if (paths?.some((p) => !/^\/[^\s{}]*$/.test(p))) {
    throw new Error(
      `startLoadBalancer: accessLog.paths must be paths like /api/x, got ${JSON.stringify(paths)}`,
    )
  }
  // HAProxy logs a request unless all of these hold (ACLs side by side are ANDed).
  const logged = [
    ...(methods ? [`{ method ${methods.join(' ')} }`] : []),
    ...(paths ? [`{ path ${paths.join(' ')} }`] : []),
  ]
  const config = [
    'global',
    `  stats socket ${socketPath} mode 600 level admin`,
    // One line per request on HAProxy's stdout (it runs in the foreground, -db).
    ...(accessLog ? ['  log stdout format raw local0'] : []),
    `  maxconn ${options.maxConnections ?? defaultMaxConnections()}`,
    // Like an ALB, keep the connections to the targets and reuse them. By default HAProxy stops
    // keeping idle backend connections once a fifth of its file descriptors are in use (a few
    // hundred long-lived client connections, e.g. SSE streams, get there) and from then on opens
    // and resets one backend connection per request, which costs the instances and HAProxy more
    // CPU than the requests themselves.
    '  tune.pool-low-fd-ratio 90',
    '  tune.pool-high-fd-ratio 95',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    `  timeout client ${idle}ms`,
    `  timeout server ${idle}ms`,
    `  timeout http-keep-alive ${idle}ms`,
    '  timeout http-request 30s',
    '  retries 1',
    ...(accessLog ? ['  log global', `  log-format "${ACCESS_LOG_PREFIX} %HM %HPO %ST %Tr %Ta %s"`] : []),
    ...(cache?.section ?? []),
    'frontend alb',
    `  bind 127.0.0.1:${port}`,
    // Like an ALB: append the peer's address to an incoming X-Forwarded-For, else start the list.
    '  http-request set-header X-Forwarded-For "%[req.fhdr(X-Forwarded-For)], %[src]" if { req.fhdr(X-Forwarded-For) -m found }',
    '  http-request set-header X-Forwarded-For %[src] unless { req.fhdr(X-Forwarded-For) -m found }',
    '  http-request set-header X-Forwarded-Proto http',
    `  http-request set-header X-Forwarded-Port ${port}`,
    ...(logged.length > 0 ? [`  http-request set-log-level silent unless ${logged.join(' ')}`] : []),
    ...(cache?.rules ?? []),
    `  default_backend ${BACKEND}`,
    `backend ${BACKEND}`,
    '  balance roundrobin',
    `  option httpchk GET ${healthPath}`,
    '  http-check expect status 200',
    `  default-server inter ${inter}ms fastinter ${inter}ms downinter ${inter}ms fall ${fall} rise ${rise}`,
    ...servers,
    '',
  ].join('\n')
  const configPath = join(dir, 'haproxy.cfg')
  await writeFile(configPath, config)

  const proc = spawnServer(haproxy, ['-db', '-f', configPath])
  if (accessLog) readAccessLog(proc, accessLog.onEntry)
  const runtime = (command: string) => runtimeCommand(socketPath, command)
  try {
    // A bad configuration makes haproxy exit at once: that fails here with its message.
    await waitForProcess(proc, `haproxy on port ${port}`, async () =>
      (await runtime('show info')).includes('Pid:'),
    )
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw new Error(`startLoadBalancer: ${(error as Error).message}`)
  }

  const checkIndex = (index: number) => {
    if (!Number.isInteger(index) || index < 0 || index >= maxBackends) {
      throw new Error(`load balancer: slot ${index} does not exist (maxBackends ${maxBackends})`)
    }
  }
  // Errors from the runtime API come back as text; an empty answer means success.
  const command = async (line: string) => {
    const answer = (await runtime(line)).trim()
    if (answer && !/^(IP changed|no need to change|port changed)/i.test(answer)) {
      throw new Error(`haproxy runtime API: '${line}' answered: ${answer}`)
    }
  }
  const addresses: (string | null)[] = Array.from({ length: maxBackends }, (_, i) =>
    initial[i] ? `${initial[i].host}:${initial[i].port}` : null,
  )

  const status = async (): Promise<BackendStatus[]> => {
    const csv = (await runtime('show stat')).trim().split('\n')
    const header = (csv[0] ?? '').replace(/^# /, '').split(',')
    const name = header.indexOf('svname')
    const proxy = header.indexOf('pxname')
    const state = header.indexOf('status')
    const rows = new Map<string, string>()
    for (const line of csv.slice(1)) {
      const cells = line.split(',')
      if (cells[proxy] === BACKEND) rows.set(cells[name] ?? '', cells[state] ?? '')
    }
    return addresses.flatMap((address, index) =>
      address === null ? [] : [{ index, address, status: rows.get(slotName(index)) ?? 'UNKNOWN' }],
    )
  }

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: proc.pid,
    process: proc,
    async setBackends(backends) {
      const parsed = backends.map(parseBackend)
      if (parsed.length > maxBackends) {
        throw new Error(`setBackends: ${parsed.length} backends but maxBackends is ${maxBackends}`)
      }
      for (let i = 0; i < maxBackends; i++) {
        const slot = `${BACKEND}/${slotName(i)}`
        const next = parsed[i]
        const address = next ? `${next.host}:${next.port}` : null
        if (address === addresses[i]) continue
        if (next) {
          // Out of rotation while it moves; back in through the health checks (rise).
          await command(`disable server ${slot}`)
          await command(`set server ${slot} addr ${next.host} port ${next.port}`)
          await command(`enable server ${slot}`)
        } else {
          await command(`disable server ${slot}`)
        }
        addresses[i] = address
      }
    },
    async disable(index) {
      checkIndex(index)
      await command(`disable server ${BACKEND}/${slotName(index)}`)
    },
    async enable(index) {
      checkIndex(index)
      if (addresses[index] === null) throw new Error(`load balancer: slot ${index} is empty`)
      await command(`enable server ${BACKEND}/${slotName(index)}`)
    },
    status,
    async waitForStatus(index, wanted, timeoutMs = 15_000) {
      let last = ''
      await waitFor(
        `load balancer slot ${index} to be ${wanted}`,
        async () => {
          last = (await status()).find((s) => s.index === index)?.status ?? 'none'
          return last.startsWith(wanted)
        },
        timeoutMs,
        50,
      ).catch((error) => {
        throw new Error(`${(error as Error).message} (last status: ${last})`)
      })
    },
    runtime,
    async stop() {
      await proc.stop(3000)
      await rm(dir, { recursive: true, force: true })
    },
  }
}
