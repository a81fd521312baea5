/** Circuit states, as reported by the `'breaker'` event. */
export type BreakerState = 'closed' | 'open' | 'half-open'

/**
 * Consecutive-failure circuit breaker. Open: Redis is skipped entirely (reads go to the loader),
 * so a dead Redis costs no timeouts. After `openMs`, exactly one call is let through as the
 * half-open probe; its success closes the circuit, its failure re-opens it.
 */
export class CircuitBreaker {
  #state: BreakerState = 'closed'
  #failures = 0
  #openedAt = 0
  #probing = false

  constructor(
    readonly failureThreshold: number,
    readonly openMs: number,
    readonly onChange: (state: BreakerState) => void,
  ) {}

  get state(): BreakerState {
    return this.#state
  }

  /** Whether a Redis call may be made now; in half-open, true once for the probe. */
  allow(now = Date.now()): boolean {
    if (this.#state === 'closed') return true
    if (this.#state === 'open' && now - this.#openedAt >= this.openMs) this.#set('half-open')
    if (this.#state === 'half-open' && !this.#probing) {
      this.#probing = true
      return true
    }
    return false
  }

  success(): void {
    this.#failures = 0
    this.#probing = false
    if (this.#state !== 'closed') this.#set('closed')
  }

  failure(now = Date.now()): void {
    this.#probing = false
    this.#failures++
    if (
      this.#state === 'half-open' ||
      (this.#state === 'closed' && this.#failures >= this.failureThreshold)
    ) {
      this.#openedAt = now
      this.#set('open')
    }
  }

  #set(state: BreakerState): void {
    this.#state = state
    this.onChange(state)
  }
}
