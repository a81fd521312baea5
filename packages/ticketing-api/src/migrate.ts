#!/usr/bin/env node
// `npm run migrate`: apply pending SQL migrations to DATABASE_URL and exit.
import { ConfigError, loadConfig } from './config.js'
import { runMigrations } from './infra/migrations.js'

async function main() {
  const config = loadConfig()
  if (!config.database) throw new ConfigError('DATABASE_URL is not set: nothing to migrate')
  const applied = await runMigrations(config.database.url, {
    info: (_obj, msg) => console.log(`migrate: ${msg}`),
  })
  for (const name of applied) console.log(`migrate: applied ${name}`)
}

main().catch((error) => {
  console.error(`migrate: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})
