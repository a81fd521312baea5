export { type AppOptions, buildApp, serverOptions, ticketingApp } from './app.js'
export type { Composition, Ports, WrapPorts } from './compose/composition.js'
export { createMemoryPorts } from './compose/embedded.js'
export { type Config, ConfigError, loadConfig } from './config.js'
export { ApiError, type ErrorCode, ErrorCodes, toApiError } from './errors.js'
export { runMigrations } from './infra/migrations.js'
export type {
  EventRecord,
  NewEvent,
  PendingReservation,
  ReservationRecord,
} from './sales/model.js'
export type {
  Admission,
  AdmissionGate,
  EventCache,
  KeyClaims,
  KeyRecords,
  SalesPorts,
  SalesStore,
} from './sales/ports.js'
export type { SalesService } from './sales/service.js'
export type { SeatingPorts } from './seating/ports.js'
export type { SeatingService } from './seating/service.js'
