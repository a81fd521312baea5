// The batcher's commit of one event's admitted reservations, and what follows it off the
// buyers' path. The store decides and writes (one transaction); this step keeps Redis true.
import { createBatcher } from './batcher.js'
import type { Counters } from './counters.js'
import type { SalesDeps } from './deps.js'
import type { CommitOutcome, KeyAnswer, PendingReservation } from './model.js'
import type { Admission } from './ports.js'

/** An admitted reservation and its admission, as it waits in the batcher. */
export interface Admitted extends PendingReservation {
  admission: Admission
}

const units = (list: Admitted[]) => list.reduce((n, i) => n + i.quantity, 0)

/**
 * How long a batch waits for its admissions to be confirmed. The wait overlaps the transaction
 * that holds the event row's lock (FOR UPDATE), so an instance whose Redis stops answering (a
 * partition: a black hole, not a refused connection) would otherwise hold that lock, and stop
 * every instance's sale of the event, until its connection dies. Found by the fault suite's
 * "one instance cut off from Redis" scenario. A confirm round trip takes milliseconds; past
 * this, the admission counts as not confirmed (MySQL decides, the counter is rebuilt after).
 */
export const CONFIRM_WAIT_MS = 1000

/** `work`, or a rejection once `ms` have passed. */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

export function createGroupCommit(deps: SalesDeps, counters: Counters) {
  const { ports, metrics, log, options } = deps
  const { store, gate, cache, claims } = ports
  const background = new Set<Promise<unknown>>()

  /**
   * After a batch's COMMIT, off the buyers' path (drain() waits for it): confirmed units of
   * refused reservations go back on sale; the sold ones move the cache, once per batch and
   * after the COMMIT, as writers must; the answers are copied to where keys are claimed. A
   * retry arriving before that copy finds its key still pending (our claim) and waits for it.
   */
  function afterCommit(eventId: number, items: Admitted[], confirmed: boolean[], outcomes: CommitOutcome[]) {
    const refusedConfirmed = items.filter((_, n) => confirmed[n] && !outcomes[n]!.ok)
    const taken = outcomes.reduce((n, o) => n + (o.ok ? o.reservation.quantity : 0), 0)
    const answers: KeyAnswer[] = items.flatMap((item, n) =>
      outcomes[n]!.ok && item.idempotency ? [item.idempotency] : [],
    )
    const work = Promise.all([
      refusedConfirmed.length > 0 ? counters.giveBack(eventId, units(refusedConfirmed)) : undefined,
      taken > 0 ? cache.applyDelta(eventId, -taken).catch(() => {}) : undefined,
      claims && answers.length > 0
        ? claims
            .answered(answers)
            .catch((error) => log.warn({ err: error }, 'copying answers to Redis failed'))
        : undefined,
      confirmed.includes(false) ? counters.rebuild(eventId).catch(() => {}) : undefined,
    ]).finally(() => background.delete(work))
    background.add(work)
  }

  const batcher = createBatcher<Admitted, CommitOutcome>({
    maxSize: options.batch.maxSize,
    maxWaitMs: options.batch.maxWaitMs,
    onBatch: (size, eventId) => {
      metrics.observe('DbBatchSize', size)
      log.debug({ eventId, size }, 'group commit')
    },
    commit: async (eventId, items) => {
      // Confirm the admissions (one pipelined round trip, overlapped with the transaction's
      // first one, finished before its COMMIT), so Redis never counts a committed sale as still
      // admitted: a rebuild from MySQL (free = available − admitted) can then only over-count —
      // MySQL refuses the excess — and never turns buyers away while seats remain (I5). An
      // admission that cannot be confirmed (it expired, or Redis lost it) is committed all the
      // same: MySQL's decrement is the guard against overselling, and the counter, which may
      // now over-count, is rebuilt from MySQL after the commit. So is one whose confirm does not
      // answer within CONFIRM_WAIT_MS: the row lock is not held hostage to Redis.
      const confirming = Promise.all(
        items.map((i) =>
          within(gate.confirm(i.admission), CONFIRM_WAIT_MS).then(
            () => true,
            (error) => {
              log.warn({ err: error, admissionId: i.admission.id }, 'admission not confirmed; MySQL decides')
              return false
            },
          ),
        ),
      )
      let outcomes: CommitOutcome[]
      try {
        outcomes = await store.commitReservations(eventId, items, confirming)
      } catch (error) {
        // Nothing committed (or, if COMMIT itself was lost, Redis now over-counts: safe).
        const confirmed = await confirming
        await counters.giveBack(eventId, units(items.filter((_, n) => confirmed[n])))
        throw error
      }
      // Answered now: the rest moves counters and copies, and must not delay the buyers.
      afterCommit(eventId, items, await confirming, outcomes)
      return outcomes
    },
  })

  return {
    submit: (eventId: number, item: Admitted) => batcher.submit(eventId, item),
    /** Waits for every admitted reservation to be committed (or failed), and its aftermath. */
    async drain() {
      await batcher.drain()
      await Promise.all([...background])
    },
  }
}

export type GroupCommit = ReturnType<typeof createGroupCommit>
