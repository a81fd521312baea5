import type { RedisTopology } from '@ticketing/testkit'
import type { Cluster, Redis } from 'ioredis'
import { createSeatLock, type SeatLock, type SeatLockOptions } from '../src/index.js'

export function redisOption(topo: RedisTopology): Redis | Cluster | Redis[] {
  return topo.kind === 'quorum' ? (topo.clients as Redis[]) : topo.clients[0]!
}

export function lockOn(
  topo: RedisTopology,
  prefix: string,
  options: Partial<SeatLockOptions> = {},
): SeatLock {
  return createSeatLock({ redis: redisOption(topo), prefix, ...options })
}

/**
 * Who holds a seat according to Redis itself (not the library): the value of the seat key, and
 * on a quorum the value a majority of nodes agree on (null when no majority holds it).
 */
export async function seatHolderInRedis(
  topo: RedisTopology,
  prefix: string,
  eventId: string,
  seat: string,
): Promise<string | null> {
  const key = `{${prefix}:${eventId}}:s:${seat}`
  const values = await Promise.all(topo.clients.map((c) => c.get(key).catch(() => null)))
  if (topo.kind !== 'quorum') return values[0] ?? null
  const counts = new Map<string, number>()
  for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1)
  const quorum = Math.floor(topo.clients.length / 2) + 1
  for (const [v, c] of counts) if (c >= quorum) return v
  return null
}

/** Every seat value on every node (quorum: to prove nothing partial is left anywhere). */
export async function seatValuesOnNodes(topo: RedisTopology, prefix: string, eventId: string, seat: string) {
  const key = `{${prefix}:${eventId}}:s:${seat}`
  return Promise.all(topo.clients.map((c) => c.get(key).catch(() => 'unreachable')))
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export function seatsOf(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `S${i + 1}`)
}

/** `count` distinct random seats out of `pool`. */
export function randomSeats(pool: string[], count: number): string[] {
  const a = [...pool]
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (a.length - i))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a.slice(0, count)
}
