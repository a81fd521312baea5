// The MySQL adapters against their ports' contract suites, on a fresh database of the shared
// MariaDB, with the writer pool exactly as the service builds it (multi-statement group commits).
import { createTestDatabase, type TestDatabase } from '@ticketing/testkit'
import type { Pool } from 'mysql2/promise'
import { afterAll, beforeAll } from 'vitest'
import { runMigrations } from '../../src/infra/migrations.js'
import { createPool } from '../../src/infra/mysql.js'
import { createMysqlSalesStore } from '../../src/sales/adapters/mysql/store.js'
import { registerKeyClaimsContract } from '../contracts/key-claims.js'
import { registerSalesStoreContract } from '../contracts/sales-store.js'
import { storeKeyClaims } from '../contracts/store-key-claims.js'

let db: TestDatabase
let pool: Pool
beforeAll(async () => {
  db = await createTestDatabase(undefined, 'adapters')
  await runMigrations(db.url)
  pool = createPool(db.url, 4, true)
})
afterAll(async () => {
  await pool?.end()
  await db?.drop()
})

const store = () => createMysqlSalesStore({ writer: pool, reader: pool })
registerSalesStoreContract('MySQL', store)
registerKeyClaimsContract('MySQL store', () => storeKeyClaims(store()))
