#!/usr/bin/env bash
# HTTP throughput of the on-sale path in production mode, measured against the real stack:
# one API process (dist/server.js) on a fresh database of the local MariaDB and its own prefix
# on the local Redis, driven by autocannon (100 connections). Two scenarios:
#   1. reservations of 1 ticket on a large event (admission + group commit + confirm),
#   2. the sold-out path (admission refuses in Redis; MySQL is not touched).
# Also prints the server's CPU seconds, so that figures from a noisy machine can be normalised
# (reservations per CPU-second). Build first: npm run build -w @ticketing/ticketing-api
# Usage: SEATS=200000 DUR=10 packages/ticketing-api/scripts/bench-http.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
SEATS=${SEATS:-200000}
DUR=${DUR:-10}
PORT=${PORT:-18090}
DB=bench_api_$RANDOM
mariadb -uroot -h127.0.0.1 -e "CREATE DATABASE $DB"
export DATABASE_URL=mysql://root@127.0.0.1:3306/$DB REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
export REDIS_KEY_PREFIX=bench-$RANDOM AUTH_MODE=none RATE_LIMIT_MAX=0 LOG_LEVEL=${LOG_LEVEL:-warn} PORT
export MAX_EVENT_LOOP_DELAY_MS=0
node packages/ticketing-api/dist/server.js > /tmp/bench-api.log 2>&1 &
PID=$!
cleanup() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  mariadb -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $DB" || true
}
trap cleanup EXIT
for _ in $(seq 150); do curl -sf "localhost:$PORT/api/health" >/dev/null && break; sleep 0.2; done
B=http://127.0.0.1:$PORT
cpu() { awk '{print ($14+$15)/100}' "/proc/$PID/stat"; }
post() { curl -sf -X POST "$B$1" -H 'content-type: application/json' -d "$2" >/dev/null; }

post /api/events "{\"eventName\":\"big\",\"totalSeats\":$SEATS,\"eventDate\":\"2025-01-01T20:00:00\"}"
C0=$(cpu)
echo "== reservations: quantity 1, 100 connections, ${DUR}s, event of $SEATS seats"
npx autocannon -c 100 -d "$DUR" -m POST -H content-type=application/json \
  -b '{"eventId":1,"userId":"u","quantity":1}' "$B/api/reservations" 2>&1 | grep -E "Latency|Req/Sec|requests in"
echo "server CPU seconds: $(echo "$(cpu) - $C0" | bc)"
mariadb -uroot -h127.0.0.1 "$DB" -e "SELECT total_seats, available_seats,
  (SELECT COUNT(*) FROM reservations) AS reservation_rows FROM events WHERE id = 1"

post /api/events '{"eventName":"tiny","totalSeats":1,"eventDate":"2025-01-01T20:00:00"}'
post /api/reservations '{"eventId":2,"userId":"x","quantity":1}'
C0=$(cpu)
echo "== sold-out path: 100 connections, ${DUR}s"
npx autocannon -c 100 -d "$DUR" -m POST -H content-type=application/json \
  -b '{"eventId":2,"userId":"u","quantity":1}' "$B/api/reservations" 2>&1 | grep -E "Latency|Req/Sec|requests in|2xx"
echo "server CPU seconds: $(echo "$(cpu) - $C0" | bc)"
