// Ports of the waiting-room feature. Where queues live is @ticketing/waiting-room's own port
// (QueueStore), and its adapters are the library's: memory in embedded mode, Redis in
// production; the library's contract suite runs against both. The event's queue settings are
// part of the event's record (sales' store: a column in MySQL), so they need no port here.
import type { QueueStore } from '@ticketing/waiting-room'

/** The waiting-room ports of one composition. */
export interface QueuePorts {
  /** Tickets, turns and the admission controller's state of every queued event. */
  store: QueueStore
}
