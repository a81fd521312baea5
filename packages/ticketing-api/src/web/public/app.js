// The live seat-map page: plain JavaScript, no build step. It lists events; opening a seated
// event shows its seat map, kept live by Server-Sent Events. A buyer selects seats, holds them
// (a countdown shows the hold's TTL), then confirms or releases. The hold, not this map, is the
// guarantee: a seat shown free may already be taken, and the server's 409 names it.
// An event with a queue (an on-sale behind the waiting room) opens with the waiting screen
// instead: the page joins the queue, follows its place on the event's public serving board
// (cached by the CDN; the page computes its own place), and opens the sale when the turn comes,
// sending the turn's Admission-Token with every hold and reservation.

import { placeOnBoard } from '/waiting-room-board.js'

const $ = (id) => document.getElementById(id)
const status = $('status')
const userInput = $('user-id')

/** The buyer id (persisted; AUTH_MODE=none — with JWT auth a token would go here). */
const stored = localStorage.getItem('ticketing.userId')
userInput.value = stored || `guest-${Math.random().toString(36).slice(2, 8)}`
localStorage.setItem('ticketing.userId', userInput.value)
userInput.addEventListener('change', () => {
  if (userInput.checkValidity()) localStorage.setItem('ticketing.userId', userInput.value)
})
$('who').addEventListener('submit', (e) => e.preventDefault())

function say(message, isError = false) {
  status.textContent = message
  status.classList.toggle('error', isError)
}

async function api(method, path, body, headers = {}) {
  const res = await fetch(path, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  })
  if (res.status === 204) return { status: 204, success: true }
  const json = await res.json().catch(() => ({ success: false, message: `HTTP ${res.status}`, error: {} }))
  return { status: res.status, ...json }
}

/** The turn's token on every call that sells, while the buyer holds a turn. */
function admission() {
  return current?.admission ? { 'Admission-Token': current.admission.token } : {}
}

/** m:ss of a duration in ms. */
function clock(ms) {
  const left = Math.max(0, ms)
  return `${Math.floor(left / 60000)}:${String(Math.floor((left % 60000) / 1000)).padStart(2, '0')}`
}

function timeOf(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
}

// ---- state of the open event ----
// { eventId, event, seats: Map<id, {button, state, label, row}>, source, queue?, admission? }
let current = null
const selected = new Set()
let hold = null // { holdId, seats, expiresAt }
let timer = null
let turnTimer = null // the turn's countdown, while the buyer holds a turn

function describe(seat, state) {
  const mine = hold?.seats.includes(seat.id)
  const what = mine ? 'held by you' : selected.has(seat.id) ? 'selected' : state
  return `Row ${seat.row}, seat ${seat.label}, ${what}`
}

function paint(id) {
  const seat = current?.seats.get(id)
  if (!seat) return
  const b = seat.button
  const mine = hold?.seats.includes(id) && seat.state === 'held'
  b.className = `seat ${mine ? 'mine' : seat.state}`
  b.dataset.state = mine ? 'mine' : seat.state
  b.setAttribute('aria-pressed', String(selected.has(id)))
  // aria-disabled keeps unavailable seats focusable, so keyboard users still hear their state.
  b.setAttribute('aria-disabled', String(seat.state !== 'available' || hold !== null))
  b.setAttribute('aria-label', describe(seat, seat.state))
}

function setState(id, state) {
  const seat = current?.seats.get(id)
  if (!seat) return
  seat.state = state
  if (state !== 'available' && selected.has(id) && !hold?.seats.includes(id)) {
    selected.delete(id)
    say(`Seat ${id} was just taken by another buyer.`)
  }
  paint(id)
}

function renderPanel() {
  const list = hold ? hold.seats : [...selected]
  $('selection').textContent = list.length
    ? `${hold ? 'Held' : 'Selected'}: ${list.join(', ')}`
    : 'No seats selected.'
  $('hold').hidden = hold !== null
  $('hold').disabled = selected.size === 0
  $('confirm').hidden = hold === null
  $('release').hidden = hold === null
  $('countdown').hidden = hold === null
  for (const id of current?.seats.keys() ?? []) paint(id)
}

function tick() {
  if (!hold) return
  const left = Math.max(0, Date.parse(hold.expiresAt) - Date.now())
  $('countdown').textContent = `Held for ${clock(left)}`
  if (left === 0) {
    clearHold()
    say('Your hold expired; the seats went back on sale.', true)
  }
}

