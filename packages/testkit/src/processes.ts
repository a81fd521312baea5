import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

/**
 * Every server a test starts is registered here, so that it is stopped by pid even when the
 * test (or the whole worker) fails before its own teardown runs.
 */
const live = new Set<ChildProcess>()

function killAllSync(): void {
  for (const child of live) {
    try {
      if (child.pid) process.kill(child.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  live.clear()
}
process.once('exit', killAllSync)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllSync()
    process.exit(130)
  })
}

/** A free TCP port on 127.0.0.1, as the kernel hands it out. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

export interface Spawned {
  readonly pid: number
  readonly child: ChildProcess
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>
  /** SIGKILL at once (a crash). */
  kill(): Promise<void>
  /** Output collected so far, for failure messages. */
  output(): string
}

/** Where and with what environment `spawnServer` starts its process. */
export interface SpawnOptions {
  /** Replaces the child's environment. @default process.env */
  env?: NodeJS.ProcessEnv
  /** @default process.cwd() */
  cwd?: string
}

/** Spawns a server process, registered for cleanup. */
export function spawnServer(command: string, args: string[], options: SpawnOptions = {}): Spawned {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd ?? process.cwd(),
  })
  if (!child.pid) throw new Error(`could not start ${command}`)
  live.add(child)
  let log = ''
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  let done = false
  exited.then(() => {
    done = true
    live.delete(child)
  })
  const pid = child.pid
  const signal = (sig: NodeJS.Signals) => {
    // Never signal a pid that has exited: the kernel may have handed it to another process.
    if (done || child.exitCode !== null || child.signalCode !== null) return
    try {
      process.kill(pid, sig)
    } catch {
      // already exited
    }
  }
  return {
    pid,
    child,
    output: () => log,
    async stop(graceMs = 5000) {
      signal('SIGTERM')
      const timer = setTimeout(() => signal('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
    async kill() {
      signal('SIGKILL')
      await exited
    },
  }
}

/** Polls `check` until it resolves truthy or `timeoutMs` passes. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      if (await check()) return
    } catch (error) {
      lastError = error
    }
    await new Promise((r) => setTimeout(r, intervalMs))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError })
}

/**
 * Waits until a server process `proc` is ready (`check` polled as by `waitFor`), failing at once
 * if the process exits first instead of polling until the time-out. On failure the process is
 * killed and the error carries its output.
 */
export async function waitForProcess(
  proc: Spawned,
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<void> {
  let onExit: (code: number | null, signal: NodeJS.Signals | null) => void = () => {}
  const exited = new Promise<never>((_, reject) => {
    onExit = (code, signal) => reject(new Error(`${what} exited during start-up (${signal ?? code})`))
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      onExit(proc.child.exitCode, proc.child.signalCode)
    } else proc.child.once('exit', onExit)
  })
  exited.catch(() => undefined)
  try {
    await Promise.race([exited, waitFor(what, check, timeoutMs, intervalMs)])
  } catch (error) {
    await proc.kill()
    throw new Error(`${(error as Error).message}\n${proc.output()}`, { cause: error })
  } finally {
    proc.child.off('exit', onExit)
  }
}
