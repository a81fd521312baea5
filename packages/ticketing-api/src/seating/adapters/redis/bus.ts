import type { Cluster, Redis } from 'ioredis'
import type { SeatChange } from '../../model.js'
import type { SeatBus } from '../../ports.js'

type Client = Redis | Cluster

/** Changes over one Redis pub/sub channel; every instance (the publisher too) receives each once. */
export function createRedisBus(client: Client, subscriber: Client, channel: string): SeatBus {
  const listeners: Array<(c: SeatChange) => void> = []
  let subscribed = false
  subscriber.on('message', (ch: string, message: string) => {
    if (ch !== channel) return
    let change: SeatChange
    try {
      change = JSON.parse(message) as SeatChange
    } catch {
      return
    }
    for (const l of listeners) l(change)
  })
  return {
    async publish(change) {
      await client.publish(channel, JSON.stringify(change))
    },
    subscribe(listener) {
      listeners.push(listener)
      if (subscribed) return
      subscribed = true
      void subscriber.subscribe(channel).catch(() => {
        subscribed = false
      })
    },
    async close() {
      listeners.length = 0
    },
  }
}
