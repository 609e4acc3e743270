"""Head office's ledger: every kiosk event exactly once, the sales in it, kiosk presence.

`Ledger` is the interface the rest of head office uses; `SqliteLedger` is the one backend
today. A PostgreSQL backend implements the same methods; no SQL lives outside this module.
Idempotency rests on the event id (the kiosk's idempotency key): applying an event that is
already stored changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from appliance import wire

MIGRATIONS: tuple[str, ...] = (
    # version 1: the walking skeleton
    """
    CREATE TABLE events (
        event_id TEXT PRIMARY KEY,
        kiosk_id TEXT NOT NULL,
        stream TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        clock_synced INTEGER NOT NULL,
        body TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE INDEX events_by_stream ON events (kiosk_id, stream, seq);
    CREATE TABLE sales (
        event_id TEXT NOT NULL UNIQUE REFERENCES events (event_id),
        kiosk_id TEXT NOT NULL,
        sale_id TEXT NOT NULL UNIQUE,
        sale_seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        currency TEXT NOT NULL,
        total_minor INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX sales_by_kiosk ON sales (kiosk_id, sale_seq);
    CREATE TABLE kiosks (
        kiosk_id TEXT PRIMARY KEY,
        last_seen TEXT NOT NULL,
        online INTEGER NOT NULL DEFAULT 0
    );
    """,
)


class LedgerError(Exception):
    """The ledger cannot store this; the message says why."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event_id: str
    kiosk_id: str
    stream: str
    seq: int
    at: str
    clock_synced: bool
    received_at: str


@dataclass(frozen=True, slots=True)
class StoredSale:
    event_id: str
    kiosk_id: str
    sale_id: str
    sale_seq: int
    at: str
    currency: str
    total_minor: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class KioskPresence:
    kiosk_id: str
    last_seen: str
    online: bool


class Ledger(Protocol):
    def apply(self, envelope: wire.Envelope) -> bool:
        """Store the event (and its sale). False if it was already stored."""

    def set_kiosk_online(self, kiosk_id: str, online: bool) -> None: ...

    def events(self) -> list[StoredEvent]: ...

    def sales(self) -> list[StoredSale]: ...

    def kiosks(self) -> list[KioskPresence]: ...

    def close(self) -> None: ...


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class SqliteLedger:
    """One SQLite file in WAL mode. Used by one thread at a time (ingest's worker)."""

    def __init__(self, db: sqlite3.Connection, now: Callable[[], str]) -> None:
        self._db: sqlite3.Connection | None = db
        self._now = now

    @classmethod
    def open(cls, path: str | Path, now: Callable[[], str] = utc_now_iso) -> SqliteLedger:
        path = str(path)
        try:
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread=False: opened by the caller, then owned by one worker
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # an acked sale must survive a power cut
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=5000")
            ledger = cls(db, now)
            ledger._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"cannot open the ledger at {path}: {exc}") from exc
        return ledger

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise LedgerError("the ledger is closed")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> SqliteLedger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _migrate(self) -> None:
        db = self._conn
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise LedgerError(f"the ledger is version {version}, newer than this software")
        for number in range(version + 1, len(MIGRATIONS) + 1):
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[number - 1].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={number}")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- writes ------------------------------------------------------------------------

    def apply(self, envelope: wire.Envelope) -> bool:
        """Store the event (and its sale) in one transaction. False if already stored.

        Raises LedgerError when the event conflicts with a different stored one (the same
        sale id under another event id); nothing is stored then.
        """
        db = self._conn
        received_at = self._now()
        body = json.dumps(envelope.body, separators=(",", ":"), sort_keys=True)
        db.execute("BEGIN IMMEDIATE")
        try:
            cur = db.execute(
                "INSERT INTO events VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (event_id) DO NOTHING",
                (
                    envelope.event_id,
                    envelope.kiosk_id,
                    envelope.stream,
                    envelope.seq,
                    envelope.at,
                    int(envelope.clock_synced),
                    body,
                    received_at,
                ),
            )
            if cur.rowcount == 0:
                db.execute("ROLLBACK")
                return False
            if envelope.stream == wire.STREAM_SALES:
                b = envelope.body
                db.execute(
                    "INSERT INTO sales VALUES (?,?,?,?,?,?,?,?)",
                    (
                        envelope.event_id,
                        envelope.kiosk_id,
                        b["sale_id"],
                        b["sale_seq"],
                        envelope.at,
                        b["currency"],
                        b["total_minor"],
                        body,
                    ),
                )
            db.execute(
                "INSERT INTO kiosks (kiosk_id, last_seen) VALUES (?, ?)"
                " ON CONFLICT (kiosk_id) DO UPDATE SET last_seen = excluded.last_seen",
                (envelope.kiosk_id, received_at),
            )
        except sqlite3.IntegrityError as exc:
            db.execute("ROLLBACK")
            raise LedgerError(f"event {envelope.event_id} conflicts: {exc}") from None
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return True

    def set_kiosk_online(self, kiosk_id: str, online: bool) -> None:
        self._conn.execute(
            "INSERT INTO kiosks (kiosk_id, last_seen, online) VALUES (?, ?, ?)"
            " ON CONFLICT (kiosk_id) DO UPDATE"
            " SET last_seen = excluded.last_seen, online = excluded.online",
            (kiosk_id, self._now(), int(online)),
        )

    # -- reads -------------------------------------------------------------------------

    def events(self) -> list[StoredEvent]:
        rows = self._conn.execute(
            "SELECT event_id, kiosk_id, stream, seq, at, clock_synced, received_at"
            " FROM events ORDER BY kiosk_id, stream, seq"
        )
        return [StoredEvent(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows]

    def sales(self) -> list[StoredSale]:
        rows = self._conn.execute(
            "SELECT event_id, kiosk_id, sale_id, sale_seq, at, currency, total_minor, body"
            " FROM sales ORDER BY kiosk_id, sale_seq"
        )
        return [
            StoredSale(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7])) for r in rows
        ]

    def kiosks(self) -> list[KioskPresence]:
        rows = self._conn.execute(
            "SELECT kiosk_id, last_seen, online FROM kiosks ORDER BY kiosk_id"
        )
        return [KioskPresence(r[0], r[1], bool(r[2])) for r in rows]
