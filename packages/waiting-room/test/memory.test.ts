import { createMemoryQueueStore } from '../src/index.js'
import { registerWaitingRoomContractSuite } from './contract-suite.js'

registerWaitingRoomContractSuite('memory', async () => ({
  store: createMemoryQueueStore(),
  teardown: async () => {},
}))
