import { type ChildProcess, fork } from 'node:child_process'

/** Forked scripts still alive, SIGKILLed by pid when the test process exits. */
const forked = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of forked) {
    try {
      if (child.pid) process.kill(child.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
})

/** A forked Node script with request/response helpers over its IPC channel. */
export interface ForkedScript {
  readonly child: ChildProcess
  readonly pid: number
  /** Sends `message` with a fresh `id` and resolves with the child's reply carrying that id. */
  request<R = unknown>(message: Record<string, unknown>, timeoutMs?: number): Promise<R>
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>
}

/**
 * Forks a Node child running `file` with an IPC channel. TypeScript runs through tsx
 * (`node --import tsx`), so tests need no build step. Protocol for `request`: the child
 * answers each `{ id, ... }` message with `process.send({ id, ... })` (or `{ id, error }`).
 */
export function forkScript(file: string, args: string[] = [], options: { env?: NodeJS.ProcessEnv } = {}) {
  const child = fork(file, args, {
    execArgv: ['--import', 'tsx'],
    env: options.env ?? process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  if (!child.pid) throw new Error(`could not fork ${file}`)
  forked.add(child)
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  exited.then(() => forked.delete(child))
  let nextId = 0
  const handle: ForkedScript = {
    child,
    pid: child.pid,
    async request<R>(message: Record<string, unknown>, timeoutMs = 30_000): Promise<R> {
      const id = ++nextId
      const reply = new Promise<R>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.off('message', onMessage)
          reject(new Error(`no reply to ${JSON.stringify(message)} within ${timeoutMs} ms`))
        }, timeoutMs)
        const onMessage = (m: { id?: number; error?: string }) => {
          if (m?.id !== id) return
          clearTimeout(timer)
          child.off('message', onMessage)
          if (m.error !== undefined) reject(new Error(m.error))
          else resolve(m as R)
        }
        child.on('message', onMessage)
      })
      child.send({ ...message, id })
      return reply
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
  return handle
}
