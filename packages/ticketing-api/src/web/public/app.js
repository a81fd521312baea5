// The live seat-map page: plain JavaScript, no build step. It lists events; opening a seated
// event shows its seat map, kept live by Server-Sent Events. A buyer selects seats, holds them
// (a countdown shows the hold's TTL), then confirms or releases. The hold, not this map, is the
// guarantee: a seat shown free may already be taken, and the server's 409 names it.

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

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  })
  const json = await res.json().catch(() => ({ success: false, message: `HTTP ${res.status}`, error: {} }))
  return { status: res.status, ...json }
}

// ---- state of the open event ----
let current = null // { eventId, seats: Map<id, {button, state, label, row}>, source }
const selected = new Set()
let hold = null // { holdId, seats, expiresAt }
let timer = null

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
  const m = Math.floor(left / 60000)
  const s = Math.floor((left % 60000) / 1000)
  $('countdown').textContent = `Held for ${m}:${String(s).padStart(2, '0')}`
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
  current = { eventId, seats: new Map(), source: null }
  $('seating').hidden = true
  $('event-title').textContent = `Event ${eventId}`
  $('event-meta').textContent = ''
  $('seat-map').replaceChildren()
  const res = await api('GET', `/api/events/${eventId}/seats`)
  if (!res.success) {
    if (res.error?.code === 'NOT_SEATED') {
      const event = await api('GET', `/api/events/${eventId}`)
      if (event.success) {
        $('event-title').textContent = event.data.eventName
        $('event-meta').textContent =
          `General admission · ${event.data.availableSeats} of ${event.data.totalSeats} tickets available`
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
  const source = new EventSource(`/api/events/${eventId}/stream`)
  current.source = source
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
  $('main').focus()
}

function closeEvent() {
  current?.source?.close()
  current = null
  selected.clear()
  if (hold) clearHold()
  say('')
}

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
  const res = await api('POST', `/api/events/${current.eventId}/holds`, {
    seats: [...selected],
    userId: userInput.value,
  })
  if (!res.success) {
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
  const res = await api('POST', `/api/holds/${hold.holdId}/confirm`)
  if (!res.success) {
    clearHold()
    return say(res.message, true)
  }
  for (const id of res.data.seats) setState(id, 'sold')
  clearHold()
  say(`Purchased ${res.data.seats.join(', ')} — reservation ${res.data.reservationId}.`)
})

$('release').addEventListener('click', async () => {
  if (!hold) return
  const seats = hold.seats
  const res = await api('DELETE', `/api/holds/${hold.holdId}`)
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
