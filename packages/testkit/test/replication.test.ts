import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ReplicatedMariaDb, startReplicatedMariaDb } from '../src/index.js'

describe('startReplicatedMariaDb (Aurora writer + reader, cluster endpoint)', () => {
  let cluster: ReplicatedMariaDb

  beforeAll(async () => {
    cluster = await startReplicatedMariaDb()
  })

  afterAll(async () => {
    const pids = cluster ? [cluster.writer.process.pid, cluster.reader.process.pid] : []
    await cluster?.stop()
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow()
  })

  it('replicates writes made through the endpoint; the reader refuses the app user', async () => {
    const conn = await mysql.createConnection(cluster.url)
    await conn.query('CREATE TABLE seats (id INT PRIMARY KEY, who VARCHAR(20))')
    await conn.query(`INSERT INTO seats VALUES (1, 'before')`)
    await conn.end()
    await cluster.waitInSync()
    const reader = await mysql.createConnection({
      host: '127.0.0.1',
      port: cluster.reader.port,
      user: cluster.app.user,
      password: cluster.app.password,
      database: 'test',
    })
    const [rows] = await reader.query('SELECT who FROM seats')
    expect(rows).toEqual([{ who: 'before' }])
    await expect(reader.query(`INSERT INTO seats VALUES (2, 'reader')`)).rejects.toMatchObject({
      errno: 1290,
    })
    await reader.end()
  })

  it('after failover the endpoint reaches the new writer; a pooled connection to the old one gets 1290', async () => {
    const oldWriter = cluster.writer
    const pooled = await mysql.createConnection(cluster.url)
    await pooled.query(`INSERT INTO seats VALUES (3, 'pooled')`)

    await cluster.failover()
    expect(cluster.writer).not.toBe(oldWriter)
    expect(cluster.endpoint.targetPort).toBe(cluster.writer.port)

    // The connection opened before the failover still talks to the old writer, now read-only.
    await expect(pooled.query(`INSERT INTO seats VALUES (4, 'stale')`)).rejects.toMatchObject({
      errno: 1290,
      code: 'ER_OPTION_PREVENTS_STATEMENT',
    })
    await pooled.end()

    // A new connection through the endpoint lands on the new writer, which has every write.
    const fresh = await mysql.createConnection(cluster.url)
    await fresh.query(`INSERT INTO seats VALUES (5, 'after')`)
    const [[server]] = (await fresh.query('SELECT @@port AS port, @@read_only AS ro')) as unknown as [
      Array<{ port: number; ro: number }>,
    ]
    expect(server).toEqual({ port: cluster.writer.port, ro: 0 })
    const [rows] = await fresh.query('SELECT id FROM seats ORDER BY id')
    expect(rows).toEqual([{ id: 1 }, { id: 3 }, { id: 5 }])
    await fresh.end()
  })
})
