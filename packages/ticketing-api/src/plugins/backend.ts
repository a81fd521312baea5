import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { createEmbeddedBackend } from '../embedded/index.js'
import { createMetrics, type Metrics } from '../metrics/index.js'
import type { Backend } from '../ports/index.js'
import { createOnSale, type OnSale } from '../services/on-sale.js'

declare module 'fastify' {
  interface FastifyInstance {
    backend: Backend
    onSale: OnSale
    metrics: Metrics
  }
}

export interface BackendPluginOptions {
  config: Config
  /** Production composition, built by the caller from the MySQL and Redis plugins. */
  createBackend?: (app: FastifyInstance, metrics: Metrics) => Promise<Backend>
}

/**
 * Composes the ports (embedded or production), the on-sale service, metrics and the
 * reconciler; on close drains the batcher (every admitted request gets its answer), then
 * closes the backend and flushes metrics.
 */
export const backendPlugin = fp(
  async (app: FastifyInstance, { config, createBackend }: BackendPluginOptions) => {
    const metrics = createMetrics({ ...config.metrics, log: app.log })
    const backend = createBackend ? await createBackend(app, metrics) : createEmbeddedBackend()
    if (backend.mode === 'embedded') {
      app.log.warn(
        'EMBEDDED MODE: single instance, in-memory store — data is lost on exit and instances do not share state. Set DATABASE_URL and REDIS_URL for production.',
      )
    }
    const onSale = createOnSale({
      backend,
      metrics,
      log: app.log,
      holdTtlMs: config.holdTtlMs,
      maxTicketsPerUser: config.maxTicketsPerUser,
      batch: config.batch,
    })
    app.decorate('backend', backend)
    app.decorate('onSale', onSale)
    app.decorate('metrics', metrics)

    let timer: NodeJS.Timeout | undefined
    if (backend.mode === 'production') {
      // A crash between admission and commit leaves units held until their TTL; a lost Redis
      // leaves no counter. Reconcile once now and then periodically.
      const n = await onSale.reconcile()
      app.log.info({ rebuilt: n }, 'admission counters reconciled from the database')
      if (config.reconcileIntervalMs > 0) {
        timer = setInterval(() => {
          onSale.reconcile().catch((error) => app.log.warn({ err: error }, 'reconcile failed'))
        }, config.reconcileIntervalMs)
        timer.unref()
      }
    }

    app.addHook('onClose', async () => {
      if (timer) clearInterval(timer)
      await onSale.drain()
      await backend.close()
      await metrics.close()
    })
  },
  { name: 'backend' },
)
