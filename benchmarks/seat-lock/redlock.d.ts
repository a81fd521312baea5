// redlock 5.0.0-beta.2 has types, but its exports map hides them from NodeNext resolution.
declare module 'redlock' {
  import type { Redis } from 'ioredis'
  export interface Lock {
    release(): Promise<unknown>
  }
  export default class Redlock {
    constructor(clients: Redis[], settings?: { retryCount?: number; driftFactor?: number })
    acquire(resources: string[], duration: number): Promise<Lock>
  }
}
