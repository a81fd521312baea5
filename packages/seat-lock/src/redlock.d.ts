/**
 * redlock 5.0.0-beta.2 ships types (dist/index.d.ts) but its `exports` map has no `types`
 * condition, so NodeNext/bundler resolution cannot find them. This declares only the part we use. Internal: none of it is re-exported.
 */
declare module 'redlock' {
  import type { EventEmitter } from 'node:events'
  import type { Redis } from 'ioredis'

  export interface ExecutionStats {
    readonly membershipSize: number
    readonly quorumSize: number
    readonly votesFor: Set<unknown>
    readonly votesAgainst: Map<unknown, Error>
  }
  export class ExecutionError extends Error {
    readonly attempts: ReadonlyArray<Promise<ExecutionStats>>
  }
  export class ResourceLockedError extends Error {}
  export class Lock {
    constructor(
      redlock: Redlock,
      resources: string[],
      value: string,
      attempts: ReadonlyArray<Promise<ExecutionStats>>,
      expiration: number,
    )
    readonly resources: string[]
    readonly value: string
    expiration: number
  }
  export interface Settings {
    readonly driftFactor: number
    readonly retryCount: number
    readonly retryDelay: number
    readonly retryJitter: number
    readonly automaticExtensionThreshold: number
  }
  export default class Redlock extends EventEmitter {
    constructor(
      clients: Iterable<Redis>,
      settings?: Partial<Settings>,
      scripts?: {
        acquireScript?: (default_: string) => string
        extendScript?: (default_: string) => string
        releaseScript?: (default_: string) => string
      },
    )
    acquire(resources: string[], duration: number, settings?: Partial<Settings>): Promise<Lock>
    release(lock: Lock, settings?: Partial<Settings>): Promise<unknown>
    extend(lock: Lock, duration: number, settings?: Partial<Settings>): Promise<Lock>
  }
}
