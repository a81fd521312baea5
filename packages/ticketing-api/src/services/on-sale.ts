import { randomUUID } from 'node:crypto'
import { ApiError, cancelRefused, notEnoughSeats, unavailable, validationError } from '../errors.js'
import type { Metrics } from '../metrics/index.js'
import {
  type AdmissionHold,
  type Backend,
  CapacityUnknownError,
  type CommitOutcome,
  type EventRecord,
  IdempotencyClaimLostError,
  type IdempotencyRef,
  type NewEvent,
  NotAdmittedError,
  type PendingReservation,
} from '../ports/index.js'
import { createBatcher } from './batcher.js'
import { createIdempotency, type Replayable, storeClaims } from './idempotency.js'
import { eventData, reservationData } from './presenters.js'

export interface OnSaleOptions {
  backend: Backend
  metrics: Metrics
  log: {
    warn(obj: unknown, msg?: string): void
    error(obj: unknown, msg?: string): void
    debug(obj: unknown, msg?: string): void
  }
  holdTtlMs: number
  maxTicketsPerUser?: number
  batch: { maxSize: number; maxWaitMs: number }
}

interface Admitted extends PendingReservation {
  hold: AdmissionHold
}

/**
 * The on-sale path. Admission (a Redis counting semaphore in production) answers sold-out
 * without touching MySQL; admitted requests of one event are committed together by a group
 * commit (one transaction, many reservations) and each is acknowledged only after its batch
 * committed; then the hold is confirmed and the cached availability moved by the same delta.
 */
