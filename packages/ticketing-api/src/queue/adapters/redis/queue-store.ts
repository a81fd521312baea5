// Production's queues: the library's Redis store, on the service's client, its keys under the
// service's prefix and hash-tagged per event ({prefix:EVENT}:…, Cluster-safe).
import { createRedisQueueStore, type QueueStore } from '@ticketing/waiting-room'
import type { Cluster, Redis } from 'ioredis'

export function createRedisQueues(redis: Redis | Cluster, prefix: string): QueueStore {
  return createRedisQueueStore({ redis, prefix })
}
