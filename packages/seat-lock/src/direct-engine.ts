import { randomBytes } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'
import {
  CONTENDED,
  type Engine,
  type HoldId,
  type HoldRef,
  NO_CAPACITY,
  NOT_OWNER,
  OK,
  seatsArg,
  WRONG_KEYS,
  WrongHoldKeysError,
} from './engine.js'
import {
  CapacityNotSetError,
  HoldExpiredError,
  InsufficientCapacityError,
  NotOwnerError,
  ReplicationTimeoutError,
  SeatsUnavailableError,
} from './errors.js'
import {
  acquiredHold,
  type CapacityState,
  type NodeHold,
  parseCapacityReply,
  parseHoldReply,
} from './hold.js'
import { assertOneSlot, baseKeys, type EventKeys, holdKeys } from './keys.js'
import { runScript } from './run-script.js'
import { SCRIPTS, type Script } from './scripts.js'

export interface DirectEngineOptions {
  waitForReplicas?: { replicas: number; timeoutMs: number } | undefined
}

/** Raises the typed error for a non-OK reply shared by release/extend/confirm. */
export function holdStatusError(code: number, holdId: string): Error {
  if (code === WRONG_KEYS) return new WrongHoldKeysError(holdId)
  return code === NOT_OWNER ? new NotOwnerError(holdId) : new HoldExpiredError(holdId)
}

/** A fresh id for units created by one capacity operation (same on every quorum node). */
export function unitEpoch(): string {
  return randomBytes(6).toString('base64url')
}

/** One Redis (standalone or primary) or a Redis Cluster: every step is one script call. */
export class DirectEngine implements Engine {
  readonly quorum = 1
  readonly #client: Redis | Cluster
  readonly #isCluster: boolean
  readonly #wait: DirectEngineOptions['waitForReplicas']

  constructor(client: Redis | Cluster, options: DirectEngineOptions) {
    this.#client = client
    this.#isCluster = (client as Cluster).isCluster === true
    this.#wait = options.waitForReplicas
  }