export function createOnSale(options: OnSaleOptions) {
  const { backend, metrics, log } = options
  const { store, admission, cache } = backend
  const claims = backend.claims
  const leases = { leaseMs: options.holdTtlMs * 2, waitMs: options.holdTtlMs }
  // Reservations claim their keys in Redis when the backend offers it; events in the store.
  const idempotency = createIdempotency(claims ?? storeClaims(store), leases)
  const eventIdempotency = claims ? createIdempotency(storeClaims(store), leases) : idempotency
  const rebuilding = new Map<number, Promise<boolean>>()
  const suspects = new Map<number, number>()

  const batcher = createBatcher<Admitted, CommitOutcome>({
    maxSize: options.batch.maxSize,
    maxWaitMs: options.batch.maxWaitMs,
    onBatch: (size, eventId) => {
      metrics.observe('DbBatchSize', size)
      log.debug({ eventId, size }, 'group commit')
    },
    commit: async (eventId, items) => {
      // Confirm the holds (one pipelined round trip, overlapped with the transaction's first
      // one, finished before its COMMIT), so Redis never counts a committed sale as still held:
      // a rebuild from MySQL (free = available − held) can then only over-count — MySQL refuses
      // the excess — and never turns buyers away while seats remain (I5). A hold that cannot be
      // confirmed (it expired, or Redis lost it) is committed all the same: MySQL's conditional
      // decrement is the guard against overselling, and the counter, which may now over-count,
      // is rebuilt from MySQL after the commit.
      const confirming = Promise.all(
        items.map((i) =>
          admission.confirm(i.hold).then(
            () => true,
            (error) => {
              log.warn({ err: error, holdId: i.hold.id }, 'hold could not be confirmed; MySQL decides')
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
        await giveBack(eventId, units(items.filter((_, n) => confirmed[n])))
        throw error
      }
      // Answered now: the rest moves counters and copies, and must not delay the buyers.
      afterCommit(eventId, items, await confirming, outcomes)
      return outcomes
    },
  })

  const units = (list: Admitted[]) => list.reduce((n, i) => n + i.quantity, 0)
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
    const answers = outcomes.flatMap((o, n) => {
      const ref = items[n]!.idempotency
      return o.ok && ref ? [{ ref, response: { statusCode: 201, data: reservationData(o.reservation) } }] : []
    })
    const work = Promise.all([
      refusedConfirmed.length > 0 ? giveBack(eventId, units(refusedConfirmed)) : undefined,
      taken > 0 ? cache.applyDelta(eventId, -taken).catch(() => {}) : undefined,
      claims && answers.length > 0
        ? claims
            .answered(answers)
            .catch((error) => log.warn({ err: error }, 'copying answers to Redis failed'))
        : undefined,
      confirmed.includes(false) ? rebuild(eventId).catch(() => {}) : undefined,
    ]).finally(() => background.delete(work))
    background.add(work)
  }

  /** Returns units of confirmed-but-unsold holds to admission (or repairs the counter). */
  async function giveBack(eventId: number, units: number) {
    if (units === 0) return
    await admission.add(eventId, units).catch(async (error) => {
      log.warn({ err: error, eventId, units }, 'returning units to admission failed; rebuilding')
      await rebuild(eventId).catch(() => {})
    })
  }

  /** Single-flight per event: rebuilds the admission counter from the store's committed state. */
  function rebuild(eventId: number): Promise<boolean> {
    const running = rebuilding.get(eventId)
    if (running) return running
    const p = (async () => {
      const [row] = await store.availability([eventId])
      if (!row) return false
      // A missing counter means Redis lost the event, and its answers with it: restore those
      // first, since refusals need the counter and must find the answers. A counter that is
      // there but drifted (the other reasons to rebuild) says nothing about the answers: no
      // need to read them all back.
      if (claims && !(await admission.state(eventId))) await claims.restore(eventId)
      await admission.rebuild(eventId, row.availableSeats)
      log.warn({ eventId, availableSeats: row.availableSeats }, 'admission counter rebuilt from the database')
      return true
    })().finally(() => rebuilding.delete(eventId))
    rebuilding.set(eventId, p)
    return p
  }

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
      if (statics.size >= 10_000) statics.delete(statics.keys().next().value as number)
      statics.set(eventId, event)
    }
    return event
  }

  async function admit(eventId: number, quantity: number, owner: string): Promise<AdmissionHold> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await admission.hold({ eventId, quantity, owner, ttlMs: options.holdTtlMs })
      } catch (error) {
        if (error instanceof NotAdmittedError) {
          metrics.increment('ReservationsRejected')
          if (error.available === 0) metrics.increment('SoldOutRejections')
          throw notEnoughSeats(quantity, error.available)
        }
        if (error instanceof CapacityUnknownError && attempt === 0) {
          // Redis lost the counter (flush, restart, failover): rebuild it from MySQL first.
          if (!(await rebuild(eventId))) throw new ApiError('EVENT_NOT_FOUND', `Event ${eventId} not found`)
          continue
        }
        if (error instanceof CapacityUnknownError) throw unavailable('admission', 1, error)
        throw error
      }
    }
  }

  async function reserveOnce(input: {
    eventId: number
    userId: string
    quantity: number
    idempotency?: IdempotencyRef
  }) {
    const started = performance.now()
    const event = await eventStatics(input.eventId)
    if (!event) throw new ApiError('EVENT_NOT_FOUND', `Event ${input.eventId} not found`)
    const limit = event.maxTicketsPerUser ?? options.maxTicketsPerUser ?? null
    if (limit !== null && input.quantity > limit) {
      throw validationError('quantity', `must be <= ${limit} (the per-user ticket limit of this event)`)
    }
    const hold = await admit(input.eventId, input.quantity, input.userId)
    let outcome: CommitOutcome
    try {
      outcome = await batcher.submit(input.eventId, {
        reservationId: randomUUID(),
        userId: input.userId,
        quantity: input.quantity,
        holdId: hold.id,
        token: hold.token,
        limit,
        reservationTime: new Date(),
        idempotency: input.idempotency,
        hold,
      })
    } catch (error) {
      // The batch returned the units of its confirmed holds; an unconfirmed hold just expires.
      metrics.increment('Errors')
      throw error
    }
    if (!outcome.ok) {
      metrics.increment('ReservationsRejected')
      switch (outcome.code) {
        case 'INSUFFICIENT_SEATS':
          // Admission let it through but MySQL says no: the counter drifted. Re-sync it.
          void rebuild(input.eventId).catch(() => {})
          if (outcome.available === 0) metrics.increment('SoldOutRejections')
          throw notEnoughSeats(input.quantity, outcome.available)
        case 'TICKET_LIMIT_EXCEEDED':
          throw new ApiError(
            'TICKET_LIMIT_EXCEEDED',
            `At most ${outcome.limit} tickets per user for this event`,
            {
              limit: outcome.limit,
              alreadyReserved: outcome.alreadyHeld,
            },
          )
        case 'EVENT_NOT_FOUND':
          throw new ApiError('EVENT_NOT_FOUND', `Event ${input.eventId} not found`)
        case 'IDEMPOTENCY_CLAIM_LOST':
          // A retry with the same key took over while this request stalled; it answers both.
          throw new IdempotencyClaimLostError()
      }
    }
    // Committed (and its hold confirmed before): acknowledge.
    metrics.increment('ReservationsConfirmed')
    metrics.observe('ReservationLatency', performance.now() - started)
    return { statusCode: 201, data: reservationData(outcome.reservation) }
  }

  return {
    getEvent,
    rebuild,

    async createEvent(input: NewEvent, idem?: IdempotencyRef): Promise<Replayable> {
      const run = async (claimed?: IdempotencyRef) => {
        const event = await store.createEvent(input, claimed)
        // A GET before the insert may have cached "not found" for this id.
        await cache.invalidate(event.eventId).catch(() => {})
        await admission.setCapacity(event.eventId, event.totalSeats).catch((error) => {
          // The row is committed; the counter will be rebuilt from it on first use.
          log.warn({ err: error, eventId: event.eventId }, 'setting capacity failed')
        })
        return { statusCode: 201, data: eventData(event) }
      }
      return idem ? eventIdempotency.run(idem, run) : { ...(await run()), replayed: false }
    },

    async reserve(input: {
      eventId: number
      userId: string
      quantity: number
      idempotency?: IdempotencyRef
    }) {
      const idem = input.idempotency
      return idem
        ? idempotency.run(idem, (claimed) => reserveOnce({ ...input, idempotency: claimed }))
        : { ...(await reserveOnce(input)), replayed: false }
    },

    async cancel(reservationId: string) {
      const outcome = await store.cancelReservation(reservationId)
      if (!outcome.ok) throw cancelRefused(reservationId, outcome.code)
      // Exactly once: only the caller that flipped the status returns the units.
      const r = outcome.reservation
      await Promise.all([
        admission.add(r.eventId, r.quantity).catch(async (e) => {
          log.warn({ err: e, eventId: r.eventId }, 'returning units to admission failed; rebuilding')
          await rebuild(r.eventId).catch(() => {})
        }),
        cache.applyDelta(r.eventId, r.quantity).catch(() => cache.invalidate(r.eventId).catch(() => {})),
      ])
      return r
    },

    /**
     * Repairs admission counters from the store: a missing counter is rebuilt at once; a counter
     * whose free + held units disagree with MySQL is rebuilt only when the same disagreement is
     * seen twice in a row, because in-flight batches make a single reading race the commit.
     */
    async reconcile(): Promise<number> {
      let rebuilt = 0
      for (const row of await store.availability()) {
        const state = await admission.state(row.eventId)
        const drift = state ? row.availableSeats - (state.available + state.held) : undefined
        if (drift === 0) {
          suspects.delete(row.eventId)
          continue
        }
        if (drift !== undefined && suspects.get(row.eventId) !== drift) {
          suspects.set(row.eventId, drift)
          continue
        }
        suspects.delete(row.eventId)
        if (!state) await claims?.restore(row.eventId) // Redis lost the event: its answers too
        await admission.rebuild(row.eventId, row.availableSeats)
        await cache.invalidate(row.eventId).catch(() => {})
        rebuilt++
      }
      return rebuilt
    },

    /** Waits for every admitted reservation to be committed (or failed), and its aftermath. */
    async drain() {
      await batcher.drain()
      await Promise.all([...background])
    },
  }
}

export type OnSale = ReturnType<typeof createOnSale>