function clearHold() {
  hold = null
  clearInterval(timer)
  timer = null
  selected.clear()
  renderPanel()
}

function buildMap(map) {
  const root = $('seat-map')
  root.replaceChildren()
  current.seats.clear()
  for (const section of map.sections) {
    if (section.name) {
      const h = document.createElement('h3')
      h.className = 'section-name'
      h.textContent = section.name
      root.append(h)
    }
    section.rows.forEach((row, r) => {
      const line = document.createElement('div')
      line.className = 'row'
      line.setAttribute('role', 'group')
      line.setAttribute('aria-label', `${section.name ? `${section.name}, ` : ''}row ${row.name}`)
      const name = document.createElement('span')
      name.className = 'row-name'
      name.setAttribute('aria-hidden', 'true')
      name.textContent = row.name
      line.append(name)
      row.seats.forEach((seat, c) => {
        const b = document.createElement('button')
        b.type = 'button'
        b.textContent = seat.label
        b.dataset.seat = seat.id
        b.dataset.row = String(r)
        b.dataset.col = String(c)
        b.tabIndex = r === 0 && c === 0 ? 0 : -1
        line.append(b)
        current.seats.set(seat.id, { button: b, state: seat.state, label: seat.label, row: row.name })
      })
      root.append(line)
    })
  }
  for (const id of current.seats.keys()) paint(id)
}

function renderMeta() {
  if (!current?.map) return
  const map = current.map
  let available = 0
  for (const s of current.seats.values()) if (s.state === 'available') available++
  $('event-meta').textContent =
    `${available} of ${map.totalSeats} seats available · holds last ${Math.round(map.holdTtlMs / 60000)} min · up to ${map.maxSeatsPerHold} seats per hold`
}

function applySnapshot(map) {
  $('event-title').textContent = map.eventName
  current.map = map
  if (current.seats.size === 0) buildMap(map)
  else for (const s of map.sections.flatMap((x) => x.rows.flatMap((r) => r.seats))) setState(s.id, s.state)
  renderMeta()
}

async function openEvent(eventId) {
  closeEvent()
  $('events-view').hidden = true
  $('event-view').hidden = false
  const opened = { eventId, event: null, seats: new Map(), source: null }
  current = opened
  $('seating').hidden = true
  $('event-title').textContent = `Event ${eventId}`
  $('event-meta').textContent = ''
  $('seat-map').replaceChildren()
  // Both at once: the event says whether a queue guards its sale, the seat map is the sale.
  const [event, seats] = await Promise.all([
    api('GET', `/api/events/${eventId}`),
    api('GET', `/api/events/${eventId}/seats`),
  ])
  if (current !== opened) return
  opened.event = event.success ? event.data : null
  if (opened.event?.queue) {
    $('event-title').textContent = opened.event.eventName
    return enterQueue()
  }
  await showSale(seats)
  $('main').focus()
}

/** The sale itself: the live seat map, or the general-admission summary. */
async function showSale(seats) {
  const opened = current
  const res = seats ?? (await api('GET', `/api/events/${opened.eventId}/seats`))
  if (current !== opened) return
  if (!res.success) {
    if (res.error?.code === 'NOT_SEATED') {
      const event = opened.event
        ? { success: true, data: opened.event }
        : await api('GET', `/api/events/${opened.eventId}`)
      if (current !== opened) return
      if (event.success) {
        $('event-title').textContent = event.data.eventName
        $('event-meta').textContent =
          `General admission · ${event.data.availableSeats} of ${event.data.totalSeats} tickets available`
      }
      // A queued general-admission sale: the turn's holder reserves a quantity right here.
      if (opened.admission) {
        $('ga-reserve').hidden = false
        return $('ga-quantity').focus()
      }
      return say(
        'General admission: this event has no seat map; reserve a quantity with POST /api/reservations.',
      )
    }
    return say(res.message, true)
  }
  $('seating').hidden = false
  applySnapshot(res.data)
  renderPanel()
  // Live updates: every instance publishes seat changes; the snapshot on (re)connect resyncs.
  const source = new EventSource(`/api/events/${opened.eventId}/stream`)
  opened.source = source
  source.addEventListener('snapshot', (e) => {
    applySnapshot(JSON.parse(e.data))
    // Connected: from here on every change reaches this page (tests wait for this flag).
    $('seat-map').dataset.live = 'true'
  })
  source.addEventListener('error', () => {
    $('seat-map').dataset.live = 'false'
  })
  source.addEventListener('change', (e) => {
    const change = JSON.parse(e.data)
    for (const [id, state] of Object.entries(change.changes)) setState(id, state)
    renderMeta()
  })
}

