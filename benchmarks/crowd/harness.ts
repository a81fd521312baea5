/**
 * The production shape on one machine, for the flash crowd: a dedicated mariadbd and
 * redis-server, `instances` API processes (the production entry point, dist/server.js) behind
 * HAProxy playing the ALB (testkit startFleet), with the production defaults: JWT auth on
 * (HS256, the harness mints one token per visitor), default rate limits, TRUST_PROXY=1 (one
 * proxy hop, as the reference stack's user data sets it for the ALB).
 */
import { randomBytes } from 'node:crypto'
import {
  type AccessLogEntry,
  type Fleet,
  type MariaDbServer,
  mintJwt,
  type RedisServer,
  spawnServer,
  startFleet,
  startMariaDb,
  startRedis,
  uniquePrefix,
} from '@ticketing/testkit'
import { BENCH_HEALTH_CHECKS, oursEntryPoint } from '../onsale/contenders.js'
import { requestJson } from '../onsale/load.js'

export interface CrowdStack {
  /** The load balancer: what visitors call. */
  url: string
  databaseUrl: string
  jwtSecret: string
  fleet: Fleet
  /**
   * The reservation POSTs the load balancer answered since the last call (its access log), with
   * HAProxy's timers: the server's latency as an ALB's TargetResponseTime would show it, out of
   * reach of the load generator's own lag on this shared machine.
   */
  takeReservationLog(): AccessLogEntry[]
  /** Creates an event (as an admin), with a queue when `queue` is given; returns its id. */
  createEvent(name: string, seats: number, queue?: Record<string, unknown>): Promise<number>
  stop(): Promise<void>
}

export interface StackOptions {
  instances: number
  /** Extra environment for the API (e.g. the waiting room's secret when the API needs one). */
  env?: Record<string, string>
  log?: (line: string) => void
}

export async function startCrowdStack(o: StackOptions): Promise<CrowdStack> {
  const entry = oursEntryPoint()
  if (!entry.path) throw new Error(entry.problem)
  const serverEntry = entry.path
  let mariadb: MariaDbServer | undefined
  let redis: RedisServer | undefined
  let fleet: Fleet | undefined
  const stop = async () => {
    await fleet?.stop()
    await Promise.allSettled([redis?.stop(), mariadb?.stop()])
  }
  try {
    // innodb_flush_log_at_trx_commit=2 as on-sale's loopback model: this machine's disk is not
    // Aurora's storage, and the crowd is about the front door, not the commit.
    mariadb = await startMariaDb({ args: ['--innodb-flush-log-at-trx-commit=2', '--max-connections=500'] })
    redis = await startRedis()
    const jwtSecret = `crowd-test-secret-${randomBytes(16).toString('hex')}`
    const apiEnv: Record<string, string> = {
      DATABASE_URL: mariadb.url,
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      REDIS_KEY_PREFIX: uniquePrefix('crowd'),
      // Production defaults: AUTH_MODE=jwt (the default in production mode), rate limits on
      // (RATE_LIMIT_* unset), one trusted proxy hop.
      JWT_SECRET: jwtSecret,
      TRUST_PROXY: '1',
      NODE_ENV: 'production',
      // warn, not info: 100,000 visitors' access logs would cost the API more CPU than the sale.
      LOG_LEVEL: 'warn',
      ...o.env,
    }
    let reservationLog: AccessLogEntry[] = []
    const f = await startFleet({
      instances: o.instances,
      loadBalancer: {
        ...BENCH_HEALTH_CHECKS,
        // CloudFront in front of the ALB (infra-constructs' EdgeCache): the waiting room's
        // public board, `Cache-Control: public, max-age=1`, answered from the edge.
        cache: { paths: ['^/api/events/[0-9]+/queue/board$'] },
        accessLog: {
          methods: ['POST'],
          paths: ['/api/reservations'],
          onEntry: (entry) => reservationLog.push(entry),
        },
      },
      spawn: (_i, env) =>
        spawnServer(process.execPath, [...profileArgs(), serverEntry], {
          env: { ...process.env, ...apiEnv, ...env },
        }),
    })
    fleet = f
    const admin = { authorization: `Bearer ${mintJwt('crowd-admin', { secret: jwtSecret, admin: true })}` }
    return {
      url: f.url,
      databaseUrl: mariadb.url,
      jwtSecret,
      fleet: f,
      takeReservationLog() {
        const taken = reservationLog
        reservationLog = []
        return taken
      },
      async createEvent(name, seats, queue) {
        const r = await requestJson(
          f.url,
          'POST',
          '/api/events',
          {
            eventName: name,
            totalSeats: seats,
            eventDate: '2027-12-31T19:00:00',
            ...(queue ? { queue } : {}),
          },
          admin,
        )
        const data = (r.json as { data?: { eventId?: number } }).data
        if (r.status !== 201 || typeof data?.eventId !== 'number')
          throw new Error(`POST /api/events answered ${r.status}: ${JSON.stringify(r.json)}`)
        return data.eventId
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/**
 * With CROWD_CPU_PROF=<dir> (`npm run bench:crowd -- --cpu-prof`), each API instance writes a V8
 * CPU profile there when it stops; onsale/profile-summary.ts prints where its time went.
 */
function profileArgs(): string[] {
  const dir = process.env.CROWD_CPU_PROF
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []
}
