// Measures what one waiter costs: Redis memory (INFO memory used_memory before and after N joins
// on a fresh redis-server started for this run, so nothing else moves the figure), and the
// cost of a position poll on one instance (polls answered from the cached state, counting the
// Redis commands they send with MONITOR-free bookkeeping: INFO commandstats before and after).
//   npx tsx bench/memory-per-waiter.ts [waiters=1000000] [polls=200000]
import { startRedis } from '@ticketing/testkit'
import { createRedisQueueStore, createWaitingRoom, type JoinResponse } from '../src/index.js'

const waiters = Number(process.argv[2] ?? 1_000_000)
const polls = Number(process.argv[3] ?? 200_000)
const server = await startRedis()
const redis = server.client()
const info = async (section: string, field: string) => {
  const text = await redis.info(section)
  return Number(new RegExp(`${field}[:=](\\d+)`).exec(text)?.[1] ?? 0)
}
const commands = async () => info('stats', 'total_commands_processed')
try {
  const room = createWaitingRoom({
    store: createRedisQueueStore({ redis, prefix: 'wr' }),
    secret: 'memory-bench-test-secret-0123456789abcdef',
    stateCacheMs: 1000,
  })
  await room.openEvent('e1', { admitPerMinute: 600 })
  await room.join('e1', 'warm-up')
  const before = await info('memory', 'used_memory')
  const t0 = performance.now()
  const sample: JoinResponse[] = []
  // Pipelined: ioredis sends each batch's EVALSHAs in one write (auto-pipelining by batch).
  for (let i = 0; i < waiters; i += 5000) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(5000, waiters - i) }, (_, k) =>
        room.join('e1', `visitor-${(i + k).toString().padStart(8, '0')}`),
      ),
    )
    if (sample.length < 10_000) sample.push(...batch.slice(0, 10_000 - sample.length))
  }
  const joinSeconds = (performance.now() - t0) / 1000
  const after = await info('memory', 'used_memory')
  const perWaiter = (after - before) / waiters

  const c0 = await commands()
  const p0 = performance.now()
  for (let i = 0; i < polls; i++) await room.poll(sample[i % sample.length]!.queueTicket)
  const pollMs = performance.now() - p0
  const c1 = await commands()
  const redisCommandsPerPoll = (c1 - c0 - 2) / polls // minus the two INFO calls
  console.log(
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        waiters,
        joinSeconds: Number(joinSeconds.toFixed(1)),
        joinsPerSecond: Math.round(waiters / joinSeconds),
        usedMemoryBeforeMB: Number((before / 2 ** 20).toFixed(1)),
        usedMemoryAfterMB: Number((after / 2 ** 20).toFixed(1)),
        redisBytesPerWaiter: Math.round(perWaiter),
        polls,
        pollMicroseconds: Number(((pollMs * 1000) / polls).toFixed(2)),
        pollsPerSecondOneCore: Math.round(polls / (pollMs / 1000)),
        redisCommandsPerPoll: Number(redisCommandsPerPoll.toFixed(5)),
      },
      null,
      1,
    ),
  )
  await room.close()
} finally {
  await server.stop()
}
