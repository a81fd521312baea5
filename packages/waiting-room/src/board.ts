/**
 * The serving board: one public document per event from which every waiter places itself, as
 * in AWS's Virtual Waiting Room (clients poll a CDN-cached "serving counter" and compare it with
 * their own number). It is the same for every waiter, so a CDN can cache it for a second, and
 * the API instances answer about one read per second per edge, however many people wait.
 *
 * A waiter keeps the `index` it got when joining. Before the start its ticket is unknown (the
 * pre-queue's order is drawn at the start); after it, the board carries the pre-queue's size and
 * the shuffle's keys (public then: the draw is done, and a ticket follows from an index
 * anyone can read in the queue ticket anyway), so `placeOnBoard` computes the same ticket and
 * position as `WaitingRoom.poll`. When the turn comes (`status: 'turn'`) the waiter polls with
 * its queue ticket once, which collects the turn and returns the admission token.
 *
 * No Node-only import: this module is also the package's `./board` entry, for pages.
 */
import { type PollPolicy, placeInLine, preQueuePollAfter } from './poll.js'
import { createShuffler, type Shuffler } from './shuffle.js'

/** The public state of one event's queue (no visitor's data). */
export interface ServingBoard {
  eventId: string
  /** `pre_queue` before the start, `open` while admitting, `paused` by the health signal, `sold_out`. */
  status: 'pre_queue' | 'open' | 'paused' | 'sold_out'
  /** The sale's start (epoch ms). */
  startsAt: number
  /** Visitors who joined before the start; null before it. */
  preCount: number | null
  /** The pre-queue shuffle's round keys; null before the start. */
  shuffleKeys: string | null
  /** Tickets below this number have had their turn (or were skipped because they left). */
  served: number
  /** Admissions per minute the estimates assume: observed over the last minute, else configured. */
  admitPerMinute: number
  /** The suggested read intervals (ms): the room's base, its ceiling, the pre-queue's return spread. */
  pollMs: { base: number; max: number; startSpread: number }
  /** When this board was drawn (epoch ms, the instance's clock). */
  at: number
}

/** Where a waiter stands, from the board and its join index. */
export type BoardPlace =
  | { status: 'pre_queue'; startsAt: number; readAfterMs: number }
  | {
      status: 'waiting'
      /** Its place in the admission order. */
      ticket: number
      /** 1 = next. */
      position: number
      /** Position / admission rate; null when paused. */
      estimatedWaitSeconds: number | null
      paused: boolean
      readAfterMs: number
    }
  /** The turn has come (or passed): poll with the queue ticket to collect it. */
  | { status: 'turn'; ticket: number }
  | { status: 'sold_out' }

/** One shuffler per board (every waiter placed from it shares the permutation). */
const shufflers = new WeakMap<ServingBoard, Shuffler>()

/**
 * Places the waiter with join `index` on `board`. `now` and `random` (for the pre-queue's
 * jitter) are parameters for tests. The read interval follows the room's poll policy: a quarter
 * of the estimated wait, within the board's bounds; before the start, at the start plus a jitter.
 */
export function placeOnBoard(
  board: ServingBoard,
  index: number,
  now = Date.now(),
  random: () => number = Math.random,
): BoardPlace {
  if (board.status === 'sold_out') return { status: 'sold_out' }
  const policy: PollPolicy = {
    baseMs: board.pollMs.base,
    maxIntervalMs: board.pollMs.max,
    startSpreadMs: board.pollMs.startSpread,
    random,
  }
  // The ceiling is already the room's (half the claim window at most): no second bound here.
  const claimMs = 2 * board.pollMs.max
  if (board.status === 'pre_queue' || board.preCount === null || board.shuffleKeys === null) {
    return {
      status: 'pre_queue',
      startsAt: board.startsAt,
      readAfterMs: preQueuePollAfter(policy, board.startsAt - now, claimMs),
    }
  }
  let shuffler = shufflers.get(board)
  if (!shuffler) {
    shuffler = createShuffler(board.preCount, board.shuffleKeys)
    shufflers.set(board, shuffler)
  }
  const ticket = shuffler.ticket(index)
  if (ticket < board.served) return { status: 'turn', ticket }
  const paused = board.status === 'paused'
  const place = placeInLine(ticket, board.served, board.admitPerMinute, paused, policy, claimMs)
  return { status: 'waiting', ticket, ...place, paused }
}
