/**
 * Counts the statements a contender sends to MariaDB during one phase, by text, from the general
 * query log of the benchmark's dedicated mariadbd (nothing else talks to it). The general log is
 * used rather than performance_schema because MariaDB 10.11 does not attribute prepared-statement
 * executions (mysql2's `execute`) to digests; the log has every Query and Execute with its SQL.
 * Its cost (one buffered line per statement) falls on every contender alike.
 */
import { readFile, rm } from 'node:fs/promises'
import mysql from 'mysql2/promise'

export interface StatementCounts {
  /** Query + Execute lines, by normalised SQL (literals replaced by ?). */
  byStatement: Map<string, number>
  total: number
}

const LINE = /^(?:\d{6}\s+\d{1,2}:\d{2}:\d{2})?\s+\d+\s+(Query|Execute)\t(.*)$/

function normalise(sql: string): string {
  return sql
    .replace(/'(?:[^'\\]|\\.)*'/g, '?')
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 160)
}

export function parseGeneralLog(text: string): StatementCounts {
  const byStatement = new Map<string, number>()
  let total = 0
  for (const line of text.split('\n')) {
    const m = LINE.exec(line)
    if (!m) continue
    const sql = normalise(m[2]!)
    // The benchmark's own log switching is not the contender's traffic.
    if (/^SET GLOBAL general_log/i.test(sql)) continue
    byStatement.set(sql, (byStatement.get(sql) ?? 0) + 1)
    total++
  }
  return { byStatement, total }
}

/** Starts and stops the general log into one file per phase. */
export class QueryLog {
  private constructor(private readonly admin: mysql.Connection) {}

  static async open(serverUrl: string): Promise<QueryLog> {
    const admin = await mysql.createConnection(serverUrl)
    await admin.query("SET GLOBAL log_output = 'FILE'")
    return new QueryLog(admin)
  }

  async start(file: string): Promise<void> {
    await rm(file, { force: true })
    await this.admin.query('SET GLOBAL general_log_file = ?', [file])
    await this.admin.query('SET GLOBAL general_log = ON')
  }

  /** Goes on logging into `file` (MariaDB closes the old file and opens the new one). */
  async rotate(file: string): Promise<void> {
    await rm(file, { force: true })
    await this.admin.query('SET GLOBAL general_log_file = ?', [file])
  }

  /** Stops logging; counts the statements of each file given (in order), and deletes them. */
  async stop(...files: string[]): Promise<StatementCounts[]> {
    await this.admin.query('SET GLOBAL general_log = OFF')
    const out: StatementCounts[] = []
    for (const file of files) {
      const text = await readFile(file, 'utf8').catch(() => '')
      out.push(parseGeneralLog(text))
      await rm(file, { force: true })
    }
    return out
  }

  async close(): Promise<void> {
    await this.admin.end()
  }
}

/** The sum of several counts. */
export function merge(...counts: StatementCounts[]): StatementCounts {
  const byStatement = new Map<string, number>()
  let total = 0
  for (const c of counts) {
    for (const [sql, n] of c.byStatement) byStatement.set(sql, (byStatement.get(sql) ?? 0) + n)
    total += c.total
  }
  return { byStatement, total }
}

/** Statements matching `isRead` vs the rest. */
export function split(
  counts: StatementCounts,
  isRead: (sql: string) => boolean,
): { read: number; other: number } {
  let read = 0
  let other = 0
  for (const [sql, n] of counts.byStatement) {
    if (isRead(sql)) read += n
    else other += n
  }
  return { read, other }
}
