// Every memory adapter (embedded mode) against its port's contract suite: the same suites the
// MySQL and Redis adapters pass (mysql.test.ts, redis.test.ts).
import { createMemoryGate } from '../../src/sales/adapters/memory/admission.js'
import { createMemorySalesStore } from '../../src/sales/adapters/memory/store.js'
import { createMemoryIndex } from '../../src/seating/adapters/memory/hold-index.js'
import { createMemoryLocker } from '../../src/seating/adapters/memory/locker.js'
import { registerAdmissionGateContract } from '../contracts/admission-gate.js'
import { registerHoldIndexContract } from '../contracts/hold-index.js'
import { registerKeyClaimsContract } from '../contracts/key-claims.js'
import { registerSalesStoreContract } from '../contracts/sales-store.js'
import { registerSeatLockerContract } from '../contracts/seat-locker.js'
import { storeKeyClaims } from '../contracts/store-key-claims.js'

registerSalesStoreContract('memory', createMemorySalesStore)
registerKeyClaimsContract('memory store', () => storeKeyClaims(createMemorySalesStore()))
registerAdmissionGateContract('memory', createMemoryGate)
registerSeatLockerContract('memory', createMemoryLocker)
registerHoldIndexContract('memory', createMemoryIndex)
