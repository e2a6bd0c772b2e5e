"""The records database: engines for SQLite and PostgreSQL, transactions, and their errors.

SQLite (the embedded default) runs in WAL mode, so readers never wait for the writer, with
foreign keys on, `synchronous=FULL` (an issued number must survive a power cut, or it would
be handed out again) and a busy timeout. pysqlite's own transaction handling is switched
off: a read starts with `BEGIN`, a write with `BEGIN IMMEDIATE`, which takes the database's
write lock at once, so two writers queue at the start instead of failing half-way; and they
queue in the kernel (`WriterLock`), not in SQLite's sleeping busy handler.

PostgreSQL (production) runs at READ COMMITTED. Writes that must be serialised lock the row
they change (the number sequence: see `core/records/service.py`).

Errors are translated here: a lock or serialisation conflict is retried (`in_transaction`),
a database that cannot be reached (or whose schema is missing: not migrated) becomes
`Unavailable`.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from core.errors import Unavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
WRITE = "records_write"  # execution option: this transaction writes
SQLITE_BUSY_TIMEOUT_MS = 5000
ATTEMPTS = 6  # a conflicting transaction is tried this many times before giving up
# serialization_failure, deadlock_detected, lock_not_available
RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
UNDEFINED_TABLE = "42P01"


def resolve_url(url: str) -> URL:
    """`url` parsed; a relative SQLite path is taken from the project root and its folder made.

    `sqlite:///var/invoice-agent.db` -> `sqlite:////<project>/var/invoice-agent.db`.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return parsed
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return parsed
    path = Path(database)
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return parsed.set(database=str(path))


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """An engine for `url` (sqlite:///… or postgresql+psycopg://…), configured as above."""
    resolved = resolve_url(url)
    backend = resolved.get_backend_name()
    options: dict[str, Any] = {
        "json_serializer": lambda value: json.dumps(value, ensure_ascii=False),
        "pool_pre_ping": backend != "sqlite",
    }
    if backend == "postgresql":
        options.update(
            pool_size=pool_size,
            max_overflow=pool_size * 2,
            pool_timeout=10,
            # fail fast when the server is unreachable; nothing waits on a lock for ever
            connect_args={
                "connect_timeout": 5,
                "options": "-c lock_timeout=10000 -c statement_timeout=30000",
            },
        )
    engine = create_engine(resolved, **options)
    if backend == "sqlite":
        _configure_sqlite(engine)
        database = resolved.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            _writer_locks[engine] = WriterLock(Path(f"{database}.writer-lock"))
    return engine


class WriterLock:
    """The writers of one SQLite file, in line: a lock of this process, then `flock` on a
    file beside the database.

    SQLite's own busy handler makes a waiting writer sleep and poll (up to 100 ms a time),
    so under contention an unlucky writer waited over a second while others came and went.
    Waiting in the kernel instead, a writer starts as soon as the last one commits. The
    process's lock comes first because flock does not exclude two holders in one process
    (greenlets of a gevent worker): under gevent it is cooperative, and flock itself only
    ever waits for another process's transaction, which is short.
    """

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._local:
            if self._fd is None or self._pid != os.getpid():  # not the fd of a forked parent
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


_writer_locks: weakref.WeakKeyDictionary[Engine, WriterLock] = weakref.WeakKeyDictionary()


def _writers_in_line(sessions: sessionmaker[Session]) -> Any:
    """The SQLite writer lock of this session factory's engine, or nothing to hold."""
    lock = _writer_locks.get(sessions.kw.get("bind"))  # type: ignore[arg-type]
    return lock.held() if lock is not None else nullcontext()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # no implicit BEGIN: we say which one
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        writes = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)


def is_retryable(exc: DBAPIError) -> bool:
    """A lock or serialisation conflict: the same transaction may succeed when tried again."""
    original = exc.orig
    if getattr(original, "sqlstate", None) in RETRY_SQLSTATES:
        return True
    message = str(original).lower()
    return isinstance(exc, OperationalError) and ("locked" in message or "busy" in message)


def is_unavailable(exc: Exception) -> bool:
    """The database cannot be reached or used: down, refused, pool exhausted, not migrated."""
    if isinstance(exc, ProgrammingError):  # a missing table (not migrated), not our SQL's fault
        return getattr(exc.orig, "sqlstate", None) == UNDEFINED_TABLE
    return isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout)


def in_transaction(
    sessions: sessionmaker[Session],
    work: Callable[[Session], T],
    *,
    write: bool,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `work(session)` in one transaction and commit it; retried on lock conflicts.

    A write transaction takes SQLite's write lock at its start (BEGIN IMMEDIATE). Every
    attempt starts from scratch: nothing of a failed attempt is kept (its rollback undoes a
    drawn number too). Raises Unavailable when the database cannot be reached or the
    conflicts do not clear; other errors (IntegrityError…) pass through for the caller.
    """
    for attempt in range(ATTEMPTS):
        try:
            with _writers_in_line(sessions) if write else nullcontext(), sessions() as session:
                if write:
                    session.connection(execution_options={WRITE: True})
                result = work(session)
                session.commit()
                return result
        except (DBAPIError, DisconnectionError, PoolTimeout) as exc:
            if isinstance(exc, DBAPIError) and is_retryable(exc) and attempt + 1 < ATTEMPTS:
                sleep(random.uniform(0.5, 1.5) * 0.01 * 2**attempt)  # noqa: S311 - jitter
                continue
            if isinstance(exc, DBAPIError) and is_retryable(exc) or is_unavailable(exc):
                log.warning("records database unavailable: %s", type(exc).__name__, exc_info=exc)
                raise Unavailable(
                    "The records database cannot be reached just now. Please retry in a moment."
                ) from exc
            raise
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
