// Live status for the SSE stream: one timer per event with watchers, answering each watcher
// from the instance's cached queue state (no Redis per watcher), pushing on change, at least
// every REFRESH_MS, and at once when this instance sees the event sell out.
import type { WaitingRoom } from '@ticketing/waiting-room'
import type { EventRecord } from '../sales/model.js'
import { type QueueView, queueView } from './model.js'

/** How often each event's watchers are re-checked (the cached state lives 1 s). */
const CHECK_MS = 1_000
/** A watcher hears at least this often, changed or not. */
const REFRESH_MS = 5_000

/** `admitted` and `sold_out` are their own stream events when they happen; the rest `position`. */
export type WatchEvent = 'position' | 'admitted' | 'sold_out'

interface Watcher {
  ticket: string
  push(event: WatchEvent, view: QueueView): void
  fail(error: unknown): void
  last?: string
  status?: string
  at: number
}

export function createWatch(room: WaitingRoom) {
  const byEvent = new Map<number, { watchers: Set<Watcher>; timer: NodeJS.Timeout }>()

  async function check(eventId: number, w: Watcher) {
    let view: QueueView
    try {
      view = queueView(w.ticket, await room.poll(w.ticket, { eventId: String(eventId) }))
    } catch (error) {
      return w.fail(error)
    }
    const body = JSON.stringify(view)
    const now = Date.now()
    if (body === w.last && now - w.at < REFRESH_MS) return
    const transition = view.status !== w.status
    w.last = body
    w.status = view.status
    w.at = now
    w.push(
      transition && (view.status === 'admitted' || view.status === 'sold_out') ? view.status : 'position',
      view,
    )
  }

  const checkAll = (eventId: number) => {
    for (const w of byEvent.get(eventId)?.watchers ?? []) void check(eventId, w)
  }

  room.on('soldOut', ({ eventId }) => checkAll(Number(eventId)))

  /**
   * Pushes the status of `first.ticket` as it changes from `first` (what the watcher was sent
   * already), until the returned function is called. A ticket that fails (expired) gets `fail`
   * once and is dropped.
   */
  function watch(
    event: EventRecord,
    first: QueueView,
    push: Watcher['push'],
    fail: Watcher['fail'],
  ): () => void {
    const eventId = event.eventId
    let entry = byEvent.get(eventId)
    if (!entry) {
      const timer = setInterval(() => checkAll(eventId), CHECK_MS)
      timer.unref()
      entry = { watchers: new Set(), timer }
      byEvent.set(eventId, entry)
    }
    const w: Watcher = {
      ticket: first.ticket,
      push,
      fail: (e) => {
        stop()
        fail(e)
      },
      last: JSON.stringify(first),
      status: first.status,
      at: Date.now(),
    }
    entry.watchers.add(w)
    function stop() {
      const e = byEvent.get(eventId)
      if (!e) return
      e.watchers.delete(w)
      if (e.watchers.size === 0) {
        clearInterval(e.timer)
        byEvent.delete(eventId)
      }
    }
    return stop
  }

  function close() {
    for (const { timer } of byEvent.values()) clearInterval(timer)
    byEvent.clear()
  }

  return { watch, close }
}
