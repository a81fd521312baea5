/**
 * Until when (Redis server ms) this process last saw each key fresh in L2. getOrLoad's plain
 * `GET` only pays off when it finds a fresh value: any other answer (absent, expired, in grace)
 * is followed by the LEASE script anyway. So a read with no reason to expect a fresh value (a key
 * this process has not seen, or last saw fresh until a time now past) goes straight to LEASE,
 * the authoritative read, which also answers a fresh value when there is one: a miss + fill is
 * then LEASE + FILL (2 round trips) instead of GET + LEASE + FILL. A wrong guess costs nothing in
 * round trips: a fresh value read through LEASE is one script call instead of one GET, and an
 * expected-fresh key that turns out missing takes the GET + LEASE path as before.
 *
 * Only a routing hint: it never decides what is served or written. Bounded (first in, first out)
 * so that a process reading millions of keys keeps a fixed, small map.
 */
export class FreshHints {
  readonly #until = new Map<string, number>()

  constructor(readonly maxEntries: number) {}

  /** Was the key last seen fresh in L2 until after `serverNow`? */
  expectsFresh(key: string, serverNow: number): boolean {
    const until = this.#until.get(key)
    return until !== undefined && until > serverNow
  }

  /** Records that L2 holds the key fresh until `freshUntil` (server ms). */
  saw(key: string, freshUntil: number): void {
    // Updating an existing key keeps its place: no delete + insert on the hit path.
    if (!this.#until.has(key) && this.#until.size >= this.maxEntries) {
      const oldest = this.#until.keys().next()
      if (!oldest.done) this.#until.delete(oldest.value)
    }
    this.#until.set(key, freshUntil)
  }

  forget(key: string): void {
    this.#until.delete(key)
  }

  clear(): void {
    this.#until.clear()
  }
}