function closeEvent() {
  stopFollowing()
  closeSale()
  current = null
  $('queue-view').hidden = true
  say('')
}

/** Ends the sale view (the seat map's stream, the hold, the turn's countdown); keeps the queue. */
function closeSale() {
  current?.source?.close()
  if (current) current.source = null
  selected.clear()
  if (hold) clearHold()
  clearInterval(turnTimer)
  turnTimer = null
  $('turn').hidden = true
  $('seating').hidden = true
  $('ga-reserve').hidden = true
  $('seat-map').dataset.live = 'false'
}

// ---- the waiting room of a queued event ----
// The page joins the queue (one place per buyer id: joining again returns the same place), then
// reads the event's serving board, the same public document for every waiter (a CDN answers it),
// and computes its own place with the waiting room's `placeOnBoard` and its join index. Only
// when the board says the turn has come does it poll GET …/queue with its ticket, which collects
// the turn and its admission token. A read that fails is replaced by a poll with the ticket, and
// the next read tries the board again.
const queueTexts = {
  not_open: [
    'The queue opens soon',
    (q) => `The queue opens at ${timeOf(q.opensAt)}. Keep this page open: it joins by itself.`,
  ],
  pre_queue: [
    'You are in the pre-queue',
    (q) =>
      `The sale starts at ${timeOf(q.startsAt)}. Everyone who arrives before then is given a random place at the start, so there is no need to hurry.`,
  ],
  waiting: [
    'You are in the queue',
    () => 'Keep this page open: when it is your turn, the seat map opens by itself.',
  ],
  admitted: ['It is your turn', () => 'Opening the sale…'],
  sold_out: ['Sold out', () => 'Every ticket for this event has been sold. Thank you for waiting.'],
  turn_expired: [
    'Your turn has ended',
    () =>
      'The turn ran out before a purchase, and the place went to the next buyer. You can join the queue again.',
  ],
  completed: ['Purchase complete', () => 'You have bought your tickets for this event.'],
  left: ['You left the queue', () => 'Join again to get a new place at the back of the queue.'],
  error: ['The queue is unavailable', () => 'The queue could not be reached. Try again in a moment.'],
}
const FOLLOWING = new Set(['pre_queue', 'waiting'])

/** The queue's calls: a network failure reads as an answer, so the page retries instead of stalling. */
function queueApi(method, path, body, headers) {
  return api(method, path, body, headers).catch(() => ({
    status: 0,
    success: false,
    message: 'The queue could not be reached; retrying.',
    error: {},
  }))
}

function newQueue() {
  return { ticket: null, index: null, last: null, timer: null, ticker: null, intervalMs: 5000 }
}

function enterQueue() {
  current.queue = newQueue()
  $('queue-view').hidden = false
  join()
}

async function join() {
  const opened = current
  const q = opened.queue
  clearTimeout(q.timer)
  const res = await queueApi('POST', `/api/events/${opened.eventId}/queue`, { userId: userInput.value })
  if (current !== opened) return
  if (res.success) return applyQueue(res.data)
  const code = res.error?.code
  if (code === 'QUEUE_NOT_OPEN') {
    const opensAt = res.error.opensAt ?? opened.event.queue.opensAt
    renderQueue({ status: 'not_open', opensAt })
    // Join when it opens, spread over a few seconds so the crowd does not arrive in one instant.
    const wait = Math.max(0, Date.parse(opensAt) - Date.now()) + Math.random() * 3000
    q.timer = setTimeout(join, Math.min(wait, 2 ** 31 - 1))
    return
  }
  if (code === 'SOLD_OUT') return applyQueue({ status: 'sold_out' })
  // The queue is gone (the event no longer has one): the sale is open to all.
  if (code === 'QUEUE_NOT_FOUND') {
    $('queue-view').hidden = true
    return showSale()
  }
  renderQueue({ status: 'error' })
  say(res.message, true)
  q.timer = setTimeout(join, retryAfter(res))
}

function retryAfter(res) {
  return Math.max(2, Number(res.error?.retryAfter) || 5) * 1000
}

