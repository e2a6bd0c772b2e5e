"""Records databases for the tests: a SQLite file and a real PostgreSQL database.

`records_url` is parametrised: a test that takes it (or `records`) runs once on each. The
PostgreSQL database is the test run's own (`invoice_agent_test_<random>`), created on the
server on 127.0.0.1:5432 (see CANDIDATE_URLS; `make test` installs and starts one when none
answers: scripts/ensure-test-services.sh) and dropped at the end; no other database of that
server is touched. Both are migrated once per run and emptied before each test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core.records import RecordsService
from core.records.migrate import upgrade

# Where the test run may create its database: TEST_POSTGRES_URL, else user postgres with
# trust auth, else the role scripts/ensure-test-services.sh makes when it installs PostgreSQL.
CANDIDATE_URLS = (
    [os.environ["TEST_POSTGRES_URL"]]
    if os.environ.get("TEST_POSTGRES_URL")
    else [
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        "postgresql+psycopg://invoice_agent_test:invoice_agent_test@127.0.0.1:5432/postgres",
    ]
)
BACKENDS = ("sqlite", "postgresql")
TABLES = ("issued_invoices", "clients", "number_sequences", "profiles")


class PostgresServer:
    """Creates and drops the test run's databases on an existing PostgreSQL server."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def answers(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("select 1"))
        except Exception:
            return False
        return True

    def create(self) -> str:
        name = f"invoice_agent_test_{uuid.uuid4().hex[:12]}"
        with self.engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        assert name and name.startswith("invoice_agent_test_")
        with self.engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        self.engine.dispose()


def find_server() -> PostgresServer:
    """The first of CANDIDATE_URLS that answers; fails the test run if none does."""
    for url in CANDIDATE_URLS:
        server = PostgresServer(url)
        if server.answers():
            return server
        server.close()
    pytest.fail(
        "no PostgreSQL answers on 127.0.0.1:5432 for the records tests: run "
        "scripts/ensure-test-services.sh (or `make test`), or set TEST_POSTGRES_URL",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = find_server()
    yield server
    server.close()


@pytest.fixture(scope="session", autouse=True)
def _default_records_database() -> Iterator[None]:
    """The records database of apps and workers that choose none (tests/conftest.py)."""
    from tests.conftest import TEST_DATABASE_DIR, TEST_DATABASE_URL

    upgrade(TEST_DATABASE_URL)
    yield
    shutil.rmtree(TEST_DATABASE_DIR, ignore_errors=True)


# Fixtures that run the API or a worker on the default records database: a profile or client
# another test left there (the fuzzer PATCHes the profile of "local") would change what their
# chat turns make (a new invoice starts from the profile), so it is emptied before each.
_DEFAULT_DATABASE_USERS = frozenset(
    {"app", "client", "make_app", "shared_worker", "start_worker", "live_api", "worker"}
)


@pytest.fixture(autouse=True)
def _empty_default_records(request) -> None:
    if not _DEFAULT_DATABASE_USERS & set(request.fixturenames):
        return
    from tests.conftest import TEST_DATABASE_URL

    engine = create_engine(TEST_DATABASE_URL)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM issued_invoices WHERE credits_id IS NOT NULL"))
            for table in TABLES:
                connection.execute(text(f"DELETE FROM {table}"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _migrated() -> Iterator[dict[str, str]]:
    """backend -> URL of a database migrated to head, made on first use."""
    made: dict[str, str] = {}
    yield made
    if "postgresql" in made:
        server = find_server()
        server.drop(made["postgresql"])
        server.close()


def empty_database(backend: str, where: Path, request) -> str:
    """A new, unmigrated database of `backend` (dropped at the end of the run)."""
    if backend == "sqlite":
        return f"sqlite:///{where / f'records-{uuid.uuid4().hex[:8]}.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create()
    request.addfinalizer(lambda: server.drop(url))
    return url


@pytest.fixture(params=BACKENDS)
def records_url(request, _migrated, tmp_path_factory) -> str:
    """A migrated, empty records database: SQLite, then PostgreSQL."""
    backend = request.param
    if backend not in _migrated:
        if backend == "postgresql":
            url = request.getfixturevalue("postgres_server").create()
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp('records') / 'records.db'}"
        _migrated[backend] = url
        upgrade(url)
    url = _migrated[backend]
    engine = create_engine(url)
    with engine.begin() as connection:
        if backend == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(TABLES)}"))
        else:
            connection.execute(text("DELETE FROM issued_invoices WHERE credits_id IS NOT NULL"))
            for table in TABLES:
                connection.execute(text(f"DELETE FROM {table}"))
    engine.dispose()
    return url


@pytest.fixture
def empty_records_url(request, tmp_path) -> str:
    """A new database with no schema yet, on the backend of `records_url`'s kind: pass the
    backend with indirect parametrisation, or get SQLite."""
    return empty_database(getattr(request, "param", "sqlite"), tmp_path, request)


@pytest.fixture
def records(records_url) -> Iterator[RecordsService]:
    service = RecordsService.from_url(records_url)
    yield service
    service.close()
