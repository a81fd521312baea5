// Embedded mode's queues: the library's in-memory store (one process), which passes the same
// contract suite as its Redis store (packages/waiting-room/test).
export { createMemoryQueueStore } from '@ticketing/waiting-room'
