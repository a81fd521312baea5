import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { describe, expect, it } from 'vitest'
import {
  createTestDatabase,
  redisTopologies,
  startDelayProxy,
  startMariaDb,
  startRedis,
} from '../src/index.js'

describe('testkit', () => {
  it.each(redisTopologies())('starts and stops the $name topology', async (spec) => {
    const topology = await spec.start()
    try {
      for (const client of topology.clients) {
        await client.set('{k}:probe', '1', 'PX', 1000)
        expect(await client.get('{k}:probe')).toBe('1')
      }
    } finally {
      await topology.teardown()
    }
    for (const node of topology.nodes) expect(() => process.kill(node.process.pid, 0)).toThrow()
  })

  it('restarts a redis-server empty on the same port', async () => {
    const server = await startRedis()
    try {
      const client = server.client()
      await client.set('x', '1')
      await server.restart()
      expect(await client.get('x')).toBeNull()
    } finally {
      await server.stop()
    }
  })

  it('creates and drops an isolated database on the shared MariaDB', async () => {
    const db = await createTestDatabase()
    const conn = await mysql.createConnection(db.url)
    await conn.query('CREATE TABLE t (id INT PRIMARY KEY)')
    await conn.end()
    await db.drop()
    const admin = await mysql.createConnection(db.url.replace(`/${db.name}`, '/test'))
    const [rows] = await admin.query('SHOW DATABASES LIKE ?', [db.name])
    await admin.end()
    expect(rows).toEqual([])
  })

  it('starts a dedicated mariadbd and restarts it keeping its data', async () => {
    const server = await startMariaDb()
    try {
      let conn = await mysql.createConnection(server.url)
      await conn.query('CREATE TABLE t (id INT PRIMARY KEY)')
      await conn.query('INSERT INTO t VALUES (1)')
      await conn.end()
      await server.restart()
      conn = await mysql.createConnection(server.url)
      const [rows] = await conn.query('SELECT id FROM t')
      await conn.end()
      expect(rows).toEqual([{ id: 1 }])
    } finally {
      await server.stop()
    }
  })

  it('a delay proxy forwards, adds latency, and moves to another server (a failover endpoint)', async () => {
    const [a, b] = [await startRedis(), await startRedis()]
    const proxy = await startDelayProxy({ targetPort: a.port })
    try {
      await a.client().set('who', 'a')
      await b.client().set('who', 'b')
      const client = new Redis({ host: '127.0.0.1', port: proxy.port, maxRetriesPerRequest: 5 })
      client.on('error', () => {})
      expect(await client.get('who')).toBe('a')
      proxy.setDelay(150)
      const started = Date.now()
      await client.ping()
      expect(Date.now() - started).toBeGreaterThanOrEqual(290) // 150 ms each way
      proxy.setDelay(0)
      proxy.retarget(b.port)
      expect(await client.get('who')).toBe('b')
      client.disconnect()
    } finally {
      await proxy.close()
      await Promise.all([a.stop(), b.stop()])
    }
  })
})
