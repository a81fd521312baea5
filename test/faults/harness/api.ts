import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, type Spawned, spawnServer, waitFor } from '@ticketing/testkit'
import { TEST_JWT_SECRET } from './tokens.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..')
/** The API in production mode: the built entry point, as `npm start` runs it. */
export const serverEntry = join(root, 'packages/ticketing-api/dist/server.js')

/** How long a seat hold lives in every fault run: short, so "seats return" is checked quickly. */
export const HOLD_TTL_MS = 3000

export interface ApiOptions {
  databaseUrl: string
  /** One Redis (or a proxy in front of it). */
  redisUrl?: string
  /** Extra or overriding environment variables (e.g. REDIS_CLUSTER_NODES, timeouts). */
  env?: Record<string, string>
  /** Redis key prefix, so that runs sharing a Redis never see each other's keys. */
  keyPrefix?: string
}

export interface ApiProcess {
  readonly name: string
  readonly port: number
  readonly baseUrl: string
  readonly pid: number
  readonly process: Spawned
  /** kill -9. */
  kill(): Promise<void>
  /** SIGTERM (graceful shutdown), SIGKILL after 5 s. */
  stop(): Promise<void>
  /** True while the process has not exited. */
  alive(): boolean
  output(): string
}

function apiEnv(port: number, options: ApiOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl,
    AUTH_MODE: 'jwt',
    JWT_SECRET: TEST_JWT_SECRET,
    // Production defaults for the rate limits (none set here). The instances sit behind the
    // suite's HAProxy (the ALB stand-in, one hop), as they sit behind the ALB on AWS: believe
    // its X-Forwarded-For, so every buyer's own address is the one limited.
    TRUST_PROXY: '1',
    LOG_LEVEL: 'warn',
    // Not the production 30 s + 30 s: short, so that "seats return within HOLD_TTL_MS +
    // RECONCILE_INTERVAL_MS" is checked within one scenario's run.
    HOLD_TTL_MS: String(HOLD_TTL_MS),
    RECONCILE_INTERVAL_MS: '1000',
    // Below the buyers' 5 s client timeout: a stalled request is answered 503 + Retry-After.
    REQUEST_DEADLINE_MS: '2500',
    ...options.env,
  }
  if (options.redisUrl) env.REDIS_URL = options.redisUrl
  if (options.keyPrefix) env.REDIS_KEY_PREFIX = options.keyPrefix
  return env
}

/**
 * Starts one API process and waits until GET /api/health/live answers 200. A process that exits
 * during start-up is tried again (twice): in a shared checkout the dist/ it runs may be in the
 * middle of a rebuild (tsup cleans it first) when a scenario starts.
 */
export async function startApi(options: ApiOptions, name = 'api'): Promise<ApiProcess> {
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startApiOnce(options, name)
    } catch (error) {
      lastError = error
      if (!(error as { exited?: boolean }).exited) throw error
      await new Promise((r) => setTimeout(r, 5000))
    }
  }
  throw lastError
}

async function startApiOnce(options: ApiOptions, name: string): Promise<ApiProcess> {
  if (!existsSync(serverEntry)) {
    throw Object.assign(
      new Error(
        `${serverEntry} is missing: build first (npx lerna run build --scope @ticketing/ticketing-api --include-dependencies)`,
      ),
      { exited: true },
    )
  }
  const port = await freePort()
  const proc = spawnServer(process.execPath, [serverEntry], { env: apiEnv(port, options), cwd: root })
  let exited = false
  // Rejects as soon as the process dies during start-up, instead of polling until the timeout.
  const died = new Promise<never>((_, reject) => {
    proc.child.once('exit', (code, signal) => {
      exited = true
      reject(new Error(`exited during start-up (${signal ?? code})`))
    })
  })
  died.catch(() => undefined)
  const baseUrl = `http://127.0.0.1:${port}`
  try {
    await Promise.race([
      died,
      waitFor(
        `${name} on port ${port}`,
        async () => {
          const res = await fetch(`${baseUrl}/api/health/live`, { signal: AbortSignal.timeout(1000) })
          return res.status === 200
        },
        90_000,
        100,
      ),
    ])
  } catch (error) {
    await proc.kill()
    throw Object.assign(new Error(`${name} did not start: ${(error as Error).message}\n${proc.output()}`), {
      exited,
    })
  }
  return {
    name,
    port,
    baseUrl,
    pid: proc.pid,
    process: proc,
    kill: () => proc.kill(),
    stop: () => proc.stop(5000),
    alive: () => !exited,
    output: () => proc.output(),
  }
}

/**
 * Starts `count` API processes sharing one database and Redis (`perInstance(i)` overrides
 * options of process i). The first runs the migrations alone; the others start together once it is up.
 */
export async function startApis(
  count: number,
  options: ApiOptions,
  perInstance: (i: number) => Partial<ApiOptions> = () => ({}),
): Promise<ApiProcess[]> {
  const own = (i: number): ApiOptions => {
    const extra = perInstance(i)
    return { ...options, ...extra, env: { ...options.env, ...extra.env } }
  }
  const first = await startApi(own(0), 'api-1')
  const started = [first]
  try {
    const rest = await Promise.all(
      Array.from({ length: count - 1 }, async (_, i) => {
        const p = await startApi(own(i + 1), `api-${i + 2}`)
        started.push(p)
        return p
      }),
    )
    return [first, ...rest]
  } catch (error) {
    await stopAll(started)
    throw error
  }
}

/** Stops every process by pid; never throws. */
export async function stopAll(processes: ApiProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.stop().catch(() => undefined)))
}

/** Waits until GET /api/health (readiness) answers `status`. */
export async function waitReady(api: { baseUrl: string }, status = 200, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `${api.baseUrl}/api/health → ${status}`,
    async () =>
      (await fetch(`${api.baseUrl}/api/health`, { signal: AbortSignal.timeout(2000) })).status === status,
    timeoutMs,
    100,
  )
}
