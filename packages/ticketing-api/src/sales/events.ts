// Creating and reading events: the cache in front of the store, and what the write path
// remembers of an event.
import type { SalesDeps } from './deps.js'
import type { Idempotency, Replayable } from './idempotency.js'
import type { EventRecord, IdempotencyRef, NewEvent } from './model.js'
import { eventData } from './presenters.js'

/** Most events whose unchanging fields the write path remembers. */
const MAX_REMEMBERED_EVENTS = 10_000

export function createEventSteps({ ports, log }: SalesDeps, keys: Idempotency) {
  const { store, gate, cache } = ports

  async function getEvent(eventId: number): Promise<EventRecord | undefined> {
    return cache.get(eventId, () => store.getEvent(eventId))
  }

  /**
   * What the write path needs of an event — that it exists, its name and per-user limit — never
   * changes after creation, so it is remembered in process (bounded). Availability is never
   * read from here: admission and the locked row decide that.
   */
  const statics = new Map<number, EventRecord>()
  async function eventStatics(eventId: number): Promise<EventRecord | undefined> {
    const known = statics.get(eventId)
    if (known) return known
    const event = await getEvent(eventId)
    if (event) {
      if (statics.size >= MAX_REMEMBERED_EVENTS) statics.delete(statics.keys().next().value as number)
      statics.set(eventId, event)
    }
    return event
  }

  async function createEvent(input: NewEvent, idem?: IdempotencyRef): Promise<Replayable> {
    const answer = (event: EventRecord) => ({ statusCode: 201, data: eventData(event) })
    const run = async (claimed?: IdempotencyRef) => {
      const event = await store.createEvent(input, claimed && { ref: claimed, answer })
      // A GET before the insert may have cached "not found" for this id.
      await cache.invalidate(event.eventId).catch(() => {})
      await gate.setCapacity(event.eventId, event.totalSeats).catch((error) => {
        // The row is committed; the counter will be rebuilt from it on first use.
        log.warn({ err: error, eventId: event.eventId }, 'setting capacity failed')
      })
      return answer(event)
    }
    return idem ? keys.run(idem, run) : { ...(await run()), replayed: false }
  }

  return {
    getEvent,
    eventStatics,
    createEvent,
    listEvents: (query: { offset: number; limit: number; availableOnly: boolean }) => store.listEvents(query),
  }
}
