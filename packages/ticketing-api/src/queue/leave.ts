// Leaving the queue: the place (or the held turn) is given up, and its slot goes to the next.
import type { WaitingRoom } from '@ticketing/waiting-room'
import type { EventRecord } from '../sales/model.js'
import type { Open } from './open.js'

export function createLeave(room: WaitingRoom, { reopening }: Open) {
  /** False when there was no place left to give up (already left, or bought). */
  return async function leave(event: EventRecord, ticket: string | undefined): Promise<boolean> {
    // The ticket must be valid and this event's (the library's leave checks the signature
    // only): a poll checks both, from memory while the visitor waits.
    await reopening(event, () => room.poll(ticket, { eventId: String(event.eventId) }))
    return room.leave(ticket as string)
  }
}
