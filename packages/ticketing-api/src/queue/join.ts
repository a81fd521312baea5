// Joining an event's queue: one place per visitor (the authenticated buyer), idempotent.
import type { WaitingRoom } from '@ticketing/waiting-room'
import type { EventRecord } from '../sales/model.js'
import { type QueueView, queueView } from './model.js'
import type { Open } from './open.js'

export function createJoin(room: WaitingRoom, { reopening }: Open) {
  /** The visitor's place (new, or the one they had: `created` false) and its status. */
  return async function join(
    event: EventRecord,
    visitorId: string,
  ): Promise<{ created: boolean; view: QueueView }> {
    const r = await reopening(event, () => room.join(String(event.eventId), visitorId))
    return { created: r.created, view: queueView(r.queueTicket, r) }
  }
}
