// The sale's side of the queue: a queued event's protected routes (reservations, seat holds)
// need the buyer's admission token, and a sale that committed ends the buyer's turn.
import type { WaitingRoom } from '@ticketing/waiting-room'
import { admissionError } from '../errors.js'
import type { EventRecord } from '../sales/model.js'

/** A checked admission, to complete once the sale committed. */
export interface Admitted {
  eventId: number
  token: string
}

export function createAdmission(room: WaitingRoom, log: { warn(obj: unknown, msg?: string): void }) {
  /**
   * Null for an unqueued event (no check at all). For a queued one: the token must be signed by
   * this service, for this event and this buyer, and unexpired; `sale: true` (the route that
   * sells) also checks, in one store call, that the turn was not used or given up already.
   * Throws 403 QUEUE_REQUIRED / ADMISSION_EXPIRED.
   */
  async function check(
    event: EventRecord | undefined,
    buyer: string,
    token: string | undefined,
    { sale }: { sale: boolean },
  ): Promise<Admitted | null> {
    if (!event?.queue) return null
    const expected = { eventId: String(event.eventId), visitorId: buyer }
    try {
      if (sale) await room.verifyTurn(token, expected)
      else room.verify(token, expected)
    } catch (error) {
      throw admissionError(error, event.eventId)
    }
    return { eventId: event.eventId, token: token as string }
  }

  /**
   * The buyer bought: their turn ends and its slot goes to the next visitor. Never fails the
   * sale it follows: a turn not completed lapses at its expiry anyway.
   */
  async function complete(admitted: Admitted | null) {
    if (!admitted) return
    await room.complete(admitted.token).catch((error) => {
      log.warn({ err: error, eventId: admitted.eventId }, 'completing the queue turn failed')
    })
  }

  return { check, complete }
}
