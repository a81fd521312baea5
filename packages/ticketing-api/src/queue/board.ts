// The event's serving board: public, the same for every waiter, cacheable for a second at the
// edge (a CDN in front of the load balancer). Each waiter places itself on it with its join
// index (@ticketing/waiting-room/board), so the instances see one read per second per edge
// instead of one poll per waiter; a waiter polls with its ticket only to collect its turn.
import type { ServingBoard, WaitingRoom } from '@ticketing/waiting-room'
import type { EventRecord } from '../sales/model.js'
import type { Open } from './open.js'

/** How long a CDN or browser may keep a board (s): the sold-out notice rides on it. */
export const BOARD_MAX_AGE_SECONDS = 1

export function createBoard(room: WaitingRoom, { reopening }: Open) {
  return function board(event: EventRecord): Promise<ServingBoard> {
    return reopening(event, () => room.board(String(event.eventId)))
  }
}
