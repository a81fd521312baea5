import { performance } from 'node:perf_hooks'
import { startMariaDb } from '@ticketing/testkit'
import { startOurs } from './contenders.js'
import { requestJson } from './load.js'
import { Client } from 'undici'
const db = await startMariaDb()
const t0 = performance.now()
const ours = await startOurs(db.url)
console.log('ours started in', Math.round(performance.now() - t0))
const ev = await requestJson(ours.origin, 'POST', '/api/events', { eventName: 'x', totalSeats: 100000, eventDate: '2027-01-01T10:00:00' })
const id = (ev.json as any).data.eventId
const c = new Client(ours.origin)
const lat: number[] = []
for (let i = 0; i < 60; i++) {
  const s = performance.now()
  const r = await c.request({ method: 'POST', path: '/api/reservations', headers: { 'content-type': 'application/json', 'idempotency-key': `k${i}` }, body: JSON.stringify({ eventId: id, userId: `u${i}`, quantity: 1 }) })
  await r.body.text()
  lat.push(Math.round(performance.now() - s))
}
console.log('sequential POST ms', lat.join(' '))
const rl: number[] = []
for (let i = 0; i < 30; i++) {
  const s = performance.now()
  const r = await c.request({ method: 'GET', path: `/api/events/${id}` })
  await r.body.text()
  rl.push(Math.round((performance.now() - s) * 10) / 10)
}
console.log('sequential GET ms', rl.join(' '))
await c.close(); await ours.stop(); await db.stop()
