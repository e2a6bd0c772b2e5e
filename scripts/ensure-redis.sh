#!/usr/bin/env bash
# Make sure the Redis of REDIS_URL answers. If it does not and it is local, start one
# (installing redis-server with apt when it is missing and we may). Else say what to do.
set -euo pipefail
cd "$(dirname "$0")/.."

url="${REDIS_URL:-}"
if [ -z "$url" ] && [ -f .env ]; then url=$(sed -n 's/^REDIS_URL=//p' .env | tail -n 1); fi
url="${url:-redis://127.0.0.1:6379/0}"

if command -v redis-cli >/dev/null && redis-cli -u "$url" ping >/dev/null 2>&1; then
  echo "redis: $url answers"
  exit 0
fi

hostport=${url#*://}; hostport=${hostport#*@}; hostport=${hostport%%/*}
host=${hostport%%:*}; port=${hostport##*:}; [ "$port" = "$host" ] && port=6379
case "$host" in
  localhost|127.0.0.1|::1|"") ;;
  *) echo "redis: $url does not answer, and it is not local: start it, or set REDIS_URL." >&2; exit 1 ;;
esac

if ! command -v redis-server >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "redis: installing redis-server with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null; }
  elif command -v apt-get >/dev/null && command -v sudo >/dev/null; then
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null
  elif command -v brew >/dev/null; then
    brew install redis
  else
    echo "redis: no Redis at $url and redis-server is not installed." >&2
    echo "       Install Redis 7 (https://redis.io/docs/install/) or set REDIS_URL to one." >&2
    exit 1
  fi
fi

mkdir -p .run
redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
  --dir "$PWD/.run" --logfile "$PWD/.run/redis.log" --pidfile "$PWD/.run/redis.pid"
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$port" ping >/dev/null && echo "redis: started a local redis-server on port $port"
