// The waiting screen in real headless Chromium (Debian's `chromium`, driven by playwright-core)
// against the real API with its real waiting room, in embedded mode (the in-memory queue store,
// which passes the same contract suite as Redis; production shape is covered by the API tests).
// A queued on-sale with 24 seats: 23 buyers queue first (over HTTP, as the test), then Alice
// opens the page: it joins, shows her place, the estimated wait and a progress bar, and follows
// them on the event's public serving board (placing herself with the library's placeOnBoard)
// while the buyers ahead complete. Her turn opens the seat map; her hold carries the
// Admission-Token (a hold without one is refused). Bob, behind her, cannot read the board (the
// test blocks it): his page polls with his ticket, and when Alice buys the last seat it shows
// "Sold out". Saves a screenshot of the waiting screen to test-artifacts/waiting-room.png
// (ignored by git); set WAITING_ROOM_SCREENSHOT=benchmarks/results/waiting-room.png to refresh
// the README's picture.
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { findOrInstallChromium } from '@ticketing/testkit'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, post, startHarness } from '../helpers.js'

const chromiumLookup = findOrInstallChromium()
const CHROMIUM = chromiumLookup.path
if (!CHROMIUM && !process.env.CI) {
  console.warn(
    `\n[waiting-room browser test] SKIPPED: ${chromiumLookup.reason}. CI=true makes this a failure.\n`,
  )
}
const ROOT = join(import.meta.dirname, '../../../..')
const SCREENSHOT = join(ROOT, process.env.WAITING_ROOM_SCREENSHOT ?? 'test-artifacts/waiting-room.png')

