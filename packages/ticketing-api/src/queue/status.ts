// A waiter's status from their queue ticket: answered from the instance's cached state (no
// Redis) until their turn comes, then one store call collects the turn and signs its token.
import type { WaitingRoom } from '@ticketing/waiting-room'
import type { EventRecord } from '../sales/model.js'
import { type QueueView, queueView } from './model.js'
import type { Open } from './open.js'

export function createStatus(room: WaitingRoom, { reopening }: Open) {
  return async function status(event: EventRecord, ticket: string | undefined): Promise<QueueView> {
    const s = await reopening(event, () => room.poll(ticket, { eventId: String(event.eventId) }))
    return queueView(ticket as string, s)
  }
}
