import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import { ApiError } from '../errors.js'
import { sendError } from './envelope.js'

export interface GuardOptions {
  /** A request unanswered after this gets 503 + Retry-After (0 = off). */
  deadlineMs: number
  /** Requests get 503 + Retry-After while the event loop lags more than this (0 = off). */
  maxEventLoopDelayMs: number
  /** Called for each request answered by its deadline (counted as an error). */
  onDeadline?: () => void
}

/** How often the event-loop delay is sampled (as @fastify/under-pressure does). */
const SAMPLE_MS = 1000
/** The histogram's resolution; its own granularity is not lag. */
const RESOLUTION_MS = 10

/**
 * Two guards on every route, attached to each route as it is registered (one `onRequest` hook
 * per route: nothing global runs on every request, and no per-request timer):
 *
 * - **Request deadline.** A request still unanswered after `deadlineMs` gets 503 + Retry-After,
 *   so a slow dependency never leaves a buyer waiting on the client's own timeout. The work
 *   itself is not cancelled: a reservation may still commit after its 503, which is why clients
 *   retry with the same Idempotency-Key (the retry then gets the committed answer). Routes opt
 *   out with `config: { deadline: false }` (the SSE stream). One sweep over the requests in
 *   flight replaces a timer per request (a setTimeout + clearTimeout on every read cost ~5% of a
 *   busy server); the Map keeps arrival order, so a sweep stops at the first request still in
 *   time, and a request is answered between `deadlineMs` and `deadlineMs` + one tick.
 * - **Load shedding.** While the sampled event-loop delay is above `maxEventLoopDelayMs`, new
 *   requests get 503 + Retry-After: 5, as @fastify/under-pressure does (which this replaces: it
 *   built a route-options object on every request, ~4% of a busy server). Shed only when the
 *   loop is truly stuck: a saturated but healthy server runs at ELU≈1 during an on-sale, and
 *   turning buyers away then would be a false rejection.
 */
export function registerGuards(app: FastifyInstance, options: GuardOptions) {
  const { deadlineMs, maxEventLoopDelayMs } = options
  const hooks: Array<(route: { config?: unknown }) => onRequestHookHandler | undefined> = []

  if (maxEventLoopDelayMs > 0) {
    const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
    histogram.enable()
    let delayMs = 0
    const sampler = setInterval(() => {
      const mean = histogram.mean / 1e6
      delayMs = Number.isFinite(mean) ? Math.max(0, mean - RESOLUTION_MS) : 0
      histogram.reset()
    }, SAMPLE_MS)
    sampler.unref()
    app.addHook('onClose', async () => {
      clearInterval(sampler)
      histogram.disable()
    })
    const shed: onRequestHookHandler = (_request, reply, done) => {
      if (delayMs <= maxEventLoopDelayMs) return done()
      sendError(
        reply,
        new ApiError(
          'SERVICE_UNAVAILABLE',
          `Server under pressure (eventLoopDelay=${Math.round(delayMs)})`,
          {},
          5,
        ),
      )
    }
    hooks.push(() => shed)
  }

  if (deadlineMs > 0) {
    const inFlight = new Map<FastifyRequest, { reply: FastifyReply; at: number }>()
    const tick = Math.max(10, Math.min(250, Math.floor(deadlineMs / 4)))
    const sweep = setInterval(() => {
      const now = performance.now()
      for (const [request, { reply, at }] of inFlight) {
        if (now - at < deadlineMs) break
        inFlight.delete(request)
        if (reply.sent) continue
        request.log.warn({ deadlineMs }, 'request deadline passed; answering 503')
        options.onDeadline?.()
        sendError(
          reply,
          new ApiError(
            'SERVICE_UNAVAILABLE',
            `No answer within ${deadlineMs} ms: a dependency is slow. Retry with the same Idempotency-Key`,
            {},
            1,
          ),
        )
      }
    }, tick)
    sweep.unref()
    app.addHook('onClose', async () => clearInterval(sweep))
    const track: onRequestHookHandler = (request, reply, done) => {
      inFlight.set(request, { reply, at: performance.now() })
      done()
    }
    hooks.push((route) =>
      (route.config as { deadline?: boolean } | undefined)?.deadline === false ? undefined : track,
    )
    // Callback-style: they run on every request, and need no promise.
    app.addHook('onResponse', (request, _reply, done) => {
      inFlight.delete(request)
      done()
    })
    app.addHook('onRequestAbort', async (request) => {
      inFlight.delete(request)
    })
  }

  app.addHook('onRoute', (route) => {
    const own = hooks.flatMap((hook) => hook(route) ?? [])
    if (own.length === 0) return
    route.onRequest = [...own, ...(route.onRequest ? [route.onRequest].flat() : [])]
  })
}
