import type { Pool, PoolConnection } from 'mysql2/promise'

const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT'])

/** A deadlock or lock-wait timeout: the transaction rolled back and may simply run again. */
export const isRetryable = (error: unknown) => RETRYABLE.has((error as { code?: string }).code ?? '')

/**
 * Physical connections already switched to READ COMMITTED for their whole session: the level is
 * set once per connection, not before every transaction, which saves a round trip on each group
 * commit (the hot path, run while the event row is locked).
 */
const readCommitted = new WeakSet<object>()

export async function useReadCommitted(conn: PoolConnection): Promise<void> {
  // mysql2's promise wrapper is new on every getConnection(); `.connection` is the socket's own.
  const physical = (conn as unknown as { connection: object }).connection
  if (readCommitted.has(physical)) return
  await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED')
  readCommitted.add(physical)
}

/**
 * Runs `work` in one READ COMMITTED transaction (each statement sees the latest commits, and
 * no gap locks), retrying deadlocks a few times.
 */
export async function transaction<T>(pool: Pool, work: (conn: PoolConnection) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const conn = await pool.getConnection()
    try {
      await useReadCommitted(conn)
      await conn.beginTransaction()
      const result = await work(conn)
      await conn.commit()
      return result
    } catch (error) {
      await conn.rollback().catch(() => {})
      if (attempt < 3 && isRetryable(error)) continue
      throw error
    } finally {
      conn.release()
    }
  }
}
