#!/usr/bin/env bash
# `make bench`: everything the benchmark needs, set up and torn down here; the measuring is
# bench/main.py. Loopback only; about five minutes. Writes bench/results/latest.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

log() { printf '\n== %s\n' "$*"; }

log "tools"
if ! command -v wrk >/dev/null; then
  apt-get update && apt-get install -y wrk
fi

log "services"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/bench.log
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
  sleep 1
done

# A database and a var/ folder of this run's own; Redis database 8 is the bench's.
DB="hub_bench_$(date +%s)_$$"
BENCH_VAR="$(mktemp -d /tmp/hub-bench.XXXXXX)"
BENCH_REDIS_DB=8
createdb -h 127.0.0.1 -U postgres "$DB"
cleanup() {
  dropdb -h 127.0.0.1 -U postgres --if-exists --force "$DB" || true
  redis-cli -h 127.0.0.1 -p 6379 -n "$BENCH_REDIS_DB" flushdb >/dev/null || true
  rm -rf "$BENCH_VAR"
}
trap cleanup EXIT
redis-cli -h 127.0.0.1 -p 6379 -n "$BENCH_REDIS_DB" flushdb >/dev/null

# Production settings, with plain HTTP on loopback: no HTTPS redirect, and the requests say
# X-Forwarded-Proto: https as a load balancer's would, so the site behaves as behind one.
# A free port of its own (other servers may be running on this machine).
PORT="${BENCH_PORT:-$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
export DJANGO_DEBUG=false
SECRET_KEY="bench-$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY
export ALLOWED_HOSTS="127.0.0.1,localhost,testserver"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export REDIS_URL="redis://127.0.0.1:6379/$BENCH_REDIS_DB"
export SITE_URL="http://127.0.0.1:$PORT"
export SECURE_SSL_REDIRECT=false
export USE_X_FORWARDED_PROTO=true
export CACHE_KEY_PREFIX=bench
export CELERY_QUEUE=bench
export HUB_VAR_DIR="$BENCH_VAR"
export EMAIL_URL="smtp://127.0.0.1:1"
export LOG_LEVEL=WARNING
export BENCH_PORT="$PORT"

log "database, static files"
$PY manage.py migrate --noinput -v 0
$PY manage.py collectstatic --noinput -v 0

$PY -m bench.main "$@"
