import { redisTopologies, uniquePrefix } from '@ticketing/testkit'
import type { Redis } from 'ioredis'
import { createRedisQueueStore } from '../src/index.js'
import { registerWaitingRoomContractSuite } from './contract-suite.js'

// The same contract on the shared Redis node (unique prefix, keys deleted after) and on a
// 3-master Redis Cluster started for this file.
for (const spec of redisTopologies(['single', 'cluster'])) {
  registerWaitingRoomContractSuite(`redis ${spec.name}`, async () => {
    const topo = await spec.start()
    const redis = topo.clients[0]!
    const prefix = uniquePrefix('wr')
    return {
      store: createRedisQueueStore({ redis, prefix }),
      async teardown() {
        if (topo.kind === 'single') {
          // The shared node: delete this run's keys only (SCAN, never KEYS or FLUSHALL).
          for await (const keys of (redis as Redis).scanStream({ match: `{${prefix}*`, count: 1000 })) {
            for (const key of keys as string[]) await redis.del(key)
          }
        }
        await topo.teardown()
      },
    }
  })
}
