import { EventEmitter } from 'node:events'
import type { SeatChange } from '../../model.js'
import type { SeatBus } from '../../ports.js'

/** Seat changes within one process (embedded mode). */
export function createMemoryBus(): SeatBus {
  const emitter = new EventEmitter()
  emitter.setMaxListeners(0)
  return {
    async publish(change: SeatChange) {
      // Asynchronous like pub/sub: listeners never run inside the publisher's call.
      setImmediate(() => emitter.emit('change', change))
    },
    subscribe(listener) {
      emitter.on('change', listener)
    },
    async close() {
      emitter.removeAllListeners()
    },
  }
}
