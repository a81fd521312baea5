// Child process of stampede.bench.ts: one cache of the named library; on each `go` it fires
// `concurrency` concurrent reads of one cold key whose loader INCRs a counter in Redis.
import { Redis } from 'ioredis'
import { factories, redisUrl } from './subjects.js'

const [subjectName, prefix] = process.argv.slice(2) as [string, string]
const factory = factories.find((f) => f.name === subjectName)!
const subject = await factory.create({ l1: true, prefix, ttlMs: 30_000 })
const counter = new Redis(redisUrl)

process.on(
  'message',
  async (m: { key: string; counterKey: string; concurrency: number; loaderMs: number }) => {
    const loader = async () => {
      await counter.incr(m.counterKey)
      await new Promise((r) => setTimeout(r, m.loaderMs))
      return { eventId: m.key, availableSeats: 100 }
    }
    await Promise.all(Array.from({ length: m.concurrency }, () => subject.get(m.key, loader)))
    process.send!({ done: true })
  },
)
process.on('disconnect', async () => {
  await subject.close()
  counter.disconnect()
  process.exit(0)
})
process.send!({ ready: true })
