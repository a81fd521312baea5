// Keeping the admission counters true to MySQL: rebuild (single-flight per event), returning
// units, and the reconciler that repairs what a crash or a Redis loss left behind.
import type { SalesDeps } from './deps.js'

export function createCounters({ ports, log }: SalesDeps) {
  const { store, gate, cache, claims } = ports
  const rebuilding = new Map<number, Promise<boolean>>()
  const suspects = new Map<number, number>()

  /**
   * A missing counter means Redis lost the event, and the Idempotency-Key answers with it:
   * those are restored first, since refusals need the counter and must find the answers.
   */
  async function restoreAnswers(eventId: number) {
    if (!claims) return
    const answers = await store.keys.answersOfEvent(eventId)
    await claims.answered(answers)
    if (answers.length > 0) log.warn({ eventId, answers: answers.length }, 'Idempotency-Key answers restored')
  }

  /** Single-flight per event: rebuilds the admission counter from the store's committed state. */
  function rebuild(eventId: number): Promise<boolean> {
    const running = rebuilding.get(eventId)
    if (running) return running
    const p = (async () => {
      const [row] = await store.availability([eventId])
      if (!row) return false
      // A counter that is there but drifted (the other reasons to rebuild) says nothing about
      // the answers: no need to read them all back.
      if (claims && !(await gate.state(eventId))) await restoreAnswers(eventId)
      await gate.rebuild(eventId, row.availableSeats)
      log.warn({ eventId, availableSeats: row.availableSeats }, 'admission counter rebuilt from the database')
      return true
    })().finally(() => rebuilding.delete(eventId))
    rebuilding.set(eventId, p)
    return p
  }

  /** Puts units back on sale (or repairs the counter when that fails). */
  async function giveBack(eventId: number, units: number) {
    if (units === 0) return
    await gate.add(eventId, units).catch(async (error) => {
      log.warn({ err: error, eventId, units }, 'returning units to admission failed; rebuilding')
      await rebuild(eventId).catch(() => {})
    })
  }

  /**
   * Repairs admission counters from the store: a missing counter is rebuilt at once; a counter
   * whose free + admitted units disagree with MySQL is rebuilt only when the same disagreement
   * is seen twice in a row, because in-flight batches make a single reading race the commit.
   */
  async function reconcile(): Promise<number> {
    let rebuilt = 0
    for (const row of await store.availability()) {
      const state = await gate.state(row.eventId)
      const drift = state ? row.availableSeats - (state.available + state.admitted) : undefined
      if (drift === 0) {
        suspects.delete(row.eventId)
        continue
      }
      if (drift !== undefined && suspects.get(row.eventId) !== drift) {
        suspects.set(row.eventId, drift)
        continue
      }
      suspects.delete(row.eventId)
      if (!state) await restoreAnswers(row.eventId)
      await gate.rebuild(row.eventId, row.availableSeats)
      await cache.invalidate(row.eventId).catch(() => {})
      rebuilt++
    }
    return rebuilt
  }

  return { rebuild, giveBack, reconcile }
}

export type Counters = ReturnType<typeof createCounters>
