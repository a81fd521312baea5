/**
 * The on-sale benchmark's latency proxy: it must find the MySQL queries that commit (and only
 * those), across chunk boundaries, and really add the model's delays between a client and a
 * real MariaDB and Redis.
 */
import { sharedDatabaseUrl, sharedRedisUrl } from '@ticketing/testkit'
import { describe, expect, it } from 'vitest'
import { CommitSpotter } from '../onsale/latency-proxy.js'
import { calibrate, openLink } from '../onsale/network.js'

/** One client → server MySQL packet: 3-byte length, sequence id, payload. */
function packet(command: number, text: string, seq = 0): Buffer {
  const payload = Buffer.concat([Buffer.from([command]), Buffer.from(text)])
  const header = Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, seq])
  return Buffer.concat([header, payload])
}

const COM_QUERY = 0x03
const COM_STMT_PREPARE = 0x16

describe('CommitSpotter', () => {
  it('finds COMMIT in a COM_QUERY, alone or at the end of a multi-statement query', () => {
    expect(new CommitSpotter().commits(packet(COM_QUERY, 'COMMIT'))).toBe(true)
    expect(new CommitSpotter().commits(packet(COM_QUERY, 'UPDATE t SET a = 1; commit'))).toBe(true)
  })

  it('ignores other queries, other commands and words that only contain COMMIT', () => {
    const s = new CommitSpotter()
    expect(s.commits(packet(COM_QUERY, 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'))).toBe(false)
    expect(s.commits(packet(COM_QUERY, 'SELECT 1'))).toBe(false)
    expect(s.commits(packet(COM_STMT_PREPARE, 'COMMIT'))).toBe(false)
    expect(s.commits(packet(COM_QUERY, 'START TRANSACTION'))).toBe(false)
  })

  it('follows packets across chunks: a packet split in two, and two packets in one chunk', () => {
    const s = new CommitSpotter()
    const big = packet(COM_QUERY, `INSERT INTO t VALUES ${'(1),'.repeat(500)}(1)`)
    expect(s.commits(big.subarray(0, 700))).toBe(false)
    expect(s.commits(big.subarray(700))).toBe(false)
    // The next packet is read from its own header: the split did not lose the framing.
    expect(s.commits(Buffer.concat([packet(COM_QUERY, 'SELECT 2'), packet(COM_QUERY, 'COMMIT')]))).toBe(true)
    const header = packet(COM_QUERY, 'COMMIT')
    expect(s.commits(header.subarray(0, 2))).toBe(false)
    expect(s.commits(header.subarray(2))).toBe(true)
  })
})

describe('the aws link', () => {
  it('adds about the round trip to Redis and MySQL, and more to a COMMIT', async () => {
    const direct = {
      mysqlPort: Number(new URL(sharedDatabaseUrl).port || 3306),
      redisPort: Number(new URL(sharedRedisUrl).port || 6379),
    }
    const link = await openLink({ name: 'aws', rttMs: 5, commitMs: 10, flushLogAtTrxCommit: 1 }, direct)
    try {
      const m = await calibrate(link, direct)
      expect(m.proxied.redisPingMs - m.direct.redisPingMs).toBeGreaterThanOrEqual(4.5)
      expect(m.proxied.mysqlSelectMs - m.direct.mysqlSelectMs).toBeGreaterThanOrEqual(4.5)
      // BEGIN (one round trip) + COMMIT (one round trip + the commit latency): ≥ 2 × 5 + 10.
      expect(m.proxied.mysqlCommitMs - m.direct.mysqlCommitMs).toBeGreaterThanOrEqual(19)
      expect(m.proxied.mysqlSelectMs).toBeLessThan(50)
    } finally {
      await link.stop()
    }
  })
})
