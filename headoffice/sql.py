"""The ledger's two database backends behind one small seam: SQLite (a file) and PostgreSQL.

The ledger (`headoffice/db.py`) writes each statement once, with `?` placeholders; the
PostgreSQL side rewrites them to psycopg's `%s`. The statements keep to the SQL both
engines share (upserts, `IS NOT DISTINCT FROM`, columns qualified by their table inside
`ON CONFLICT DO UPDATE`); what truly differs lives here: opening, transactions, row locks,
the schema version and the exception types.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import psycopg

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# any failure to open or use either (OSError: the SQLite file or its folder)
DATABASE_ERRORS: tuple[type[Exception], ...] = (OSError, sqlite3.Error, psycopg.Error)
_MIGRATION_LOCK = 7_302_515  # pg_advisory_xact_lock key: one migrating ingest at a time


class Database(Protocol):
    """One connection, used by one thread at a time."""

    integrity_errors: tuple[type[Exception], ...]  # a unique or foreign key refused a row
    for_update: str  # appended to a SELECT that must lock its rows until commit

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for each of `rows`."""

    def transaction(self) -> AbstractContextManager[None]:
        """Commit on leaving; roll back on an exception."""

    def savepoint(self) -> AbstractContextManager[None]:
        """Inside a transaction: undo only what was done within it, on an exception."""

    def schema_version(self) -> int:
        """Inside a transaction: the applied migrations, locked against other migrators."""

    def set_schema_version(self, version: int) -> None: ...

    def close(self) -> None: ...


def is_postgres(target: str | Path) -> bool:
    return str(target).startswith(POSTGRES_SCHEMES)


class SqliteDatabase:
    """One file in WAL mode, fsynced at every commit: an acked sale survives a power cut."""

    integrity_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
    for_update = ""  # BEGIN IMMEDIATE already holds the one write lock

    def __init__(self, path: str | Path) -> None:
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: opened by the caller, then owned by one worker.
        # cached_statements: the ledger inserts a round's rows in one statement, a text for
        # each count of rows (db._insert_rows); 128, the default, let them push each other
        # (and the rest) out, and preparing one costs as much as running it five times.
        db = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, cached_statements=512
        )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=5000")
        self._db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._db.execute(sql, params).rowcount

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, params).fetchall()

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        self._db.execute("SAVEPOINT one_event")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK TO one_event")
            self._db.execute("RELEASE one_event")
            raise
        self._db.execute("RELEASE one_event")

    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, version: int) -> None:
        self._db.execute(f"PRAGMA user_version={int(version)}")

    def close(self) -> None:
        self._db.close()


class PostgresDatabase:
    """A `postgresql://` URL (libpq's syntax). Commits are durable as the server is set up
    (`synchronous_commit` on by default); several ingests may share one database."""

    integrity_errors: tuple[type[Exception], ...] = (psycopg.errors.IntegrityError,)
    for_update = " FOR UPDATE"  # READ COMMITTED: lock the stream row against another ingest

    def __init__(self, url: str) -> None:
        self._db = psycopg.connect(url, autocommit=True, connect_timeout=10)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._db.execute(_pyformat(sql), params).rowcount

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._db.execute(_pyformat(sql), params).fetchall()

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._db.cursor() as cursor:
            cursor.executemany(_pyformat(sql), rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._db.transaction():
            yield

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self._db.transaction():  # inside a transaction, psycopg makes it a SAVEPOINT
            yield

    def schema_version(self) -> int:
        self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        self._db.execute("CREATE TABLE IF NOT EXISTS ledger_schema (version INTEGER NOT NULL)")
        row = self._db.execute("SELECT max(version) FROM ledger_schema").fetchone()
        return 0 if row is None or row[0] is None else int(row[0])

    def set_schema_version(self, version: int) -> None:
        self._db.execute("DELETE FROM ledger_schema")
        self._db.execute("INSERT INTO ledger_schema VALUES (%s)", (version,))

    def close(self) -> None:
        self._db.close()


@functools.cache
def _pyformat(sql: str) -> str:
    """`?` placeholders as psycopg's `%s`. The ledger's SQL has no `?` or `%` in literals."""
    return sql.replace("%", "%%").replace("?", "%s")


def connect(target: str | Path) -> Database:
    """A PostgreSQL URL, or else the path of a SQLite file (created when missing)."""
    if is_postgres(target):
        return PostgresDatabase(str(target))
    return SqliteDatabase(target)
