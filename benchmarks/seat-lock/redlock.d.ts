// redlock 5.0.0-beta.2 has types, but its exports map hides them from NodeNext resolution.
declare module 'redlock' {
  import type { Redis } from 'ioredis'
  export class Lock {
    /** Rebuilds a handle from what another process stored (resources + the lock's value). */
    constructor(redlock: Redlock, resources: string[], value: string, attempts: unknown[], expiration: number)
    readonly value: string
    readonly resources: string[]
    release(): Promise<unknown>
  }
  export default class Redlock {
    constructor(clients: Redis[], settings?: { retryCount?: number; driftFactor?: number })
    acquire(resources: string[], duration: number): Promise<Lock>
    release(lock: Lock): Promise<unknown>
  }
}