describe.skipIf(!CHROMIUM && !process.env.CI)('waiting room page in headless Chromium', () => {
  let h: Harness
  let browser: Browser

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error(`Chromium is required under CI: ${chromiumLookup.reason}`)
    h = await startHarness('embedded')
    await h.listen()
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
      ],
    })
  })

  afterAll(async () => {
    await browser?.close()
    await h?.close()
  })

  async function open(userId: string, eventId: number, viewport = { width: 900, height: 640 }) {
    const context = await browser.newContext({ viewport })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${h.url}/`)
    await page.getByLabel('Your buyer id').fill(userId)
    await page.getByLabel('Your buyer id').dispatchEvent('change')
    return { page, errors, go: () => page.goto(`${h.url}/#/events/${eventId}`) }
  }

  const queueUrl = (eventId: number) => `${h.url}/api/events/${eventId}/queue`

  /** Joins as `userId` over HTTP; the answer's ticket. */
  async function join(eventId: number, userId: string): Promise<string> {
    const res = await post(queueUrl(eventId), { userId })
    expect([200, 201]).toContain(res.status)
    return res.body.data.ticket
  }

  /** Polls the place until the turn comes; the admission token. */
  async function turn(eventId: number, ticket: string): Promise<string> {
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      const res = await fetch(queueUrl(eventId), { headers: { 'Queue-Ticket': ticket } })
      expect(res.status).toBe(200)
      const { data } = (await res.json()) as { data: { status: string; admissionToken: string } }
      if (data.status === 'admitted') return data.admissionToken
      await new Promise((r) => setTimeout(r, 200))
    }
    throw new Error(`no turn for ${ticket}`)
  }

  /** A queued buyer's whole turn: wait for it, hold one seat with the token, confirm. */
  async function buy(eventId: number, userId: string, ticket: string, seat: string) {
    const token = await turn(eventId, ticket)
    const held = await post(
      `${h.url}/api/events/${eventId}/holds`,
      { seats: [seat], userId },
      { 'Admission-Token': token },
    )
    expect(held.status).toBe(201)
    const confirmed = await post(
      `${h.url}/api/holds/${held.body.data.holdId}/confirm`,
      {},
      { 'Admission-Token': token },
    )
    expect(confirmed.status).toBe(201)
  }

  it('an unqueued event opens straight into its seat map, as before', async () => {
    const created = await post(`${h.url}/api/events`, {
      eventName: 'Open night',
      eventDate: '2026-12-20T20:00:00',
      seatMap: { rows: { from: 'A', to: 'B' }, seats: { from: 1, to: 4 } },
    })
    expect(created.status).toBe(201)
    const { page, errors, go } = await open('carol', created.body.data.eventId)
    const queueCalls: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/queue')) queueCalls.push(r.url())
    })
    await go()
    await page.locator('#seat-map[data-live="true"]').waitFor({ timeout: 10_000 })
    expect(await page.locator('#queue-view').isHidden()).toBe(true)
    expect(await page.locator('#turn').isHidden()).toBe(true)
    expect(queueCalls).toEqual([])
    expect(errors).toEqual([])
    await page.context().close()
  })

  it('waits with place, wait and progress; the turn opens the sale with the token; sold out behind', async () => {
    // FIFO from the start (startsAt passed): the order below is the queue's order.
    const now = Date.now()
    const created = await post(`${h.url}/api/events`, {
      eventName: 'Winter on-sale',
      eventDate: '2026-12-31T20:00:00',
      venue: 'Hall 2',
      seatMap: { rows: { from: 'A', to: 'D' }, seats: { from: 1, to: 6 } },
      queue: {
        opensAt: new Date(now - 60_000).toISOString(),
        startsAt: new Date(now - 1_000).toISOString(),
        maxActiveBuyers: 8,
        // Fast admission: the page reads the board at a quarter of the estimated wait, so a
        // short wait keeps its reads (and this test's place changes) about a second apart.
        admitPerMinute: 6000,
        turnSeconds: 300,
      },
    })
    expect(created.status).toBe(201)
    expect(created.body.data.queue).toBeTruthy()
    const eventId = created.body.data.eventId as number
    const seats = ['A', 'B', 'C', 'D'].flatMap((r) => [1, 2, 3, 4, 5, 6].map((n) => `${r}-${n}`))
    const ahead: { userId: string; ticket: string; seat: string }[] = []
    for (const [i, seat] of seats.slice(0, 23).entries()) {
      const userId = `early-${i}`
      ahead.push({ userId, ticket: await join(eventId, userId), seat })
    }

    // The first eight (maxActiveBuyers) are admitted and collect their turns: 15 wait ahead.
    await Promise.all(ahead.slice(0, 8).map((b) => turn(eventId, b.ticket)))

    // A hold without a turn is refused: the token below is what lets Alice's through.
    const refused = await post(`${h.url}/api/events/${eventId}/holds`, { seats: ['D-6'], userId: 'mallory' })
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe('QUEUE_REQUIRED')

    const alice = await open('alice', eventId)
    const tokens: (string | undefined)[] = []
    alice.page.on('request', (r) => {
      if (r.method() === 'POST' && /\/holds(\/|$)/.test(new URL(r.url()).pathname)) {
        tokens.push(r.headers()['admission-token'])
      }
    })
    await alice.go()
    const view = alice.page.locator('#queue-view')
    await alice.page
      .locator('#queue-view[data-status="waiting"][data-transport="board"]')
      .waitFor({ timeout: 10_000 })
    expect(await alice.page.locator('#seating').isHidden()).toBe(true)
    const place = async () =>
      Number((await alice.page.locator('#queue-position').textContent())?.replace(/\D/g, ''))
    await expect.poll(place, { timeout: 10_000, interval: 100 }).toBe(16)
    await expect(alice.page.locator('#queue-wait').textContent()).resolves.toMatch(/minute|min/)

    // Bob queues behind Alice with no board (blocked): his page falls back to polling.
    const bob = await open('bob', eventId, { width: 390, height: 720 })
    await bob.page.route('**/queue/board**', (route) => route.abort())
    await bob.go()
    await bob.page
      .locator('#queue-view[data-status="waiting"][data-transport="poll"]')
      .waitFor({ timeout: 10_000 })

    // The first eight buy; Alice's place goes down live and her bar fills.
    await Promise.all(ahead.slice(0, 8).map((b) => buy(eventId, b.userId, b.ticket, b.seat)))
    // Eight turns freed: eight more admitted, Alice moves up by eight (the bar is half full).
    await expect.poll(place, { timeout: 10_000, interval: 100 }).toBe(8)
    const progress = Number(await alice.page.locator('#queue-progress').getAttribute('value'))
    // From the first place the page saw (16, or more had it seen a staler state) to 8: half or more.
    expect(progress).toBeGreaterThanOrEqual(50)
    await expect(alice.page.locator('#queue-title').textContent()).resolves.toBe('You are in the queue')
    await alice.page.locator('#user-id').blur()
    mkdirSync(dirname(SCREENSHOT), { recursive: true })
    // Transitions finished: the bar as it stands, not mid-animation.
    await alice.page.screenshot({ path: SCREENSHOT, fullPage: true, animations: 'disabled' })
    expect(existsSync(SCREENSHOT)).toBe(true)

    // The rest buy: Alice's turn comes, the seat map opens, her hold carries the token.
    await Promise.all(ahead.slice(8).map((b) => buy(eventId, b.userId, b.ticket, b.seat)))
    await alice.page.locator('#seat-map[data-live="true"]').waitFor({ timeout: 15_000 })
    expect(await view.isHidden()).toBe(true)
    await expect(alice.page.locator('#turn').textContent()).resolves.toMatch(
      /^Your turn: buy within \d+:\d\d$/,
    )
    await alice.page.locator('button[data-seat="D-6"]').click()
    await alice.page.getByRole('button', { name: 'Hold seats' }).click()
    await alice.page.locator('button[data-seat="D-6"][data-state="mine"]').waitFor({ timeout: 5000 })
    expect(tokens).toHaveLength(1)
    expect(tokens[0]).toBeTruthy()
    await alice.page.getByRole('button', { name: 'Confirm purchase' }).click()
    await alice.page.locator('button[data-seat="D-6"][data-state="sold"]').waitFor({ timeout: 5000 })
    await expect(alice.page.getByRole('status').textContent()).resolves.toMatch(/Purchased D-6/)

    // That was the last seat: Bob, still waiting, is told (by his next poll).
    const soldAt = Date.now()
    await bob.page.locator('#queue-view[data-status="sold_out"]').waitFor({ timeout: 10_000 })
    console.log(`[waiting-room page] sold out shown on a polling page after ${Date.now() - soldAt} ms`)
    await expect(bob.page.locator('#queue-title').textContent()).resolves.toBe('Sold out')
    expect(alice.errors).toEqual([])
    expect(bob.errors).toEqual([])
  })
})
