import { randomBytes, randomInt } from 'node:crypto'
import type { Redis } from 'ioredis'
import { ExecutionError, Lock } from 'redlock'
import { holdStatusError, unitEpoch } from './direct-engine.js'
import {
  CONTENDED,
  type Engine,
  type HoldId,
  type HoldRef,
  NOT_OWNER,
  OK,
  seatsArg,
  WRONG_KEYS,
  WrongHoldKeysError,
} from './engine.js'
import {
  CapacityNotSetError,
  InsufficientCapacityError,
  NotOwnerError,
  QuorumFailedError,
  SeatsUnavailableError,
} from './errors.js'
import { acquiredHold, type CapacityState, type NodeHold, parseHoldReply } from './hold.js'
import { baseKeys, type EventKeys, holdKeys, newHoldId } from './keys.js'
import { anyInFlux, freeCounts, lowerMedian, medianState, pick, VIEW_SAMPLE } from './quorum-views.js'
import { type Call, createRedlock, type NodeReply, type Redlock } from './redlock-adapter.js'
import { runScript } from './run-script.js'
import { SCRIPTS, type Script } from './scripts.js'

export interface QuorumEngineOptions {
  contentionBudgetMs: number
  onQuorumFailed(operation: string, error: QuorumFailedError): void
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Redlock quorum over N >= 3 independent Redis nodes, built on the `redlock` package: redlock
 * fans each step out to every node, counts votes against the majority, and on a failed acquire
 * releases what a minority granted. It runs with retryCount 0; retries, validity, fencing and
 * error classification are ours (see README: contention is not a quorum failure).
 */
export class QuorumEngine implements Engine {
  readonly quorum: number
  readonly #nodes: Redis[]
  readonly #calls = new Map<string, Call>()
  readonly #seats: Redlock
  readonly #units: Redlock
  readonly #confirm: Redlock
  #nextValue: string | undefined
  readonly #o: QuorumEngineOptions

  constructor(nodes: Redis[], options: QuorumEngineOptions) {
    this.#nodes = nodes
    this.#o = options
    this.quorum = Math.floor(nodes.length / 2) + 1
    // redlock draws the lock value synchronously at the start of acquire(); it becomes our call id.
    const make = (acquire: Script, extend: Script) =>
      createRedlock(nodes, this.#calls, acquire, extend, () => this.#nextValue)
    this.#seats = make(SCRIPTS.holdSeats, SCRIPTS.extend)
    this.#units = make(SCRIPTS.holdUnits, SCRIPTS.extend)
    this.#confirm = make(SCRIPTS.holdUnits, SCRIPTS.confirm)
  }

  #open(argv: Array<[Script, (string | number)[]]>): { id: string; call: Call } {
    const id = randomBytes(12).toString('hex')
    const call: Call = { argv: new Map(argv.map(([s, a]) => [s.sha, a])), replies: [] }
    this.#calls.set(id, call)
    return { id, call }
  }

  /** Waits for every vote of a failed step (redlock's stats), then returns the main replies. */
  async #settle(error: unknown, call: Call, sha: string): Promise<NodeReply[]> {
    if (!(error instanceof ExecutionError)) throw error
    await Promise.allSettled(error.attempts)
    return call.replies.filter((r) => r.sha === sha)
  }

  #quorumFailed(operation: string, replies: NodeReply[], cause?: unknown): QuorumFailedError {
    const granted = replies.filter((r) => r.reply[0] === OK).length
    const e = new QuorumFailedError(granted, this.quorum, this.#nodes.length - replies.length, cause)
    this.#o.onQuorumFailed(operation, e)
    return e
  }

