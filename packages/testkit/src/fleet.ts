import { type LoadBalancer, type LoadBalancerOptions, startLoadBalancer } from './load-balancer.js'
import { freePort, type Spawned, waitForProcess } from './processes.js'

/** The environment `startFleet` hands to `spawn`: where instance i must listen. */
export interface InstanceEnv {
  PORT: string
  HOST: string
}

/** Options of `startFleet`. */
export interface FleetOptions {
  /** How many API instances (the ASG's desired capacity). */
  instances: number
  /**
   * Starts instance `i` listening on `env.HOST:env.PORT`, e.g.
   * `(i, env) => spawnServer(process.execPath, [serverEntry], { env: { ...process.env, ...apiEnv, ...env } })`.
   * Called again by `restart` and `replace`.
   */
  spawn: (i: number, env: InstanceEnv) => Spawned
  /** The load balancer's health check path. @default '/api/health' */
  healthPath?: string
  /** Polled on each instance until it answers 200 before it counts as started. @default healthPath */
  readyPath?: string
  /** How long an instance may take to become ready. @default 90_000 */
  startTimeoutMs?: number
  /**
   * Starts instance 0 alone, then the others together, so that one process runs the database
   * migrations before the rest race it.
   * @default true
   */
  startFirstAlone?: boolean
  /** Passed to `startLoadBalancer` (health check interval, thresholds, …). */
  loadBalancer?: Omit<LoadBalancerOptions, 'backends' | 'healthPath'>
}

/** One API instance of a fleet. */
export interface FleetInstance {
  readonly index: number
  /** Its current port (changes at `replace`). */
  readonly port: number
  /** `http://127.0.0.1:PORT`, the instance itself, bypassing the load balancer. */
  readonly url: string
  readonly pid: number
  readonly process: Spawned
  /** True until the current process exits. */
  alive(): boolean
  /** SIGKILL (an instance crash); the load balancer takes it out when its health checks fail. */
  kill(): Promise<void>
  /** SIGTERM (graceful shutdown), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>
  /** Starts it again on the same port (stopping it first if alive) and waits until it is ready. */
  restart(): Promise<void>
  /** Replaces it with a new process on a new port and moves its load balancer slot there (an ASG replacement). */
  replace(): Promise<void>
  output(): string
}

/** API instances behind a load balancer. */
export interface Fleet {
  /** The load balancer's URL: what clients call. */
  readonly url: string
  readonly loadBalancer: LoadBalancer
  readonly instances: readonly FleetInstance[]
  /** Stops every instance and the load balancer, by pid; never throws. */
  stop(): Promise<void>
}

/**
 * Starts `instances` API processes on free ports behind `startLoadBalancer` (HAProxy as the
 * ALB): the production shape on one machine. The caller says how to start a process; the fleet
 * picks ports, waits for readiness, wires the load balancer, and stops everything it started
 * by pid, also when start-up fails half way.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(options.instances) || options.instances < 1) {
    throw new Error(`startFleet: instances must be >= 1, got ${options.instances}`)
  }
  const healthPath = options.healthPath ?? '/api/health'
  const readyPath = options.readyPath ?? healthPath
  const startTimeoutMs = options.startTimeoutMs ?? 90_000
  const processes: Spawned[] = []

  // Spawns instance i on `port` and waits for readyPath; a process that exits fails at once.
  const launch = async (i: number, port: number): Promise<Spawned> => {
    const proc = options.spawn(i, { PORT: String(port), HOST: '127.0.0.1' })
    processes.push(proc)
    await waitForProcess(
      proc,
      `instance ${i} on port ${port}`,
      async () =>
        (await fetch(`http://127.0.0.1:${port}${readyPath}`, { signal: AbortSignal.timeout(1000) }))
          .status === 200,
      startTimeoutMs,
      100,
    )
    return proc
  }

  const stopProcesses = () => Promise.allSettled(processes.map((p) => p.stop()))
  const ports: number[] = []
  const running: Spawned[] = []
  let loadBalancer: LoadBalancer
  try {
    for (let i = 0; i < options.instances; i++) ports.push(await freePort())
    const firstAlone = options.startFirstAlone ?? true
    if (firstAlone) running[0] = await launch(0, ports[0]!)
    await Promise.all(
      ports.map(async (port, i) => {
        if (!(firstAlone && i === 0)) running[i] = await launch(i, port)
      }),
    )
    loadBalancer = await startLoadBalancer({
      ...options.loadBalancer,
      healthPath,
      backends: ports.map((port) => ({ port })),
    })
  } catch (error) {
    await stopProcesses()
    throw error
  }
  const lb = loadBalancer
  await Promise.all(ports.map((_, i) => lb.waitForStatus(i, 'UP', startTimeoutMs))).catch(async (error) => {
    await lb.stop()
    await stopProcesses()
    throw error
  })

  const instances = ports.map((_, index): FleetInstance => {
    const exitedNow = () =>
      running[index]!.child.exitCode !== null || running[index]!.child.signalCode !== null
    const instance: FleetInstance = {
      index,
      get port() {
        return ports[index]!
      },
      get url() {
        return `http://127.0.0.1:${ports[index]!}`
      },
      get pid() {
        return running[index]!.pid
      },
      get process() {
        return running[index]!
      },
      alive: () => !exitedNow(),
      kill: () => running[index]!.kill(),
      stop: (graceMs) => running[index]!.stop(graceMs),
      async restart() {
        await running[index]!.stop()
        running[index] = await launch(index, ports[index]!)
      },
      async replace() {
        await running[index]!.stop()
        const port = await freePort()
        running[index] = await launch(index, port)
        ports[index] = port
        await lb.setBackends(ports.map((p) => ({ port: p })))
      },
      output: () => running[index]!.output(),
    }
    return instance
  })

  return {
    url: lb.url,
    loadBalancer: lb,
    instances,
    async stop() {
      await Promise.allSettled([lb.stop(), stopProcesses()])
    },
  }
}
