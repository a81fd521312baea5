#!/usr/bin/env bash
# Makes sure the two services the test suite talks to are up: Redis on 127.0.0.1:6379 and
# MariaDB (MySQL protocol) on 127.0.0.1:3306 with user root, empty password, database `test`.
# Starts whichever is down, then waits until both answer. Installs the servers with apt-get
# when they are missing and we are root; otherwise says exactly what to install.
# To run the tests against servers of your own instead, point the test suite at them and skip
# this script:
#   TEST_REDIS_URL=redis://host:6379 TEST_DATABASE_URL=mysql://user:pass@host:3306/test npm test
# (REDIS_URL / DATABASE_URL are the API's own settings for `npm start`, not the tests'.)
set -euo pipefail

need_install=()
command -v redis-server >/dev/null 2>&1 || need_install+=(redis-server)
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_install+=(mariadb-server)
if [ ${#need_install[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "services: installing ${need_install[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >/dev/null
  else
    echo "services: missing ${need_install[*]}. Install them with:" >&2
    echo "  sudo apt-get install -y ${need_install[*]}" >&2
    exit 1
  fi
fi

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
mariadb_up() { mariadb-admin -uroot -h 127.0.0.1 -P 3306 --protocol=tcp ping >/dev/null 2>&1; }

if ! redis_up; then
  echo "services: starting redis-server on 127.0.0.1:6379"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
if ! mariadb_up; then
  echo "services: starting mariadbd"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi

for _ in $(seq 1 60); do
  if redis_up && mariadb_up; then
    mariadb -uroot -h 127.0.0.1 -P 3306 --protocol=tcp -e 'CREATE DATABASE IF NOT EXISTS test'
    echo "services: redis and mariadb are up (the tests use TEST_REDIS_URL / TEST_DATABASE_URL to point elsewhere)"
    exit 0
  fi
  sleep 1
done
redis_up || echo "services: redis did not answer on 127.0.0.1:6379 within 60 s" >&2
mariadb_up || echo "services: mariadb did not answer on 127.0.0.1:3306 within 60 s" >&2
exit 1
