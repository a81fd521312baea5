import { redisTopologies, uniquePrefix } from '@ticketing/testkit'
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
          const keys = await (redis as import('ioredis').Redis).keys(`{${prefix}*`)
          if (keys.length > 0) await Promise.all(keys.map((k) => redis.del(k)))
        }
        await topo.teardown()
      },
    }
  })
}
