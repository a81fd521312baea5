export { type AppOptions, buildApp, serverOptions, ticketingApp } from './app.js'
export { type Config, ConfigError, loadConfig } from './config.js'
export { createEmbeddedBackend, createMemoryStore } from './embedded/index.js'
export { ApiError, type ErrorCode, ErrorCodes, toApiError } from './errors.js'
export type {
  Admission,
  AdmissionHold,
  Backend,
  EventCache,
  EventRecord,
  ReservationRecord,
  Store,
} from './ports/index.js'
export { runMigrations } from './production/migrations.js'
