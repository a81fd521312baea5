#!/usr/bin/env node
// The runnable service: read the env once, build the app, listen, and shut down gracefully
// (stop accepting, drain in-flight requests and batches, close pools, flush metrics).
// WORKERS=N (production mode) runs N such processes on one port with node:cluster: Node serves
// HTTP on one core per process, and a sale's state lives in Redis and MySQL, never in a process.
import cluster from 'node:cluster'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { type Config, ConfigError, loadConfig } from './config.js'

function readConfig(): Config {
  try {
    return loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`ticketing-api: refusing to start: ${error.message}`)
      process.exit(1)
    }
    throw error
  }
}

async function serve(config: Config) {
  const app = await buildApp(config)
  closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  await app.listen({ port: config.port, host: config.host })
  app.log.info({ mode: config.mode, auth: config.auth.mode }, `ticketing-api (${config.mode}) listening`)
}

/**
 * The primary of WORKERS > 1: forks the workers, replaces one that dies, and on SIGTERM/SIGINT
 * passes the signal on and exits when every worker has drained (or after the grace period).
 */
function supervise(config: Config) {
  let stopping = false
  const fork = () => cluster.fork()
  for (let i = 0; i < config.workers; i++) fork()
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
      return
    }
    console.error(`ticketing-api: worker ${worker.process.pid} exited (${signal ?? code}); starting another`)
    setTimeout(fork, 500)
  })
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal)
    setTimeout(() => process.exit(1), config.shutdownGraceMs + 2000).unref()
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

const config = readConfig()
if (config.workers > 1 && cluster.isPrimary) {
  supervise(config)
} else {
  serve(config).catch((error) => {
    console.error('ticketing-api: failed to start:', error)
    process.exit(1)
  })
}
