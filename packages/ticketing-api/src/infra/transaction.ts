import type { Pool, PoolConnection } from 'mysql2/promise'

const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT'])

/** A deadlock or lock-wait timeout: the transaction rolled back and may simply run again. */
export const isRetryable = (error: unknown) => RETRYABLE.has((error as { code?: string }).code ?? '')

/**
 * The connection's server is no longer the writer: after an Aurora failover the old writer comes
 * back read-only, and connections the pool opened before it answer every write with 1290
 * (`--read-only`) or 1836 (read-only mode). Nothing was written; the connection is useless.
 */
const STALE_WRITER = new Set([1290, 1836, 1792])
export const isStaleWriter = (error: unknown) => STALE_WRITER.has((error as { errno?: number }).errno ?? 0)

/** Attempts per unit of work after a deadlock. */
const ATTEMPTS = 4
/**
 * How long work keeps retrying on stale writers: a failover leaves the endpoint on the old
 * writer for a moment after it turned read-only (Aurora: seconds), and new connections land
 * there too. Past this, the error reaches the caller (503 + Retry-After).
 */
const STALE_WRITER_BUDGET_MS = 3_000

/**
 * Runs `work` on a pooled connection. A connection whose server turned read-only is destroyed,
 * not returned, so the pool opens a new one through the writer endpoint (which now points at
 * the new writer), and the work runs again; so does work that hit a deadlock. `work` must leave
 * nothing half done when it throws (roll back its transaction).
 */
export async function withConnection<T>(pool: Pool, work: (conn: PoolConnection) => Promise<T>): Promise<T> {
  const started = Date.now()
  for (let attempt = 1; ; attempt++) {
    const conn = await pool.getConnection()
    let result: T
    try {
      result = await work(conn)
    } catch (error) {
      if (isStaleWriter(error)) {
        conn.destroy()
        if (Date.now() - started > STALE_WRITER_BUDGET_MS) throw error
        // Back off while the endpoint moves: 25, 50, 100 … 400 ms.
        await new Promise((r) => setTimeout(r, Math.min(400, 25 * 2 ** Math.min(attempt - 1, 4))))
        continue
      }
      conn.release()
      if (attempt < ATTEMPTS && isRetryable(error)) continue
      throw error
    }
    conn.release()
    return result
  }
}

/**
 * Physical connections already switched to READ COMMITTED for their whole session: the level is
 * set once per connection, not before every transaction, which saves a round trip on each group
 * commit (the hot path, run while the event row is locked).
 */
const readCommitted = new WeakSet<object>()

/**
 * How long a statement waits for a row lock (the event row) before it fails and the work runs
 * again (`isRetryable`). MySQL's default, 50 s, is ten request deadlines: a batch stuck behind
 * a lock holder that stalls keeps waiting long after its buyers got 503. Found by the fault
 * suite's writer failover: turning the old writer read-only waits for the write statements in
 * flight, one of which waited for the event row, whose holder's next statement waited for the
 * read-only switch — every write stood still until the 50 s timeout broke the circle.
 */
export const LOCK_WAIT_TIMEOUT_S = 2

export async function useReadCommitted(conn: PoolConnection): Promise<void> {
  // mysql2's promise wrapper is new on every getConnection(); `.connection` is the socket's own.
  const physical = (conn as unknown as { connection: object }).connection
  if (readCommitted.has(physical)) return
  await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED')
  await conn.query(`SET SESSION innodb_lock_wait_timeout = ${LOCK_WAIT_TIMEOUT_S}`)
  readCommitted.add(physical)
}

/**
 * Runs `work` in one READ COMMITTED transaction (each statement sees the latest commits, and
 * no gap locks), retrying deadlocks and stale writers a few times (withConnection).
 */
export async function transaction<T>(pool: Pool, work: (conn: PoolConnection) => Promise<T>): Promise<T> {
  return withConnection(pool, async (conn) => {
    try {
      await useReadCommitted(conn)
      await conn.beginTransaction()
      const result = await work(conn)
      await conn.commit()
      return result
    } catch (error) {
      await conn.rollback().catch(() => {})
      throw error
    }
  })
}
