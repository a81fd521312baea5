import { SeatLockError } from './errors.js'

/**
 * The minimal SQL executor the fencing helper needs: mysql2's `connection.query(sql, params)`
 * (returns `[result, fields]`) and the mariadb connector's (returns `result`) both fit. Pass a
 * connection that is inside the same transaction as the write you are fencing.
 */
export interface SqlExecutor {
  query(sql: string, params?: unknown[]): Promise<unknown>
}

/** The database already accepted a write with a newer fencing token for this resource. */
export class StaleTokenError extends SeatLockError {
  readonly resource: string
  readonly token: number
  constructor(resource: string, token: number) {
    super('E_STALE_TOKEN', `fencing token ${token} for ${resource} is older than one already used`)
    this.resource = resource
    this.token = token
  }
}

/**
 * DDL of the fencing table (MySQL / MariaDB). `writes` exists so every accepted fence changes
 * the row: the UPDATE then reports 1 affected row whether or not the driver sets
 * CLIENT_FOUND_ROWS, and 0 only when the token is stale.
 */
export const FENCING_TABLE_SQL = `CREATE TABLE IF NOT EXISTS fencing_tokens (
  resource VARCHAR(191) NOT NULL PRIMARY KEY,
  token BIGINT NOT NULL,
  writes BIGINT NOT NULL DEFAULT 0
)`

/** Creates the resource's row once (token 0), so the conditional UPDATE always has a row to lock. */
export const FENCE_INSERT_SQL = 'INSERT IGNORE INTO fencing_tokens (resource, token) VALUES (?, 0)'

/**
 * Accepts `token` if no newer token was used for the resource, and records it. Holds the row
 * lock until the transaction ends, so a stale holder cannot slip a write in between.
 */
export const FENCE_UPDATE_SQL =
  'UPDATE fencing_tokens SET token = ?, writes = writes + 1 WHERE resource = ? AND token <= ?'

function affectedRows(result: unknown): number {
  const r = Array.isArray(result) ? result[0] : result
  const n = (r as { affectedRows?: unknown } | undefined)?.affectedRows
  if (typeof n !== 'number' && typeof n !== 'bigint')
    throw new TypeError('executor.query did not return affectedRows')
  return Number(n)
}

/**
 * Rejects a stale fencing token inside the caller's transaction: throws StaleTokenError when
 * a write with a newer token for `resource` was already accepted. Tokens compare only within
 * one event (they come from the event's counter), so `resource` must belong to a single event,
 * e.g. `event:42` or `event:42:seat:A1`. A holder may fence several writes with the same token.
 */
export async function assertFencingToken(db: SqlExecutor, resource: string, token: number): Promise<void> {
  if (!Number.isSafeInteger(token) || token < 1) throw new TypeError(`invalid fencing token ${token}`)
  await db.query(FENCE_INSERT_SQL, [resource])
  if (affectedRows(await db.query(FENCE_UPDATE_SQL, [token, resource, token])) !== 1) {
    throw new StaleTokenError(resource, token)
  }
}

/**
 * `assertFencingToken` then `write()`, on the same transaction-bound executor. The caller
 * begins and commits the transaction; a StaleTokenError means: roll back.
 */
export async function fencedWrite<T>(
  db: SqlExecutor,
  resource: string,
  token: number,
  write: () => Promise<T>,
): Promise<T> {
  await assertFencingToken(db, resource, token)
  return write()
}
