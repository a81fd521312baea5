import type { Hold } from './hold.js'

/** `Symbol.asyncDispose` is native from Node 20.4 (TS lib ESNext.Disposable); fall back to the registry symbol. */
export const asyncDispose: typeof Symbol.asyncDispose =
  (Symbol.asyncDispose as typeof Symbol.asyncDispose | undefined) ??
  (Symbol.for('nodejs.asyncDispose') as typeof Symbol.asyncDispose)

export interface AutoExtendOptions {
  /** TTL each extension sets. @default the validity the hold has left when auto-extension starts (at least 1_000) */
  ttlMs?: number
  /** Extend when this much validity is left. @default ttlMs / 3 */
  thresholdMs?: number
  /** Stops the auto-extension (does not release the hold). */
  signal?: AbortSignal
}

/** A running auto-extension. `await using ext = lock.autoExtend(hold)` stops it at scope end. */
export interface AutoExtension {
  /** Aborted (with the error as `reason`) when the hold could not be kept. */
  readonly signal: AbortSignal
  /** The hold as of the latest successful extension. */
  readonly hold: Hold
  /** Stops extending and waits for an extension in flight. Does not release the hold. */
  stop(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

interface Hooks {
  extend(holdId: string, ttlMs: number): Promise<Hold>
  onLost(error: Error): void
  onStop(): void
}

export function startAutoExtension(initial: Hold, options: AutoExtendOptions, hooks: Hooks): AutoExtension {
  const ttlMs = options.ttlMs ?? Math.max(1_000, initial.validUntil - Date.now())
  const thresholdMs = options.thresholdMs ?? Math.floor(ttlMs / 3)
  const controller = new AbortController()
  let hold = initial
  let timer: NodeJS.Timeout | undefined
  let inFlight: Promise<void> | undefined
  let stopped = false

  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => (inFlight = run()), Math.max(0, hold.validUntil - Date.now() - thresholdMs))
  }
  const run = async () => {
    timer = undefined
    // Retry quickly while the current validity lasts; give up (abort) once it has run out.
    while (!stopped) {
      try {
        hold = await hooks.extend(hold.id, ttlMs)
        schedule()
        return
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error))
        const lost =
          (e as { code?: string }).code === 'E_HOLD_EXPIRED' ||
          (e as { code?: string }).code === 'E_NOT_OWNER'
        if (lost || Date.now() + 50 >= hold.validUntil) {
          stopped = true
          controller.abort(e)
          hooks.onLost(e)
          return
        }
        await new Promise((r) => setTimeout(r, 50))
      }
    }
  }
  const stop = async () => {
    stopped = true
    if (timer) clearTimeout(timer)
    timer = undefined
    await inFlight
    hooks.onStop()
  }
  options.signal?.addEventListener('abort', () => void stop(), { once: true })
  schedule()
  return {
    signal: controller.signal,
    get hold() {
      return hold
    },
    stop,
    [asyncDispose]: stop,
  } as AutoExtension
}