function applyQueue(body) {
  const q = current?.queue
  if (!q) return
  if (body.ticket) q.ticket = body.ticket
  if (Number.isInteger(body.index)) q.index = body.index
  if (body.pollAfterSeconds) q.intervalMs = Math.max(1, body.pollAfterSeconds) * 1000
  const was = q.last?.status
  q.last = body
  renderQueue(body)
  if (body.status === 'admitted') return startTurn(body)
  if (FOLLOWING.has(body.status)) return follow()
  stopFollowing()
  if (body.status !== was && body.status === 'sold_out') say('Sold out: every ticket has been sold.')
}

function renderQueue(body) {
  const view = $('queue-view')
  const status = body.status
  view.hidden = false
  view.dataset.status = status
  const queue = { ...current.event?.queue, ...body }
  const [title, lead] = queueTexts[status] ?? ['Queue', () => '']
  $('queue-title').textContent = title
  $('queue-lead').textContent = lead(queue)
  const figures = view.querySelector('.queue-figures')
  const progress = $('queue-progress')
  figures.hidden = !['not_open', 'pre_queue', 'waiting'].includes(status)
  progress.hidden = figures.hidden
  $('queue-leave').hidden = !FOLLOWING.has(status)
  $('queue-rejoin').hidden = !['turn_expired', 'left', 'error'].includes(status)
  $('queue-rejoin').textContent = status === 'error' ? 'Try again' : 'Join the queue again'
  const note = $('queue-note')
  note.textContent = ''
  // The countdowns tick every second between messages.
  const q = current.queue
  clearInterval(q.ticker)
  q.ticker = null
  if (status === 'waiting') {
    const position = body.position
    $('queue-position-label').textContent = 'Your place in line'
    $('queue-position').textContent = position == null ? '—' : position.toLocaleString()
    $('queue-wait-label').textContent = 'Estimated wait'
    $('queue-wait').textContent = formatWait(body.estimatedWaitSeconds)
    // Progress from the place first seen (remembered across reloads) to the front.
    const key = `ticketing.queue.${current.eventId}.${userInput.value}`
    const first = Math.max(Number(sessionStorage.getItem(key)) || 0, position ?? 0)
    if (first) sessionStorage.setItem(key, String(first))
    progress.max = 100
    progress.value = first && position != null ? Math.round((100 * (first - position)) / first) : 0
    progress.setAttribute('aria-valuetext', position == null ? 'waiting' : `place ${position} of ${first}`)
    if (body.paused)
      note.textContent = 'Admission is paused for a moment while the sale catches up; you keep your place.'
    else if (body.inventoryHeld)
      note.textContent =
        'The tickets left are spoken for by the buyers ahead; if they do not buy, the queue moves on.'
    else note.textContent = `Updated every ${Math.max(1, Math.round(q.intervalMs / 1000))} s.`
  } else if (status === 'pre_queue' || status === 'not_open') {
    const at = status === 'pre_queue' ? queue.startsAt : queue.opensAt
    $('queue-position-label').textContent = 'Your place in line'
    $('queue-position').textContent = '—'
    if (status === 'pre_queue') note.textContent = 'Your place is drawn when the sale starts.'
    $('queue-wait-label').textContent = status === 'pre_queue' ? 'The sale starts in' : 'The queue opens in'
    const tick = () => {
      $('queue-wait').textContent = clock(Date.parse(at) - Date.now())
    }
    tick()
    q.ticker = setInterval(tick, 1000)
    // Until the draw there is no place to count from: the bar says "in progress".
    progress.removeAttribute('value')
    progress.removeAttribute('aria-valuetext')
  }
}

function formatWait(seconds) {
  if (seconds == null) return '—'
  if (seconds < 60) return 'under a minute'
  const min = Math.round(seconds / 60)
  return min < 60 ? `about ${min} min` : `about ${Math.floor(min / 60)} h ${min % 60} min`
}

/** Follows the place: the board at the interval it suggests (a poll with the ticket without an index). */
function follow() {
  const q = current.queue
  clearTimeout(q.timer)
  q.timer = setTimeout(q.index === null ? poll : readBoard, q.intervalMs)
}

