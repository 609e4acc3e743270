"""The `ledger_db` fixture: head office's ledger target, once as a SQLite file and once as a
fresh PostgreSQL database, so every test that takes it runs against both backends.

PostgreSQL is not optional: when the server cannot be reached the `postgresql` case FAILS
(CI runs on a machine with one). A developer without PostgreSQL sets
`HEADOFFICE_TEST_POSTGRES=off` to skip those cases, visibly. The server to use is
`HEADOFFICE_TEST_POSTGRES_URL` (default: postgres on 127.0.0.1:5432, trust auth); each
test gets its own database `ho_test_<random>`, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

OPT_OUT = "HEADOFFICE_TEST_POSTGRES"
SERVER_URL = "HEADOFFICE_TEST_POSTGRES_URL"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A ledger target that `headoffice.db.open_ledger` and `--db` accept."""
    if request.param == "sqlite":
        yield str(tmp_path / "ho.sqlite3")
        return
    with postgres_database() as url:
        yield url


def postgres_database() -> _Database:
    if os.environ.get(OPT_OUT) == "off":
        pytest.skip(f"{OPT_OUT}=off: the PostgreSQL backend is not tested here")
    return _Database(os.environ.get(SERVER_URL, DEFAULT_SERVER))


class _Database:
    """CREATE DATABASE on enter, DROP ... WITH (FORCE) on exit (ends leftover sessions,
    e.g. of an ingest process a test killed)."""

    def __init__(self, server_url: str) -> None:
        self._server_url = server_url
        self._name = f"ho_test_{uuid.uuid4().hex[:12]}"

    def __enter__(self) -> str:
        try:
            with psycopg.connect(self._server_url, autocommit=True, connect_timeout=5) as admin:
                admin.execute(f"CREATE DATABASE {self._name}")
        except psycopg.Error as exc:
            pytest.fail(
                f"PostgreSQL at {self._server_url} is needed for the postgresql cases: {exc}"
                f" (set {OPT_OUT}=off to skip them on a machine without it)"
            )
        return self._server_url.rpartition("/")[0] + "/" + self._name

    def __exit__(self, *exc_info: object) -> None:
        with psycopg.connect(self._server_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {self._name} WITH (FORCE)")
