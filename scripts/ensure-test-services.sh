#!/usr/bin/env bash
# What the test suites need besides Python packages: redis-server (each test run starts its
# own on a free port), a RabbitMQ broker on 127.0.0.1:5672 for the AMQP test and a PostgreSQL
# server on 127.0.0.1:5432 for the records tests.
set -euo pipefail

apt_install() {
  if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "cannot install $*: not root and no sudo" >&2; return 1; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null \
    || { $sudo apt-get update -q >/dev/null && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

command -v redis-server >/dev/null || apt_install redis-server
# browser tests: Playwright drives Debian's /usr/bin/chromium (it never downloads a browser)
command -v chromium >/dev/null || apt_install chromium fonts-dejavu-core fonts-liberation2
command -v npm >/dev/null || { echo "the UI needs Node.js >= 20.19 and npm to build" >&2; exit 1; }
# the compose file is checked with `docker compose config` (no engine runs here); v1 will do
docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null \
  || apt_install docker-compose

amqp_answers() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
if ! amqp_answers; then
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  echo "rabbitmq: starting rabbitmq-server"
  (rabbitmq-server -detached || sudo rabbitmq-server -detached) >/dev/null 2>&1 || true
  for _ in $(seq 60); do amqp_answers && break; sleep 1; done
  amqp_answers || echo "rabbitmq: still not answering on 5672; the AMQP test will fail" >&2
fi
# the AMQP test uses a vhost of its own, so it never touches a developer's queues
if command -v rabbitmqctl >/dev/null && amqp_answers; then
  rabbitmqctl add_vhost invoice-agent-test >/dev/null 2>&1 || true
  rabbitmqctl set_permissions -p invoice-agent-test guest '.*' '.*' '.*' >/dev/null 2>&1 || true
fi
# the records tests run on PostgreSQL too: each run creates a database of its own there
# (tests/support/records.py) as user postgres (trust on 127.0.0.1) or the role made below
pg_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_answers; then
  if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then apt_install postgresql; fi
  command -v pg_lsclusters >/dev/null || apt_install postgresql-common
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  pg_lsclusters -h | grep -q "^$version main" || pg_createcluster "$version" main >/dev/null || true
  echo "postgresql: starting cluster $version/main"
  pg_ctlcluster "$version" main start || sudo pg_ctlcluster "$version" main start || true
  for _ in $(seq 30); do pg_answers && break; sleep 1; done
  pg_answers || echo "postgresql: still not answering on 5432; the records tests will fail" >&2
  as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
  # a role that may only create (and so drop) its own databases, for the tests
  as_postgres psql -q -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'invoice_agent_test') THEN CREATE ROLE invoice_agent_test LOGIN CREATEDB PASSWORD 'invoice_agent_test'; END IF; END \$\$;" \
    >/dev/null || echo "postgresql: could not create the test role" >&2
fi
echo "test services: redis-server $(redis-server --version | awk '{print $3}'), rabbitmq on 5672, postgresql on 5432"