  /** Not async: on the hot path every extra async layer is a promise and a microtask more. */
  #run(script: Script, keys: string[], argv: (string | number)[]): Promise<unknown[]> {
    if (this.#isCluster) assertOneSlot(keys)
    const reply = runScript(this.#client, script, keys, argv)
    return this.#wait ? reply.then((r) => this.#waitReplicas(r)) : reply
  }

  /**
   * WAIT on the same connection right after the write: the primary answers once `replicas`
   * replicas have acknowledged everything this connection wrote so far.
   */
  async #waitReplicas(reply: unknown[]): Promise<unknown[]> {
    if (reply[0] !== OK) return reply
    const w = this.#wait!
    const acked = Number(await (this.#client as Redis).call('WAIT', w.replicas, w.timeoutMs))
    if (acked < w.replicas) throw new ReplicationTimeoutError(acked, w.replicas)
    return reply
  }

  /** A hold whose replication failed is released again, so a failover cannot resurrect it. */
  #acquire(script: Script, keys: string[], argv: (string | number)[], hold: HoldRef): Promise<unknown[]> {
    const reply = this.#run(script, keys, argv)
    if (!this.#wait) return reply
    return reply.catch(async (error: unknown) => {
      if (error instanceof ReplicationTimeoutError) {
        await runScript(this.#client, SCRIPTS.release, keys, [hold.id, '', seatsArg(hold)]).catch(() => {})
      }
      throw error
    })
  }

  async holdSeats(
    k: EventKeys,
    hold: HoldRef,
    seats: string[],
    owner: string,
    ttlMs: number,
  ): Promise<NodeHold> {
    const argv = [hold.id, owner, ttlMs, JSON.stringify(seats)]
    const reply = await this.#acquire(SCRIPTS.holdSeats, holdKeys(k, hold.rand, seats), argv, hold)
    if (reply[0] === CONTENDED) {
      throw new SeatsUnavailableError(
        k.eventId,
        reply.slice(1).map((i) => seats[Number(i) - 1]!),
      )
    }
    return acquiredHold(reply, {
      id: hold.id,
      eventId: k.eventId,
      owner,
      kind: 'seats',
      seats,
      quantity: seats.length,
    })
  }

  async holdUnits(
    k: EventKeys,
    hold: HoldRef,
    quantity: number,
    owner: string,
    ttlMs: number,
  ): Promise<NodeHold> {
    const argv = [hold.id, owner, ttlMs, quantity, 'hold', 'any']
    const reply = await this.#acquire(SCRIPTS.holdUnits, baseKeys(k, hold.rand), argv, hold)
    if (reply[0] === NO_CAPACITY) throw new CapacityNotSetError(k.eventId)
    if (reply[0] === CONTENDED) throw new InsufficientCapacityError(k.eventId, quantity, Number(reply[1]))
    return acquiredHold(reply, {
      id: hold.id,
      eventId: k.eventId,
      owner,
      kind: 'quantity',
      seats: [],
      quantity,
    })
  }

  async release(k: EventKeys, hold: HoldRef, owner: string): Promise<boolean> {
    const keys = holdKeys(k, hold.rand, hold.seats)
    const reply = await this.#run(SCRIPTS.release, keys, [hold.id, owner, seatsArg(hold)])
    if (reply[0] === NOT_OWNER || reply[0] === WRONG_KEYS) throw holdStatusError(reply[0], hold.id)
    return reply[0] === OK
  }

  async extend(k: EventKeys, hold: HoldRef, ttlMs: number, owner: string): Promise<NodeHold> {
    const keys = holdKeys(k, hold.rand, hold.seats)
    const reply = await this.#run(SCRIPTS.extend, keys, [hold.id, owner, seatsArg(hold), ttlMs])
    if (reply[0] !== OK) throw holdStatusError(Number(reply[0]), hold.id)
    return parseHoldReply(reply, hold.id, k.eventId)
  }

  async confirm(k: EventKeys, hold: HoldRef, owner: string, retentionMs: number): Promise<NodeHold> {
    const keys = holdKeys(k, hold.rand, hold.seats)
    const reply = await this.#run(SCRIPTS.confirm, keys, [hold.id, owner, seatsArg(hold), retentionMs])
    if (reply[0] !== OK) throw holdStatusError(Number(reply[0]), hold.id)
    return parseHoldReply(reply, hold.id, k.eventId)
  }

  async seatsOf(k: EventKeys, hold: HoldId): Promise<readonly string[] | null | undefined> {
    const [owner, seats] = await this.#client.hmget(k.holdPrefix + hold.rand, 'owner', 'seats')
    if (!owner) return undefined
    return seats ? (JSON.parse(seats) as string[]) : null
  }

  async get(k: EventKeys, hold: HoldId): Promise<NodeHold | null> {
    const flat = await this.#client.hgetall(k.holdPrefix + hold.rand)
    if (!flat.owner) return null
    return parseHoldReply([OK, ...Object.entries(flat).flat()], hold.id, k.eventId)
  }

  async freeSeats(k: EventKeys, seats: string[]): Promise<void> {
    await this.#run(
      SCRIPTS.freeSeats,
      seats.map((s) => k.seatPrefix + s),
      [],
    )
  }

  async capacity(k: EventKeys, op: 'set' | 'add' | 'rebuild' | 'get', n: number): Promise<CapacityState> {
    const reply = await this.#run(SCRIPTS.capacity, baseKeys(k, '-'), [op, n, unitEpoch()])
    if (reply[0] === NO_CAPACITY) throw new CapacityNotSetError(k.eventId)
    return parseCapacityReply(reply)
  }

  async removeUnits(k: EventKeys, units: number): Promise<CapacityState> {
    const argv = ['-', '', 0, units, 'remove', 'any']
    const reply = await this.#run(SCRIPTS.holdUnits, baseKeys(k, '-'), argv)
    if (reply[0] === NO_CAPACITY) throw new CapacityNotSetError(k.eventId)
    if (reply[0] === CONTENDED) throw new InsufficientCapacityError(k.eventId, units, Number(reply[1]))
    return parseCapacityReply(reply)
  }
}