/** Reads the serving board and places this waiter on it; the turn is collected by a poll. */
async function readBoard() {
  const opened = current
  const q = opened?.queue
  if (!q?.ticket) return
  q.timer = null
  const res = await queueApi('GET', `/api/events/${opened.eventId}/queue/board`)
  if (current !== opened) return
  // No board (the CDN or the route failing): this time a poll with the ticket, the board again next.
  $('queue-view').dataset.transport = res.success ? 'board' : 'poll'
  if (!res.success) return poll()
  const place = placeOnBoard(res.data, q.index)
  if (place.status === 'turn') return poll()
  if (place.status === 'sold_out') return applyQueue({ status: 'sold_out' })
  q.intervalMs = place.readAfterMs
  if (place.status === 'waiting') {
    const { position, estimatedWaitSeconds, paused } = place
    return applyQueue({ status: 'waiting', position, estimatedWaitSeconds, paused })
  }
  return applyQueue({ status: 'pre_queue', startsAt: new Date(place.startsAt).toISOString() })
}

async function poll() {
  const opened = current
  const q = opened?.queue
  if (!q?.ticket) return
  q.timer = null
  const res = await queueApi('GET', `/api/events/${opened.eventId}/queue`, undefined, {
    'Queue-Ticket': q.ticket,
  })
  if (current !== opened) return
  if (res.success) {
    if (q.index === null) $('queue-view').dataset.transport = 'poll'
    return applyQueue(res.data)
  }
  // The ticket is unknown (expired or the queue was reset): joining again finds the place.
  if (res.error?.code === 'QUEUE_NOT_FOUND') return join()
  if (res.error?.code === 'SOLD_OUT') return applyQueue({ status: 'sold_out' })
  clearTimeout(q.timer)
  q.timer = setTimeout(poll, retryAfter(res))
}

function stopFollowing() {
  const q = current?.queue
  if (!q) return
  clearTimeout(q.timer)
  clearInterval(q.ticker)
  q.timer = null
  q.ticker = null
}

/** The turn came: open the sale with the token, and count down the turn. */
async function startTurn(body) {
  const q = current.queue
  stopFollowing()
  if (!body.admissionToken) {
    // The stream announced the turn; the token comes with a read of the place (once).
    if (q.collecting) return renderQueue({ status: 'error' })
    q.collecting = true
    return poll()
  }
  current.admission = { token: body.admissionToken, expiresAt: body.expiresAt }
  $('queue-view').hidden = true
  $('turn').hidden = false
  const tickTurn = () => {
    if (!current?.admission || current.admission.done) return
    const left = Date.parse(current.admission.expiresAt) - Date.now()
    $('turn').textContent = `Your turn: buy within ${clock(left)}`
    if (left <= 0) endTurn('Your turn has ended.')
  }
  tickTurn()
  turnTimer = setInterval(tickTurn, 1000)
  say('It is your turn: choose your tickets before the countdown ends.')
  await showSale()
  $('main').focus()
}

/** A purchase used the turn: the countdown stops (the server marked the visitor completed). */
function turnUsed() {
  if (!current?.admission) return
  current.admission.done = true
  clearInterval(turnTimer)
  turnTimer = null
  $('turn').textContent = 'Your purchase used your turn.'
}

/** The turn is over (ran out, used, or refused): back to the queue to learn where we stand. */
function endTurn(message) {
  if (!current?.queue) return
  closeSale()
  current.admission = null
  current.queue.collecting = false
  say(message, true)
  join()
}

/** 403 QUEUE_REQUIRED / ADMISSION_EXPIRED: the sale needs a (new) turn. */
function refusedByQueue(res) {
  const code = res.error?.code
  if (res.status !== 403 || (code !== 'QUEUE_REQUIRED' && code !== 'ADMISSION_EXPIRED')) return false
  if (current && !current.queue) current.queue = newQueue()
  endTurn(res.message)
  return true
}

$('queue-leave').addEventListener('click', async () => {
  const q = current?.queue
  if (!q?.ticket) return
  const res = await queueApi('DELETE', `/api/events/${current.eventId}/queue`, undefined, {
    'Queue-Ticket': q.ticket,
  })
  if (!res.success) return say(res.message, true)
  stopFollowing()
  applyQueue({ status: 'left' })
  say('You left the queue.')
})

$('queue-rejoin').addEventListener('click', async () => {
  const q = current?.queue
  if (!q) return
  say('')
  // A lapsed turn keeps its answer until the place is given up: leave, then join at the back.
  if (q.last?.status === 'turn_expired' && q.ticket) {
    await queueApi('DELETE', `/api/events/${current.eventId}/queue`, undefined, { 'Queue-Ticket': q.ticket })
    if (current?.queue !== q) return
  }
  join()
})

