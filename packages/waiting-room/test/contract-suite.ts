import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import {
  createWaitingRoom,
  EventNotFoundError,
  type JoinResponse,
  placeOnBoard,
  QueueNotOpenError,
  type QueueStore,
  SoldOutError,
  type WaiterStatus,
  type WaitingRoom,
  type WaitingRoomOptions,
} from '../src/index.js'

/** What a contract run needs: a store, and how to dispose of whatever backs it. */
export interface StoreFixture {
  store: QueueStore
  teardown(): Promise<void>
}

export const SECRET = 'contract-suite-test-secret-0123456789abcdef'
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Several visitors join in order; returns their join responses in that order. */
export async function joinMany(room: WaitingRoom, eventId: string, count: number, label = 'v') {
  const out: JoinResponse[] = []
  for (let i = 0; i < count; i++) out.push(await room.join(eventId, `${label}${i}`))
  return out
}

const statusOf = (s: WaiterStatus) => s.status

/**
 * The contract every queue store passes (memory, one Redis node, Redis Cluster), exercised
 * through the public WaitingRoom API. Each `room()` is a separate instance (its own state
 * cache and signer) over the same store, as several API processes share one Redis.
 */
export function registerWaitingRoomContractSuite(name: string, factory: () => Promise<StoreFixture>) {
  describe(`waiting-room contract: ${name}`, () => {
    let fixture: StoreFixture
    const rooms: WaitingRoom[] = []
    const room = (options: Partial<WaitingRoomOptions> = {}) => {
      const r = createWaitingRoom({ store: fixture.store, secret: SECRET, stateCacheMs: 0, ...options })
      rooms.push(r)
      return r
    }
    const event = () => `ev-${randomBytes(4).toString('hex')}`

    beforeAll(async () => {
      fixture = await factory()
    })
    afterAll(async () => {
      await Promise.all(rooms.map((r) => r.close()))
      await fixture?.teardown()
    })

    it('join is idempotent per visitor and FIFO after the start; unknown or unopened events throw', async () => {
      const r = room()
      const eventId = event()
      await expect(r.join(eventId, 'a')).rejects.toBeInstanceOf(EventNotFoundError)
      await r.openEvent(eventId, { admitPerMinute: 60 })
      const [a, b, c] = await joinMany(r, eventId, 3)
      expect([a, b, c].map((j) => j!.status === 'waiting' && j!.position)).toEqual([1, 2, 3])
      const again = await r.join(eventId, 'v1')
      expect(again).toMatchObject({ created: false, status: 'waiting', position: 2 })
      expect(a!.created).toBe(true)
      expect((await r.state(eventId, { fresh: true }))!.joined).toBe(3)
      // Another instance answers the same ticket the same way, from its own cache.
      expect(await room().poll(b!.queueTicket)).toMatchObject({
        status: 'waiting',
        position: 2,
        visitorId: 'v1',
      })

      const later = event()
      const opensAt = Date.now() + 60_000
      await r.openEvent(later, { opensAt, startsAt: opensAt + 60_000 })
      const err = await r.join(later, 'a').catch((e) => e)
      expect(err).toBeInstanceOf(QueueNotOpenError)
      expect(err).toMatchObject({ code: 'E_QUEUE_NOT_OPEN', opensAt })
    })

    it('shuffles the pre-queue at the start (store and instances agree on the order), FIFO after', async () => {
      const r = room()
      const eventId = event()
      const bounds = { maxActiveBuyers: 10, admitPerMinute: 600_000 }
      await r.openEvent(eventId, { startsAt: Date.now() + 60_000, ...bounds })
      const early = await joinMany(r, eventId, 120)
      expect(early.map(statusOf)).toEqual(Array(120).fill('pre_queue'))
      // The organiser moves the start to now (settings can change until the sale starts).
      await r.openEvent(eventId, { startsAt: Date.now(), ...bounds })
      const late = await r.join(eventId, 'late')
      expect(late).toMatchObject({ status: 'waiting', position: 121 })
      const positions = await Promise.all(
        early.map(async (j) => {
          const s = await r.poll(j.queueTicket)
          return s.status === 'waiting' ? s.position : -1
        }),
      )
      expect([...positions].sort((x, y) => x - y)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1))
      // Arrival order gives no edge: rank correlation between join order and position is weak.
      const n = positions.length
      const d2 = positions.reduce((sum, p, i) => sum + (p - (i + 1)) ** 2, 0)
      const rho = 1 - (6 * d2) / (n * (n * n - 1))
      expect(Math.abs(rho)).toBeLessThan(0.4)

      await sleep(50)
      const t = await r.tick(eventId)
      expect(t!.admitted).toBe(10)
      // Exactly the visitors whose positions were 1..10 are admitted: the store's Lua shuffle and
      // the instance's JavaScript shuffle agree.
      const after = await Promise.all(early.map((j) => r.poll(j.queueTicket)))
      const admitted = early.map((_, i) => i).filter((i) => after[i]!.status === 'admitted')
      expect(admitted.map((i) => positions[i]).sort((x, y) => x! - y!)).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
      ])
      const p = await r.poll(early[positions.indexOf(11)]!.queueTicket)
      expect(p).toMatchObject({ status: 'waiting', position: 1 })
    })

    it('the serving board places every waiter where poll does, from any instance', async () => {
      const r = room()
      const other = room()
      const eventId = event()
      const bounds = { maxActiveBuyers: 5, admitPerMinute: 600_000 }
      await r.openEvent(eventId, { startsAt: Date.now() + 60_000, ...bounds })
      const early = await joinMany(r, eventId, 40)
      const before = await other.board(eventId)
      expect(before).toMatchObject({ status: 'pre_queue', preCount: null, shuffleKeys: null })
      expect(early.map((j) => placeOnBoard(before, j.index).status)).toEqual(Array(40).fill('pre_queue'))
      await r.openEvent(eventId, { startsAt: Date.now(), ...bounds })
      const late = await joinMany(r, eventId, 10, 'late')
      await sleep(50)
      expect((await r.tick(eventId))!.admitted).toBe(5)
      const board = await other.board(eventId)
      expect(board).toMatchObject({ status: 'open', preCount: 40, served: 5 })
      // The board is public: nothing in it names a visitor.
      expect(JSON.stringify(board)).not.toMatch(/v\d|late\d/)
      for (const j of [...early, ...late]) {
        const place = placeOnBoard(board, j.index)
        const polled = await r.poll(j.queueTicket)
        if (polled.status === 'admitted') expect(place.status).toBe('turn')
        else {
          expect(polled.status).toBe('waiting')
          expect(place).toMatchObject({
            status: 'waiting',
            position: polled.status === 'waiting' ? polled.position : -1,
          })
        }
      }
      // Joins after the start keep their arrival order on the board too.
      expect(late.map((j) => (placeOnBoard(board, j.index) as { position: number }).position)).toEqual(
        Array.from({ length: 10 }, (_, i) => 36 + i),
      )
      await r.markSoldOut(eventId)
      const soldOut = await other.board(eventId)
      expect(soldOut.status).toBe('sold_out')
      expect(placeOnBoard(soldOut, late[0]!.index)).toEqual({ status: 'sold_out' })
      await expect(r.board(event())).rejects.toBeInstanceOf(EventNotFoundError)
    })

    it('bounds active buyers; completing a turn frees its slot and ends the token', async () => {
      const r = room()
      const eventId = event()
      await r.openEvent(eventId, { maxActiveBuyers: 3, admitPerMinute: 600_000 })
      const joins = await joinMany(r, eventId, 8)
      await sleep(20)
      expect((await r.tick(eventId))!.admitted).toBe(3)
      expect((await r.tick(eventId))!.admitted).toBe(0)
      const polls = await Promise.all(joins.map((j) => r.poll(j.queueTicket)))
      expect(polls.map(statusOf)).toEqual(['admitted', 'admitted', 'admitted', ...Array(5).fill('waiting')])
      const first = polls[0]!
      if (first.status !== 'admitted') throw new Error('unreachable')
      // Polling again hands the same turn (same deadline), not a second one.
      const again = await r.poll(joins[0]!.queueTicket)
      expect(again).toMatchObject({ status: 'admitted', turnExpiresAt: first.turnExpiresAt })
      const claims = await r.verifyTurn(first.admissionToken, { eventId, visitorId: 'v0' })
      expect(claims).toMatchObject({ eventId, visitorId: 'v0', expiresAt: first.turnExpiresAt })

      expect(await r.complete(first.admissionToken)).toBe('completed')
      expect(await r.complete(first.admissionToken)).toBe('already')
      await expect(r.verifyTurn(first.admissionToken, { eventId, visitorId: 'v0' })).rejects.toMatchObject({
        code: 'E_TURN_NOT_HELD',
        state: 'completed',
      })
      expect(await r.poll(joins[0]!.queueTicket)).toMatchObject({ status: 'completed' })
      expect(await r.join(eventId, 'v0')).toMatchObject({ created: false, status: 'completed' })
      // Leaving after buying does not free a second place: one turn per buyer.
      expect(await r.leave(joins[0]!.queueTicket)).toBe(false)
      expect(await r.join(eventId, 'v0')).toMatchObject({ created: false, status: 'completed' })
      expect((await r.tick(eventId))!.admitted).toBe(1)
      expect(await r.poll(joins[3]!.queueTicket)).toMatchObject({ status: 'admitted' })
      expect(await r.poll(joins[4]!.queueTicket)).toMatchObject({ status: 'waiting', position: 1 })
    })

    it('admits at most admitPerMinute, spread by a token bucket', async () => {
      const r = room()
      const eventId = event()
      const started = Date.now()
      await r.openEvent(eventId, { admitPerMinute: 1200 }) // 20 per second, from the first join
      await joinMany(r, eventId, 100)
      await r.tick(eventId)
      await sleep(1000)
      await r.tick(eventId)
      const elapsed = Date.now() - started
      const state = await r.state(eventId, { fresh: true })
      expect(state!.admittedTotal).toBeGreaterThanOrEqual(15)
      expect(state!.admittedTotal).toBeLessThanOrEqual(Math.ceil((elapsed + 100) / 50))
    })

    it('stops admitting when the remaining inventory is spoken for (counter and callback)', async () => {
      const r = room()
      const eventId = event()
      await r.openEvent(eventId, { maxActiveBuyers: 100, admitPerMinute: 600_000, unitsPerBuyer: 2 })
      const joins = await joinMany(r, eventId, 10)
      await r.setRemaining(eventId, 5) // 2 buyers × 2 units; a third would be one unit short
      await sleep(20)
      expect((await r.tick(eventId))!.admitted).toBe(2)
      const waiting = await r.poll(joins[2]!.queueTicket)
      expect(waiting).toMatchObject({ status: 'waiting', position: 1, inventoryHeld: true })

      let remaining = 5
      const withCallback = room({ remaining: () => remaining })
      expect((await withCallback.tick(eventId))!.admitted).toBe(0)
      remaining = 9 // seats came back (a cancellation): two more buyers' worth
      expect((await withCallback.tick(eventId))!.admitted).toBe(2)
      expect((await r.state(eventId, { fresh: true }))!.remaining).toBe(9)
    })

    it('tells every waiter "sold out" within 2 s, on every instance, and refuses new joins', async () => {
      let remaining: number | undefined = 50
      const ticker = room({ remaining: () => remaining, tickIntervalMs: 200 })
      const pollers = [room({ stateCacheMs: 1000 }), room({ stateCacheMs: 1000 })]
      const eventId = event()
      await ticker.openEvent(eventId, { maxActiveBuyers: 1, admitPerMinute: 600_000 })
      const joins = await joinMany(ticker, eventId, 30)
      const soldOutSeen: string[] = []
      pollers[0]!.on('soldOut', (e) => soldOutSeen.push(e.eventId))
      await ticker.tick(eventId)
      for (const p of pollers)
        for (const j of joins.slice(1)) expect((await p.poll(j.queueTicket)).status).toBe('waiting')
      ticker.start()
      onTestFinished(() => ticker.close())
      remaining = 0
      const since = Date.now()
      await sleep(2000)
      for (const p of pollers) {
        const statuses = await Promise.all(joins.slice(1).map((j) => p.poll(j.queueTicket)))
        expect(statuses.every((s) => s.status === 'sold_out')).toBe(true)
      }
      expect(Date.now() - since).toBeLessThan(2600)
      expect(soldOutSeen).toEqual([eventId])
      await expect(pollers[1]!.join(eventId, 'newcomer')).rejects.toBeInstanceOf(SoldOutError)
      // Someone who already had a place learns it too, on join as on poll.
      expect(await pollers[1]!.join(eventId, 'v5')).toMatchObject({ created: false, status: 'sold_out' })
    })

    it('pauses on a bad health signal, slows on a degraded one, resumes when healthy', async () => {
      const r = room()
      const eventId = event()
      await r.openEvent(eventId, { admitPerMinute: 6000 })
      const joins = await joinMany(r, eventId, 50)
      expect(await r.reportHealth({ latencyMs: 5_000 }, [eventId])).toBe(0)
      await sleep(300)
      expect((await r.tick(eventId))!.admitted).toBe(0)
      expect(await r.poll(joins[0]!.queueTicket)).toMatchObject({
        status: 'waiting',
        paused: true,
        estimatedWaitSeconds: null,
      })
      expect(await r.reportHealth({ latencyMs: 1_250, errorRate: 0 }, [eventId])).toBeCloseTo(0.5)
      expect(await r.reportHealth({ latencyMs: 100, errorRate: 0.001 }, [eventId])).toBe(1)
      await sleep(300)
      expect((await r.tick(eventId))!.admitted).toBeGreaterThanOrEqual(20)
    })

    it('an uncollected turn lapses after claimSeconds, an unused one after turnSeconds; the slot goes on', async () => {
      const r = room()
      const eventId = event()
      await r.openEvent(eventId, {
        maxActiveBuyers: 1,
        admitPerMinute: 600_000,
        claimSeconds: 0.3,
        turnSeconds: 0.4,
      })
      const joins = await joinMany(r, eventId, 3)
      await sleep(20)
      expect((await r.tick(eventId))!.admitted).toBe(1) // v0, who never polls again
      await sleep(350)
      expect(await r.tick(eventId)).toMatchObject({ abandoned: 1, admitted: 1 })
      expect(await r.poll(joins[0]!.queueTicket)).toMatchObject({ status: 'turn_expired' })
      const turn = await r.poll(joins[1]!.queueTicket)
      if (turn.status !== 'admitted') throw new Error(`expected admitted, got ${turn.status}`)
      expect(turn.turnExpiresAt - Date.now()).toBeGreaterThan(250)
      await sleep(450)
      const err = (() => {
        try {
          r.verify(turn.admissionToken, { eventId, visitorId: 'v1' })
        } catch (e) {
          return e
        }
      })()
      expect(err).toMatchObject({ code: 'E_TOKEN_EXPIRED' })
      expect(await r.tick(eventId)).toMatchObject({ expired: 1, admitted: 1 })
      expect(await r.complete(turn.admissionToken)).toBe('not_held')
      expect(await r.poll(joins[2]!.queueTicket)).toMatchObject({ status: 'admitted' })
      const s = await r.state(eventId, { fresh: true })
      expect(s).toMatchObject({ abandonedTotal: 1, expiredTotal: 1, admittedTotal: 3 })
    })

    it('leave: a waiter is skipped, an admitted visitor frees the slot; rejoining goes to the back', async () => {
      const r = room()
      const eventId = event()
      await r.openEvent(eventId, { maxActiveBuyers: 1, admitPerMinute: 600_000 })
      const joins = await joinMany(r, eventId, 4)
      expect(await r.leave(joins[1]!.queueTicket)).toBe(true)
      expect(await r.leave(joins[1]!.queueTicket)).toBe(false)
      expect(await r.poll(joins[1]!.queueTicket)).toMatchObject({ status: 'waiting' }) // stateless until its turn
      await sleep(20)
      expect(await r.tick(eventId)).toMatchObject({ admitted: 1, waiting: 2 })
      expect(await r.poll(joins[0]!.queueTicket)).toMatchObject({ status: 'admitted' })
      expect(await r.leave(joins[0]!.queueTicket)).toBe(true)
      expect(await r.tick(eventId)).toMatchObject({ admitted: 1, waiting: 1 }) // v1 skipped: v2
      expect(await r.poll(joins[1]!.queueTicket)).toMatchObject({ status: 'left' })
      expect(await r.poll(joins[2]!.queueTicket)).toMatchObject({ status: 'admitted' })
      expect(await r.join(eventId, 'v1')).toMatchObject({ created: true, status: 'waiting', position: 2 })
    })

    it('verify: distinct codes for missing, forged, wrong event, wrong visitor and expired tokens', async () => {
      const r = room()
      const eventId = event()
      await r.openEvent(eventId, { admitPerMinute: 600_000, turnSeconds: 0.3 })
      const [j] = await joinMany(r, eventId, 1)
      await sleep(20)
      await r.tick(eventId)
      const s = await r.poll(j!.queueTicket)
      if (s.status !== 'admitted') throw new Error(`expected admitted, got ${s.status}`)
      const token = s.admissionToken
      const code = (f: () => unknown) => {
        try {
          f()
          return 'ok'
        } catch (e) {
          return (e as { code: string }).code
        }
      }
      const ok = { eventId, visitorId: 'v0' }
      expect(code(() => r.verify(token, ok))).toBe('ok')
      expect(code(() => r.verify(undefined, ok))).toBe('E_TOKEN_MISSING')
      expect(code(() => r.verify('', ok))).toBe('E_TOKEN_MISSING')
      const [head, payload, sig] = token.split('.')
      const forgedPayload = Buffer.from(
        JSON.stringify({
          ...JSON.parse(Buffer.from(payload!, 'base64url').toString()),
          visitorId: 'mallory',
        }),
      ).toString('base64url')
      expect(code(() => r.verify(`${head}.${forgedPayload}.${sig}`, { eventId, visitorId: 'mallory' }))).toBe(
        'E_TOKEN_INVALID',
      )
      expect(code(() => r.verify(`${token.slice(0, -2)}AA`, ok))).toBe('E_TOKEN_INVALID')
      expect(code(() => r.verify(j!.queueTicket, ok))).toBe('E_TOKEN_INVALID') // a queue ticket is not a pass
      const other = createWaitingRoom({
        store: fixture.store,
        secret: 'another-test-secret-of-32-bytes-or-more',
      })
      expect(code(() => other.verify(token, ok))).toBe('E_TOKEN_INVALID')
      const rotated = createWaitingRoom({
        store: fixture.store,
        secret: 'another-test-secret-of-32-bytes-or-more',
        previousSecrets: [SECRET],
      })
      expect(code(() => rotated.verify(token, ok))).toBe('ok')
      expect(code(() => r.verify(token, { eventId: 'other', visitorId: 'v0' }))).toBe('E_TOKEN_WRONG_EVENT')
      expect(code(() => r.verify(token, { eventId, visitorId: 'v9' }))).toBe('E_TOKEN_WRONG_VISITOR')
      await sleep(350)
      expect(code(() => r.verify(token, ok))).toBe('E_TOKEN_EXPIRED')
      await expect(r.poll(j!.queueTicket, { visitorId: 'v9' })).rejects.toMatchObject({
        code: 'E_TOKEN_WRONG_VISITOR',
      })
    })

    it('instances ticking at once never exceed the bounds nor admit anyone twice', async () => {
      const instances = [room(), room(), room()]
      const eventId = event()
      await instances[0]!.openEvent(eventId, { maxActiveBuyers: 25, admitPerMinute: 600_000 })
      const joins = await joinMany(instances[0]!, eventId, 60)
      await sleep(20)
      const results = await Promise.all(
        instances.flatMap((i) => Array.from({ length: 10 }, () => i.tick(eventId))),
      )
      const admitted = results.reduce((sum, t) => sum + t!.admitted, 0)
      expect(admitted).toBe(25)
      const statuses = await Promise.all(joins.map((j, k) => instances[k % 3]!.poll(j.queueTicket)))
      const tickets = statuses.flatMap((s) =>
        s.status === 'admitted' ? [instances[0]!.verify(s.admissionToken, s).ticket] : [],
      )
      expect(new Set(tickets).size).toBe(25)
      const s = await instances[1]!.state(eventId, { fresh: true })
      expect(s).toMatchObject({ admittedTotal: 25, served: 25, active: 25 })
    })

    it('an instance that stops between reading inventory and ticking leaves nothing half done', async () => {
      const eventId = event()
      const healthy = room()
      await healthy.openEvent(eventId, { maxActiveBuyers: 5, admitPerMinute: 600_000 })
      await joinMany(healthy, eventId, 10)
      // This instance hangs forever inside its tick, after its first step (an instance dying there).
      const stuck = room({ remaining: () => new Promise<number>(() => {}) })
      void stuck.tick(eventId)
      await sleep(20)
      expect((await healthy.tick(eventId))!.admitted).toBe(5)
      expect(await healthy.state(eventId, { fresh: true })).toMatchObject({
        served: 5,
        active: 5,
        admittedTotal: 5,
      })
    })

    it('emits metrics: ticks with queue length and admissions, wait times, completions', async () => {
      const r = room()
      const eventId = event()
      await r.openEvent(eventId, { maxActiveBuyers: 2, admitPerMinute: 600_000 })
      const joins = await joinMany(r, eventId, 5)
      const ticks: unknown[] = []
      const waits: number[] = []
      const completed: string[] = []
      r.on('tick', (t) => ticks.push(t))
      r.on('admitted', (a) => waits.push(a.waitMs))
      r.on('completed', (c) => completed.push(c.visitorId))
      await sleep(30)
      await r.tick(eventId)
      expect(ticks).toEqual([
        expect.objectContaining({
          eventId,
          admitted: 2,
          activeBuyers: 2,
          queueLength: 3,
          abandoned: 0,
          soldOut: false,
        }),
      ])
      const s = await r.poll(joins[0]!.queueTicket)
      await r.poll(joins[0]!.queueTicket)
      expect(waits).toHaveLength(1)
      expect(waits[0]).toBeGreaterThanOrEqual(25)
      if (s.status === 'admitted') await r.complete(s.admissionToken)
      expect(completed).toEqual(['v0'])
    })
  })
}
