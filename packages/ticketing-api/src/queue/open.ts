// Opening an event's queue, and re-opening it from the event's record when the queue store
// lost it (a Redis that restarted empty): the settings are the event's, in the database.
import type { WaitingRoom } from '@ticketing/waiting-room'
import type { EventRecord } from '../sales/model.js'
import { eventOptions, type QueueSettings } from './model.js'

export function createOpen(room: WaitingRoom) {
  /** Creates (or updates) the event's queue. Idempotent: the queue is kept. */
  async function open(eventId: number, settings: QueueSettings) {
    await room.openEvent(String(eventId), eventOptions(settings))
  }

  /**
   * Runs `step`; when the store does not know the event (E_EVENT_NOT_FOUND) but the event has
   * a queue, opens it again and runs `step` once more.
   */
  async function reopening<T>(event: EventRecord, step: () => Promise<T>): Promise<T> {
    try {
      return await step()
    } catch (error) {
      if ((error as { code?: string }).code !== 'E_EVENT_NOT_FOUND' || !event.queue) throw error
      await open(event.eventId, event.queue)
      return step()
    }
  }

  return { open, reopening }
}

export type Open = ReturnType<typeof createOpen>
