// Reserving a quantity of a general-admission event: admission (sold-out answered at Redis
// speed), then the group commit, then the answer — only after the COMMIT (I3).
import { randomUUID } from 'node:crypto'
import {
  eventNotFound,
  notEnoughSeats,
  ticketLimitExceeded,
  unavailable,
  validationError,
} from '../errors.js'
import type { Counters } from './counters.js'
import type { SalesDeps } from './deps.js'
import type { GroupCommit } from './group-commit.js'
import type { Idempotency, Replayable } from './idempotency.js'
import { perUserLimit } from './limits.js'
import {
  type EventRecord,
  IdempotencyClaimLostError,
  type IdempotencyRef,
  type StoredResponse,
} from './model.js'
import { type Admission, CapacityUnknownError, NotAdmittedError } from './ports.js'
import { reservationData } from './presenters.js'

export interface ReserveInput {
  eventId: number
  userId: string
  quantity: number
  idempotency?: IdempotencyRef
}

export function createReserve(
  deps: SalesDeps,
  steps: {
    counters: Counters
    commits: GroupCommit
    keys: Idempotency
    eventStatics(eventId: number): Promise<EventRecord | undefined>
  },
) {
  const { ports, metrics, options } = deps
  const { counters, commits, keys } = steps

  async function admit(eventId: number, quantity: number, owner: string): Promise<Admission> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await ports.gate.admit({ eventId, quantity, owner, ttlMs: options.admissionTtlMs })
      } catch (error) {
        if (error instanceof NotAdmittedError) {
          metrics.increment('ReservationsRejected')
          if (error.available === 0) metrics.increment('SoldOutRejections')
          throw notEnoughSeats(quantity, error.available)
        }
        if (error instanceof CapacityUnknownError && attempt === 0) {
          // Redis lost the counter (flush, restart, failover): rebuild it from MySQL first.
          if (!(await counters.rebuild(eventId))) throw eventNotFound(eventId)
          continue
        }
        if (error instanceof CapacityUnknownError) throw unavailable('admission', 1, error)
        throw error
      }
    }
  }

  async function reserveOnce(input: ReserveInput): Promise<StoredResponse> {
    const started = performance.now()
    const event = await steps.eventStatics(input.eventId)
    if (!event) throw eventNotFound(input.eventId)
    const limit = perUserLimit(event, options.maxTicketsPerUser)
    if (limit !== null && input.quantity > limit) {
      throw validationError('quantity', `must be <= ${limit} (the per-user ticket limit of this event)`)
    }
    const admission = await admit(input.eventId, input.quantity, input.userId)
    const reservationId = randomUUID()
    const reservationTime = new Date()
    const answer = {
      statusCode: 201,
      data: reservationData({ ...input, reservationId, reservationTime: reservationTime.toISOString() }),
    }
    let outcome: Awaited<ReturnType<GroupCommit['submit']>>
    try {
      outcome = await commits.submit(input.eventId, {
        reservationId,
        userId: input.userId,
        quantity: input.quantity,
        admissionId: admission.id,
        token: admission.token,
        limit,
        reservationTime,
        idempotency: input.idempotency && { ref: input.idempotency, response: answer },
        admission,
      })
    } catch (error) {
      // The batch returned the units of its confirmed admissions; an unconfirmed one expires.
      metrics.increment('Errors')
      throw error
    }
    if (!outcome.ok) {
      metrics.increment('ReservationsRejected')
      switch (outcome.code) {
        case 'INSUFFICIENT_SEATS':
          // Admission let it through but MySQL says no: the counter drifted. Re-sync it.
          void counters.rebuild(input.eventId).catch(() => {})
          if (outcome.available === 0) metrics.increment('SoldOutRejections')
          throw notEnoughSeats(input.quantity, outcome.available)
        case 'TICKET_LIMIT_EXCEEDED':
          throw ticketLimitExceeded(outcome.limit, {
            alreadyReserved: outcome.alreadyReserved,
            alreadyHeld: 0,
          })
        case 'EVENT_NOT_FOUND':
          throw eventNotFound(input.eventId)
        case 'IDEMPOTENCY_CLAIM_LOST':
          // A retry with the same key took over while this request stalled; it answers both.
          throw new IdempotencyClaimLostError()
      }
    }
    // Committed (and its admission confirmed before): acknowledge.
    metrics.increment('ReservationsConfirmed')
    metrics.observe('ReservationLatency', performance.now() - started)
    return answer
  }

  /** Reserves once per Idempotency-Key (a retry replays the first answer). */
  return async function reserve(input: ReserveInput): Promise<Replayable> {
    const idem = input.idempotency
    return idem
      ? keys.run(idem, (claimed) => reserveOnce({ ...input, idempotency: claimed }))
      : { ...(await reserveOnce(input)), replayed: false }
  }
}
