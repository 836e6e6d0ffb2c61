# Start PostgreSQL and Redis on loopback when they are down; fail naming the fix when they
# cannot be started (under CI=true that is always fatal: tests never skip a missing service).
# shellcheck shell=bash

PG_START='pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'
REDIS_START='redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log'

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

wait_for() {  # wait_for CHECK SECONDS
  local i
  for ((i = 0; i < $2 * 4; i++)); do "$1" && return 0; sleep 0.25; done
  return 1
}

ensure_service() {  # ensure_service NAME CHECK START_COMMAND
  local name=$1 check=$2 start=$3
  "$check" && return 0
  echo "==> $name is down; starting it: $start" >&2
  bash -c "$start" >&2 || true
  if ! wait_for "$check" "${ACCORD_SERVICE_WAIT:-30}"; then
    echo "ERROR: $name is not running on 127.0.0.1 and could not be started." >&2
    echo "       Start it with: $start" >&2
    [ "${CI:-}" = "true" ] && echo "       (CI=true: a missing service fails the run; nothing is skipped)" >&2
    return 1
  fi
}

ensure_services() {
  ensure_service PostgreSQL pg_up "$PG_START"
  ensure_service Redis redis_up "$REDIS_START"
}
