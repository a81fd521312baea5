// The Redis adapters against their ports' contract suites, on every topology they support:
// one node and a Redis Cluster (every script's keys share a hash tag), and a quorum of
// independent nodes for what runs on seat-lock (REDIS_QUORUM_NODES).
import { createSeatLock, type SeatLock } from '@ticketing/seat-lock'
import { type RedisTopology, redisTopologies, uniquePrefix } from '@ticketing/testkit'
import type { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe } from 'vitest'
import { createMemorySalesStore } from '../../src/sales/adapters/memory/store.js'
import { createSeatLockGate } from '../../src/sales/adapters/redis/admission.js'
import { createRedisKeyClaims } from '../../src/sales/adapters/redis/key-claims.js'
import { externalClaims } from '../../src/sales/idempotency.js'
import { createRedisHoldIndex } from '../../src/seating/adapters/redis/hold-index.js'
import { createSeatLockLocker } from '../../src/seating/adapters/redis/locker.js'
import { registerAdmissionGateContract } from '../contracts/admission-gate.js'
import { registerHoldIndexContract } from '../contracts/hold-index.js'
import { registerKeyClaimsContract } from '../contracts/key-claims.js'
import { registerSeatLockerContract } from '../contracts/seat-locker.js'

const silent = { warn() {} }

describe.each(redisTopologies(['single', 'quorum3', 'cluster']))('on $name', (spec) => {
  let topology: RedisTopology
  const locks: SeatLock[] = []
  beforeAll(async () => {
    topology = await spec.start()
  })
  afterAll(async () => {
    await Promise.allSettled(locks.map((l) => l.close()))
    await topology?.teardown()
  })
  const lock = () => {
    const redis = spec.kind === 'quorum' ? (topology.clients as Redis[]) : topology.clients[0]!
    const l = createSeatLock({
      redis,
      prefix: uniquePrefix('lock'),
      maxSeatsPerHold: 100,
      maxQuantityPerHold: 100,
    })
    locks.push(l)
    return l
  }
  registerAdmissionGateContract(`seat-lock, ${spec.name}`, () => createSeatLockGate(lock()))
  registerSeatLockerContract(`seat-lock, ${spec.name}`, () => createSeatLockLocker(lock()))
  if (spec.kind === 'quorum') return
  const client = () => topology.clients[0] as Redis | Cluster
  registerHoldIndexContract(`Redis, ${spec.name}`, () => createRedisHoldIndex(client(), uniquePrefix('idx')))
  registerKeyClaimsContract(`Redis, ${spec.name}`, () => {
    const claims = createRedisKeyClaims({
      redis: client(),
      prefix: uniquePrefix('idem'),
      fallback: createMemorySalesStore().keys,
      retentionMs: 60_000,
      log: silent,
    })
    return { claims: externalClaims(claims), answer: (ref, response) => claims.answered([{ ref, response }]) }
  })
})
