#!/usr/bin/env node
// The runnable service: read the env once, build the app, listen, and shut down gracefully
// (stop accepting, drain in-flight requests and batches, close pools, flush metrics).
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

async function main() {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`ticketing-api: refusing to start: ${error.message}`)
      process.exit(1)
    }
    throw error
  }
  const app = await buildApp(config)
  closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  await app.listen({ port: config.port, host: config.host })
  app.log.info({ mode: config.mode, auth: config.auth.mode }, `ticketing-api (${config.mode}) listening`)
}

main().catch((error) => {
  console.error('ticketing-api: failed to start:', error)
  process.exit(1)
})