  /**
   * One acquire through redlock. Success: the granting nodes' replies. Failure: classified —
   * enough nodes answered but refused → contention (the caller's typed error); too few answered
   * → QuorumFailedError. Either way nothing stays granted: redlock releases on all nodes, and we
   * release again on the nodes that granted and wait for it, so no partial hold survives.
   */
  async #acquire(
    rl: Redlock,
    script: Script,
    keys: string[],
    argv: (string | number)[],
    releaseArgv: (string | number)[],
    ttlMs: number,
    onContention: (refusals: NodeReply[]) => Error,
  ): Promise<NodeReply[]> {
    const { id, call } = this.#open([
      [script, argv],
      [SCRIPTS.release, releaseArgv],
    ])
    try {
      this.#nextValue = id
      const pending = rl.acquire(keys, ttlMs)
      this.#nextValue = undefined
      try {
        await pending
        return call.replies.filter((r) => r.sha === script.sha && r.reply[0] === OK)
      } catch (error) {
        const replies = await this.#settle(error, call, script.sha)
        const granted = replies.filter((r) => r.reply[0] === OK)
        await Promise.allSettled(
          granted.map((r) => runScript(this.#nodes[r.node]!, SCRIPTS.release, keys, releaseArgv)),
        )
        if (replies.length < this.quorum) throw this.#quorumFailed(script.name, replies, error)
        throw onContention(replies.filter((r) => r.reply[0] !== OK))
      }
    } finally {
      this.#nextValue = undefined
      this.#calls.delete(id)
    }
  }

  /** Merges the granting nodes' view of a hold: highest token, earliest expiry. */
  #merge(
    replies: NodeReply[],
    hold: HoldId,
    eventId: string,
    base?: Parameters<typeof acquiredHold>[1],
  ): NodeHold {
    const holds = replies.map((r) =>
      base ? acquiredHold(r.reply, base) : parseHoldReply(r.reply, hold.id, eventId),
    )
    const first = holds[0]!
    return {
      ...first,
      token: Math.max(...holds.map((h) => h.token)),
      expiresAt: Math.min(...holds.map((h) => h.expiresAt)),
    }
  }

  async holdSeats(
    k: EventKeys,
    hold: HoldRef,
    seats: string[],
    owner: string,
    ttlMs: number,
  ): Promise<NodeHold> {
    const argv = [hold.id, owner, ttlMs, JSON.stringify(seats)]
    const granted = await this.#acquire(
      this.#seats,
      SCRIPTS.holdSeats,
      holdKeys(k, hold.rand, seats),
      argv,
      [hold.id, '', seatsArg(hold)],
      ttlMs,
      (refusals) => {
        const taken = new Set<string>()
        for (const r of refusals) for (const i of r.reply.slice(1)) taken.add(seats[Number(i) - 1]!)
        return new SeatsUnavailableError(
          k.eventId,
          seats.filter((s) => taken.has(s)),
        )
      },
    )
    const base = {
      id: hold.id,
      eventId: k.eventId,
      owner,
      kind: 'seats' as const,
      seats,
      quantity: seats.length,
    }
    return this.#fence(k, hold, this.#merge(granted, hold, k.eventId, base))
  }

  /**
   * Fencing on a quorum: the token is the highest INCR among the granting majority, then written
   * back to every node's counter (a majority must acknowledge) before the hold is returned. Any
   * later hold's majority overlaps this one, so it draws a larger token — without trusting
   * clocks. If the write-back cannot reach a majority, the hold is released and the call fails.
   */
  async #fence(k: EventKeys, hold: HoldRef, h: NodeHold): Promise<NodeHold> {
    try {
      await this.#fanOut('raiseFence', [k.fence, k.holdPrefix + hold.rand], [h.token], SCRIPTS.raiseFence)
      return h
    } catch (error) {
      await this.release(k, hold, '').catch(() => {})
      throw error
    }
  }

  /**
   * Quantity holds on a quorum. A per-node counter with majority grants is not safe (3 nodes,
   * capacity 2: grants on {1,2}, {1,3}, {2,3} = 3 units). Instead every unit has an id, the same
   * on every node; we propose `quantity` units that look free and lock them all-or-nothing
   * through redlock, so a unit is granted on a majority to at most one hold. When proposals
   * collide, we re-read and propose again (within `contentionBudgetMs`): a collision is not
   * "sold out". Sold out is declared only from complete views where no unit is free on a majority
   * and none is in flux.
   */
  async holdUnits(
    k: EventKeys,
    hold: HoldRef,
    quantity: number,
    owner: string,
    ttlMs: number,
  ): Promise<NodeHold> {
    const { granted, ref } = await this.#proposeUnits(k, hold, quantity, 'hold', owner, ttlMs)
    const base = { id: ref.id, eventId: k.eventId, owner, kind: 'quantity' as const, seats: [], quantity }
    return this.#fence(k, ref, this.#merge(granted, ref, k.eventId, base))
  }

  async removeUnits(k: EventKeys, units: number): Promise<CapacityState> {
    const removal = { id: '-', rand: '-', seats: null }
    const { granted } = await this.#proposeUnits(k, removal, units, 'remove', '', 1)
    return this.#state(k, granted)
  }

  async #proposeUnits(
    k: EventKeys,
    hold: HoldRef,
    quantity: number,
    mode: 'hold' | 'remove',
    owner: string,
    ttlMs: number,
  ): Promise<{ granted: NodeReply[]; ref: HoldRef }> {
    const deadline = Date.now() + this.#o.contentionBudgetMs
    let ref = hold
    let available = 0
    let collisions = 0
    for (;;) {
      const sample = collisions >= 3 ? 1_000_000 : Math.max(VIEW_SAMPLE, quantity * 4)
      const views = await this.#fanOut('capacityView', baseKeys(k, '-'), ['view', sample, '-'])
      const ok = views.filter((v) => v.reply[0] === OK)
      // A majority answered (#fanOut checks), but too few of them have the capacity for any
      // unit to be granted: some node lost its data. That needs capacity.rebuild, not a retry.
      if (ok.length < this.quorum) throw new CapacityNotSetError(k.eventId)
      const counts = freeCounts(ok)
      const majorityFree = [...counts].filter(([, c]) => c >= this.quorum).map(([u]) => u)
      const complete = ok.every((v) => Number(v.reply[1]) <= sample)
      available = complete ? majorityFree.length : Math.max(available, majorityFree.length)
      let candidates = majorityFree
      if (majorityFree.length < quantity) {
        if (complete) {
          const partial = [...counts].filter(([, c]) => c < this.quorum).map(([u]) => u)
          if (Date.now() >= deadline || !(await this.#inFlux(k, partial))) {
            throw new InsufficientCapacityError(k.eventId, quantity, available)
          }
          await sleep(2 + randomInt(8))
          continue
        }
        candidates = ok[randomInt(ok.length)]!.reply.slice(2).map(String)
      }
      if (candidates.length < quantity) {
        // Nothing to propose from this view (a partial sample): look again shortly.
        if (Date.now() >= deadline) throw new InsufficientCapacityError(k.eventId, quantity, available)
        collisions++
        await sleep(1 + randomInt(5))
        continue
      }
      const picked = pick(candidates, quantity)
      const argv = [ref.id, owner, ttlMs, quantity, mode, 'these', ...picked]
      try {
        const granted = await this.#acquire(
          this.#units,
          SCRIPTS.holdUnits,
          baseKeys(k, ref.rand),
          argv,
          [ref.id, '', ''],
          ttlMs,
          () => {
            return new InsufficientCapacityError(k.eventId, quantity, available)
          },
        )
        return { granted, ref }
      } catch (error) {
        if (!(error instanceof InsufficientCapacityError) || Date.now() >= deadline) throw error
        // Every attempt gets a fresh hold id. A rollback of this attempt that reaches a node late
        // (e.g. delayed by a NOSCRIPT reload) must never match, and free, a later attempt's units.
        if (mode === 'hold') ref = newHoldId(k.eventId, null)
        collisions++
        await sleep(randomInt(5))
      }
    }
  }

  /**
   * Units free on some nodes but not on a majority are either sold to a hold that won on a
   * majority (the refusing minority still lists them free: settled) or caught between competing
   * proposals that are being rolled back (in flux: worth waiting for). A unit is in flux when no
   * single hold owns it on enough nodes to have won, even counting unreachable nodes as its.
   */
  async #inFlux(k: EventKeys, units: string[]): Promise<boolean> {
    if (units.length === 0) return false
    const results = await Promise.allSettled(this.#nodes.map((c) => c.hmget(k.own, ...units)))
    const owners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    return anyInFlux(owners, units.length, this.#nodes.length - owners.length, this.quorum)
  }

  /**
   * release / extend / confirm by id: redlock's release/extend with a Lock we rebuild from the
   * id (its value is our call id), so any process can address the hold.
   */
  async #byId(
    op: 'release' | 'extend' | 'confirm',
    k: EventKeys,
    hold: HoldRef,
    argv: (string | number)[],
    ttlMs: number,
  ): Promise<{ ok: NodeReply[]; all: NodeReply[] }> {
    const script = SCRIPTS[op]
    const { id, call } = this.#open([[script, argv]])
    const rl = op === 'confirm' ? this.#confirm : this.#seats
    const lock = new Lock(rl, holdKeys(k, hold.rand, hold.seats), id, [], Number.MAX_SAFE_INTEGER)
    try {
      try {
        if (op === 'release') await rl.release(lock)
        else await rl.extend(lock, ttlMs)
        const ok = call.replies.filter((r) => r.reply[0] === OK)
        return { ok, all: call.replies }
      } catch (error) {
        const all = await this.#settle(error, call, script.sha)
        if (all.some((r) => r.reply[0] === NOT_OWNER)) throw new NotOwnerError(hold.id)
        if (all.some((r) => r.reply[0] === WRONG_KEYS)) throw new WrongHoldKeysError(hold.id)
        if (all.length < this.quorum) throw this.#quorumFailed(op, all, error)
        return { ok: [], all }
      }
    } finally {
      this.#calls.delete(id)
    }
  }

  async release(k: EventKeys, hold: HoldRef, owner: string): Promise<boolean> {
    const { ok } = await this.#byId('release', k, hold, [hold.id, owner, seatsArg(hold)], 1)
    return ok.length >= this.quorum
  }

  async extend(k: EventKeys, hold: HoldRef, ttlMs: number, owner: string): Promise<NodeHold> {
    const argv = [hold.id, owner, seatsArg(hold), ttlMs]
    const { ok, all } = await this.#byId('extend', k, hold, argv, ttlMs)
    if (ok.length < this.quorum) throw holdStatusError(firstFailure(all), hold.id)
    return this.#merge(ok, hold, k.eventId)
  }

  async confirm(k: EventKeys, hold: HoldRef, owner: string, retentionMs: number): Promise<NodeHold> {
    const argv = [hold.id, owner, seatsArg(hold), retentionMs]
    const { ok, all } = await this.#byId('confirm', k, hold, argv, 1)
    if (ok.length < this.quorum) throw holdStatusError(firstFailure(all), hold.id)
    return this.#merge(ok, hold, k.eventId)
  }

  /** Every node got the same seat list with the hold, so any node's record will do. */
  async seatsOf(k: EventKeys, hold: HoldId): Promise<readonly string[] | null | undefined> {
    const key = k.holdPrefix + hold.rand
    const results = await Promise.allSettled(this.#nodes.map((c) => c.hmget(key, 'owner', 'seats')))
    const answered: NodeReply[] = []
    for (const [node, r] of results.entries()) {
      if (r.status !== 'fulfilled') continue
      const [owner, seats] = r.value
      if (owner) return seats ? (JSON.parse(seats) as string[]) : null
      answered.push({ node, sha: '', reply: r.value })
    }
    if (answered.length < this.quorum) throw this.#quorumFailed('lookup', answered)
    return undefined
  }

  async get(k: EventKeys, hold: HoldId): Promise<NodeHold | null> {
    const results = await Promise.allSettled(this.#nodes.map((c) => c.hgetall(k.holdPrefix + hold.rand)))
    const found: NodeReply[] = []
    results.forEach((r, node) => {
      if (r.status === 'fulfilled' && r.value.owner) {
        found.push({ node, sha: '', reply: [OK, ...Object.entries(r.value).flat()] })
      }
    })
    return found.length >= this.quorum ? this.#merge(found, hold, k.eventId) : null
  }

  /** Plain fan-out for steps that are not locks (admin, views): every node, majority required. */
  async #fanOut(operation: string, keys: string[], argv: (string | number)[], script = SCRIPTS.capacity) {
    const results = await Promise.allSettled(this.#nodes.map((c) => runScript(c, script, keys, argv)))
    const replies: NodeReply[] = []
    results.forEach((r, node) => {
      if (r.status === 'fulfilled') replies.push({ node, sha: script.sha, reply: r.value })
    })
    if (replies.length < this.quorum) throw this.#quorumFailed(operation, replies)
    return replies
  }

  async freeSeats(k: EventKeys, seats: string[]): Promise<void> {
    const keys = seats.map((s) => k.seatPrefix + s)
    await this.#fanOut('freeSeats', keys, [], SCRIPTS.freeSeats)
  }

  async capacity(k: EventKeys, op: 'set' | 'add' | 'rebuild' | 'get', n: number): Promise<CapacityState> {
    // One epoch for all nodes: new units get the same ids everywhere, which is what makes
    // "free on a majority" meaningful.
    const replies = await this.#fanOut(op, baseKeys(k, '-'), [op, n, unitEpoch()])
    // A majority answered (#fanOut checks). Nodes answering {-3} lost their data (or the
    // capacity was never set): a write that does not reach a majority of nodes that have the
    // capacity failed, and needs capacity.rebuild; a read is null only when a majority say "not
    // set", and otherwise counts those nodes as having nothing free (see #state).
    const ok = replies.filter((r) => r.reply[0] === OK).length
    const notSet = replies.length - ok
    if (ok < this.quorum && (op !== 'get' || notSet >= this.quorum)) throw new CapacityNotSetError(k.eventId)
    return this.#state(k, replies)
  }

  /**
   * Capacity as the quorum sees it, from the nodes that answered (at least a majority), never
   * more available than a majority can grant. Per-node counters differ (a node that refused a
   * winning proposal still lists those units free; a node that lost its data has none), so
   * `available` is the number of units free on a majority of all nodes, counted from complete
   * views, where a node without the capacity lists nothing. `total` and `confirmed` are the
   * lower median of the nodes that have the capacity, and `held` is what is left, so units no
   * majority can grant count as held. Above 1,024 free units, `available` is instead the lower
   * median of the answering nodes' free counts (an estimate, exact again near sell-out).
   */
  async #state(k: EventKeys, replies: NodeReply[]): Promise<CapacityState> {
    const { total, confirmed } = medianState(replies.filter((r) => r.reply[0] === OK))
    const state = (available: number) => ({
      total,
      available,
      held: Math.max(0, total - available - confirmed),
      confirmed,
    })
    const estimate = lowerMedian(replies.map((r) => (r.reply[0] === OK ? Number(r.reply[2]) : 0)))
    if (estimate > 1_024) return state(estimate)
    const views = await this.#fanOut('capacityView', baseKeys(k, '-'), ['view', 1_024, '-'])
    const listed = views.filter((v) => v.reply[0] === OK)
    if (!listed.every((v) => Number(v.reply[1]) <= 1_024)) return state(estimate)
    return state([...freeCounts(listed).values()].filter((c) => c >= this.quorum).length)
  }
}

function firstFailure(replies: NodeReply[]): number {
  return Number(replies.find((r) => r.reply[0] !== OK && r.reply[0] !== CONTENDED)?.reply[0] ?? -2)
}
