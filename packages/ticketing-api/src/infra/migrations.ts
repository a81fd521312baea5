import mysql from 'mysql2/promise'
import { Umzug, type UmzugStorage } from 'umzug'
import init from './migrations/0001_init.sql?raw'
import seating from './migrations/0002_seating.sql?raw'
import idempotencyEvent from './migrations/0003_idempotency_event.sql?raw'
import eventQueue from './migrations/0004_event_queue.sql?raw'

/** Plain SQL files in src/migrations, in order. Add new files here; never edit an applied one. */
const MIGRATIONS: Array<{ name: string; sql: string }> = [
  { name: '0001_init.sql', sql: init },
  { name: '0002_seating.sql', sql: seating },
  { name: '0003_idempotency_event.sql', sql: idempotencyEvent },
  { name: '0004_event_queue.sql', sql: eventQueue },
]

const LOCK = 'ticketing_api_migrations'

interface Log {
  info(obj: unknown, msg?: string): void
}

/**
 * Applies pending migrations with umzug, recording them in `schema_migrations`. A MySQL named
 * lock (GET_LOCK) serialises concurrent starters (several instances booting at once); applying
 * twice is a no-op. Returns the names applied by this call.
 */
export async function runMigrations(databaseUrl: string, log?: Log): Promise<string[]> {
  const conn = await mysql.createConnection({ uri: databaseUrl, multipleStatements: true })
  try {
    const [[lock]] = (await conn.query('SELECT GET_LOCK(?, 60) AS got', [LOCK])) as unknown as [
      [{ got: number }],
    ]
    if (lock?.got !== 1) throw new Error('could not take the migration lock within 60 s')
    try {
      await conn.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           name VARCHAR(255) NOT NULL PRIMARY KEY,
           applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
         ) ENGINE = InnoDB`,
      )
      const storage: UmzugStorage = {
        async executed() {
          const [rows] = await conn.query('SELECT name FROM schema_migrations ORDER BY name')
          return (rows as Array<{ name: string }>).map((r) => r.name)
        },
        async logMigration({ name }) {
          await conn.query('INSERT IGNORE INTO schema_migrations (name) VALUES (?)', [name])
        },
        async unlogMigration({ name }) {
          await conn.query('DELETE FROM schema_migrations WHERE name = ?', [name])
        },
      }
      const umzug = new Umzug({
        migrations: MIGRATIONS.map((m) => ({
          name: m.name,
          up: async () => {
            await conn.query(m.sql)
          },
        })),
        storage,
        logger: undefined,
      })
      const applied = await umzug.up()
      const names = applied.map((m) => m.name)
      log?.info({ applied: names }, names.length ? 'migrations applied' : 'schema up to date')
      return names
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [LOCK]).catch(() => {})
    }
  } finally {
    await conn.end()
  }
}