$('ga-reserve').addEventListener('submit', async (e) => {
  e.preventDefault()
  if (!current?.admission) return
  const quantity = Number($('ga-quantity').value)
  const res = await api(
    'POST',
    '/api/reservations',
    { eventId: current.eventId, userId: userInput.value, quantity },
    admission(),
  )
  if (!res.success) return refusedByQueue(res) || say(res.message, true)
  turnUsed()
  $('ga-reserve').hidden = true
  say(`Reserved ${res.data.quantity} — reservation ${res.data.reservationId}.`)
})

async function listEvents() {
  closeEvent()
  $('events-view').hidden = false
  $('event-view').hidden = true
  const res = await api('GET', '/api/events?size=100')
  const list = $('events')
  list.replaceChildren()
  if (!res.success) return say(res.message, true)
  if (res.data.length === 0) {
    const li = document.createElement('li')
    li.textContent = 'No events yet. Create one with POST /api/events (see the README).'
    list.append(li)
  }
  for (const e of res.data) {
    const li = document.createElement('li')
    const a = document.createElement('a')
    a.href = `#/events/${e.eventId}`
    a.textContent = e.eventName
    const small = document.createElement('small')
    small.textContent = `${e.eventDate.replace('T', ' ')} · ${e.availableSeats} / ${e.totalSeats} available${e.venue ? ` · ${e.venue}` : ''}`
    a.append(small)
    li.append(a)
    list.append(li)
  }
}

// ---- seat interaction: click / Enter / Space toggle; arrow keys move between seats ----
$('seat-map').addEventListener('click', (e) => {
  const b = e.target.closest('button.seat')
  if (!b || !current || hold) return
  const id = b.dataset.seat
  const seat = current.seats.get(id)
  if (seat.state !== 'available') return say(`Seat ${id} is ${seat.state}.`)
  if (selected.has(id)) selected.delete(id)
  else selected.add(id)
  renderPanel()
})

$('seat-map').addEventListener('keydown', (e) => {
  const b = e.target.closest('button.seat')
  if (!b) return
  const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }
  const move = moves[e.key]
  if (!move) return
  e.preventDefault()
  const row = Number(b.dataset.row) + move[0]
  const col = Number(b.dataset.col) + move[1]
  const next =
    b.closest('.seat-map').querySelector(`button[data-row="${row}"][data-col="${col}"]`) ??
    (move[0] !== 0 ? b.closest('.seat-map').querySelector(`button[data-row="${row}"]:last-of-type`) : null)
  if (next) {
    b.tabIndex = -1
    next.tabIndex = 0
    next.focus()
  }
})

$('hold').addEventListener('click', async () => {
  if (!current || selected.size === 0) return
  if (!userInput.checkValidity()) return say('Enter a buyer id first.', true)
  const res = await api(
    'POST',
    `/api/events/${current.eventId}/holds`,
    { seats: [...selected], userId: userInput.value },
    admission(),
  )
  if (!res.success) {
    if (refusedByQueue(res)) return
    if (res.error?.seats) for (const id of res.error.seats) setState(id, 'held')
    renderPanel()
    return say(res.message, true)
  }
  hold = res.data
  selected.clear()
  for (const id of hold.seats) setState(id, 'held')
  timer = setInterval(tick, 250)
  tick()
  renderPanel()
  say(`Held ${hold.seats.join(', ')}. Confirm before the countdown ends.`)
  $('confirm').focus()
})

$('confirm').addEventListener('click', async () => {
  if (!hold) return
  const res = await api('POST', `/api/holds/${hold.holdId}/confirm`, undefined, admission())
  if (!res.success) {
    clearHold()
    return refusedByQueue(res) || say(res.message, true)
  }
  for (const id of res.data.seats) setState(id, 'sold')
  clearHold()
  turnUsed()
  say(`Purchased ${res.data.seats.join(', ')} — reservation ${res.data.reservationId}.`)
})

$('release').addEventListener('click', async () => {
  if (!hold) return
  const seats = hold.seats
  const res = await api('DELETE', `/api/holds/${hold.holdId}`, undefined, admission())
  clearHold()
  if (res.success) for (const id of seats) setState(id, 'available')
  say(res.success ? `Released ${seats.join(', ')}.` : res.message, !res.success)
})

function route() {
  const m = /^#\/events\/(\d+)$/.exec(location.hash)
  if (m) openEvent(Number(m[1]))
  else listEvents()
}
window.addEventListener('hashchange', route)
route()
