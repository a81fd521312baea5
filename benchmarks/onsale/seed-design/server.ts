/**
 * The seed's reservation service, rebuilt faithfully as the on-sale benchmark's baseline
 * (seed section 5 and its logs: "RedisLockService : Acquired lock for event:1").
 *
 * What it keeps from the seed, on purpose, because these are what the benchmark measures:
 * - one non-blocking per-event lock, `SET lock:event:<id> <uuid> NX EX 10`; a request that
 *   finds it taken is refused at once with "another user is booking" (no queueing);
 * - read event → check seats → UPDATE (the computed value, as JPA's dirty checking writes it)
 *   → INSERT, in one transaction per request, over a pool of 10 connections (HikariCP's default);
 * - the lock is released with a plain `DEL`, without checking that it is still ours (the seed's
 *   bug: a request whose lock expired deletes someone else's);
 * - GET /api/events/:id is cached in Redis for 5 minutes and the cache is invalidated BEFORE the
 *   transaction commits (the seed's bug: a concurrent read re-caches the old row).
 * - no idempotency: a resent POST is a second sale.
 *
 * Env (read here only): PORT, HOST, DATABASE_URL, REDIS_URL, KEY_PREFIX, WORKERS (processes, as
 * every contender gets; the seed's Spring Boot service is multi-threaded anyway).
 */
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { superviseWorkers } from '../workers.js'
import { SEED_SCHEMA } from './schema.js'

// WORKERS > 1: this process only supervises; the rest of this module runs in each worker.
if (superviseWorkers()) await new Promise(() => {})

const port = Number(process.env.PORT ?? 8080)
const host = process.env.HOST ?? '127.0.0.1'
const databaseUrl = process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test'
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const prefix = process.env.KEY_PREFIX ?? 'seed'

const LOCK_TTL_SECONDS = 10
const CACHE_TTL_SECONDS = 300

const pool = mysql.createPool({ uri: databaseUrl, connectionLimit: 10, dateStrings: true })
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
redis.on('error', (error) => console.error('redis', error.message))

for (const ddl of SEED_SCHEMA) await pool.query(ddl)

interface EventRow {
  event_id: number
  event_name: string
  total_seats: number
  available_seats: number
  event_date: string
}

const cacheKey = (eventId: number) => `${prefix}:event:${eventId}`
const lockKey = (eventId: number) => `${prefix}:lock:event:${eventId}`

function toEvent(row: EventRow) {
  return {
    eventId: Number(row.event_id),
    eventName: row.event_name,
    totalSeats: row.total_seats,
    availableSeats: row.available_seats,
    eventDate: row.event_date.replace(' ', 'T'),
  }
}

function failure(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { success: false, message, error: { code, ...extra } }
}

const app = Fastify({ logger: false })

app.get('/api/health', async () => ({ status: 'UP', timestamp: new Date().toISOString() }))

app.post<{ Body: { eventName: string; totalSeats: number; eventDate: string } }>(
  '/api/events',
  async (request, reply) => {
    const { eventName, totalSeats, eventDate } = request.body
    const [result] = await pool.execute<mysql.ResultSetHeader>(
      'INSERT INTO events (event_name, total_seats, available_seats, event_date) VALUES (?, ?, ?, ?)',
      [eventName, totalSeats, totalSeats, eventDate.replace('T', ' ').slice(0, 19)],
    )
    return reply.code(201).send({
      success: true,
      message: 'Event created successfully',
      data: { eventId: result.insertId, eventName, totalSeats, availableSeats: totalSeats, eventDate },
    })
  },
)

// The seed's @Cacheable read: Redis first, the database on a miss, cached for 5 minutes.
app.get<{ Params: { eventId: string } }>('/api/events/:eventId', async (request, reply) => {
  const eventId = Number(request.params.eventId)
  const cached = await redis.get(cacheKey(eventId))
  if (cached !== null) return reply.type('application/json').send(cached)
  const [rows] = await pool.execute<(EventRow & mysql.RowDataPacket)[]>(
    'SELECT event_id, event_name, total_seats, available_seats, event_date FROM events WHERE event_id = ?',
    [eventId],
  )
  const row = rows[0]
  if (!row) return reply.code(404).send(failure('EVENT_NOT_FOUND', 'Event not found'))
  const body = JSON.stringify({ success: true, message: 'OK', data: toEvent(row) })
  await redis.set(cacheKey(eventId), body, 'EX', CACHE_TTL_SECONDS)
  return reply.type('application/json').send(body)
})

app.post<{ Body: { eventId: number; userId: string; quantity: number } }>(
  '/api/reservations',
  async (request, reply) => {
    const { eventId, userId, quantity } = request.body
    const clientKey = request.headers['idempotency-key']
    const token = randomUUID()
    const acquired = await redis.set(lockKey(eventId), token, 'EX', LOCK_TTL_SECONDS, 'NX')
    if (acquired === null) {
      // The seed's answer under contention: refuse, whatever the number of seats left.
      return reply
        .code(409)
        .send(failure('LOCK_BUSY', 'Another user is booking this event. Please try again.'))
    }
    try {
      const conn = await pool.getConnection()
      try {
        await conn.beginTransaction()
        // JPA findById: a plain read, trusting the Redis lock (no FOR UPDATE, no version).
        const [rows] = await conn.execute<(EventRow & mysql.RowDataPacket)[]>(
          'SELECT event_id, total_seats, available_seats FROM events WHERE event_id = ?',
          [eventId],
        )
        const row = rows[0]
        if (!row) {
          await conn.rollback()
          return reply.code(404).send(failure('EVENT_NOT_FOUND', 'Event not found'))
        }
        if (row.available_seats < quantity) {
          await conn.rollback()
          const code = row.available_seats === 0 ? 'SOLD_OUT' : 'INSUFFICIENT_SEATS'
          return reply.code(409).send(
            failure(code, `Not enough seats: ${row.available_seats} left`, {
              availableSeats: row.available_seats,
              requested: quantity,
            }),
          )
        }
        await conn.execute('UPDATE events SET available_seats = ? WHERE event_id = ?', [
          row.available_seats - quantity,
          eventId,
        ])
        const reservationId = randomUUID()
        const reservationTime = new Date().toISOString().slice(0, 23).replace('T', ' ')
        await conn.execute(
          'INSERT INTO reservations (reservation_id, event_id, user_id, quantity, reservation_time, client_key) VALUES (?, ?, ?, ?, ?, ?)',
          [
            reservationId,
            eventId,
            userId,
            quantity,
            reservationTime,
            typeof clientKey === 'string' ? clientKey : null,
          ],
        )
        // The seed evicts the cache inside the transaction, before the commit.
        await redis.del(cacheKey(eventId))
        await conn.commit()
        return reply.code(201).send({
          success: true,
          message: 'Reservation successful',
          data: {
            reservationId,
            eventId,
            userId,
            quantity,
            reservationTime: reservationTime.replace(' ', 'T'),
          },
        })
      } catch (error) {
        await conn.rollback().catch(() => {})
        throw error
      } finally {
        conn.release()
      }
    } finally {
      // The seed's release: a plain DEL, whoever holds the lock now.
      await redis.del(lockKey(eventId))
    }
  },
)

const close = async () => {
  await app.close()
  await pool.end()
  redis.disconnect()
  process.exit(0)
}
process.once('SIGTERM', close)
process.once('SIGINT', close)

await app.listen({ port, host })
console.log(`seed-design listening on ${host}:${port}`)
