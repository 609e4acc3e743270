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
    # version 2: the fleet view, the latest status, birth and telemetry of each kiosk
    """
    CREATE TABLE kiosk_state (
        kiosk_id TEXT PRIMARY KEY,
        online INTEGER,
        online_since TEXT,
        conn_seq INTEGER,
        status_state TEXT,
        status_at TEXT,
        birth TEXT,
        birth_at TEXT,
        telemetry TEXT,
        telemetry_at TEXT
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


@dataclass(frozen=True, slots=True)
class KioskState:
    """What head office last heard from a kiosk; times are head office's receive times."""

    kiosk_id: str
    online: bool | None  # None: no status heard yet
    online_since: str | None  # when it last went online or offline (or reconnected)
    conn_seq: int | None
    status_state: str | None
    last_seen: str | None  # the latest event, online status, birth or telemetry
    birth: wire.Birth | None
    birth_at: str | None
    telemetry: wire.Telemetry | None
    telemetry_at: str | None


class Ledger(Protocol):
    def apply(self, envelope: wire.Envelope) -> bool:
        """Store the event (and its sale). False if it was already stored."""

    def set_kiosk_online(self, kiosk_id: str, online: bool) -> None: ...

    def record_status(self, kiosk_id: str, status: wire.Status, replayed: bool = False) -> bool:
        """Store it unless it is a stale death (the bdSeq rule); False if ignored."""

    def record_birth(self, birth: wire.Birth, replayed: bool = False) -> None: ...

    def record_telemetry(self, telemetry: wire.Telemetry) -> None: ...

    def kiosk_states(self) -> list[KioskState]: ...

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

    def record_status(self, kiosk_id: str, status: wire.Status, replayed: bool = False) -> bool:
        """Store a kiosk's status unless it is a stale death; False if it was ignored.

        The bdSeq rule (research §1.3): an offline status (a Will, or a goodbye) whose
        connection counter is below the stored one belongs to an earlier connection, which
        the broker may deliver after the next connection's online status; it is ignored.
        An online status always counts: only a live connection publishes one.

        replayed: a retained copy the broker hands a new subscription (an ingest restart),
        which says nothing about when the kiosk was last seen.
        """
        db = self._conn
        now = self._now()
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute(
                "SELECT online, online_since, conn_seq FROM kiosk_state WHERE kiosk_id = ?",
                (kiosk_id,),
            ).fetchone()
            old_online, old_since, old_seq = row if row is not None else (None, None, None)
            stale = (
                not status.online
                and status.conn_seq is not None
                and old_seq is not None
                and status.conn_seq < old_seq
            )
            if stale:
                db.execute("ROLLBACK")
                return False
            changed = old_online is None or bool(old_online) != status.online
            since = now if changed or status.conn_seq != old_seq else old_since
            db.execute(
                "INSERT INTO kiosk_state (kiosk_id, online, online_since, conn_seq,"
                " status_state, status_at) VALUES (?,?,?,?,?,?) ON CONFLICT (kiosk_id) DO UPDATE"
                " SET online = excluded.online, online_since = excluded.online_since,"
                " conn_seq = excluded.conn_seq, status_state = excluded.status_state,"
                " status_at = excluded.status_at",
                (kiosk_id, int(status.online), since, status.conn_seq, status.state, now),
            )
            self._touch(kiosk_id, now, status.online, seen=status.online and not replayed)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return True

    def record_birth(self, birth: wire.Birth, replayed: bool = False) -> None:
        """The latest birth; a replayed retained copy of the stored one changes nothing."""
        self._record_latest("birth", birth.kiosk_id, birth.to_json().decode(), not replayed)

    def record_telemetry(self, telemetry: wire.Telemetry) -> None:
        self._record_latest("telemetry", telemetry.kiosk_id, telemetry.to_json().decode(), True)

    def _record_latest(self, what: str, kiosk_id: str, payload: str, seen: bool) -> None:
        db = self._conn
        now = self._now()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(  # `what` is one of two literals above, never input
                f"INSERT INTO kiosk_state (kiosk_id, {what}, {what}_at) VALUES (?,?,?)"
                f" ON CONFLICT (kiosk_id) DO UPDATE SET {what} = excluded.{what},"
                f" {what}_at = CASE WHEN {what} IS excluded.{what} THEN {what}_at"
                f" ELSE excluded.{what}_at END",
                (kiosk_id, payload, now),
            )
            self._touch(kiosk_id, now, None, seen=seen)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _touch(self, kiosk_id: str, now: str, online: bool | None, seen: bool) -> None:
        """kiosks.online (when a status says) and last_seen (when the kiosk itself spoke
        just now: not a Will, which is the broker's, nor a replayed retained message)."""
        self._conn.execute(
            "INSERT INTO kiosks (kiosk_id, last_seen, online)"
            " VALUES (:kiosk, :seen_at, coalesce(:online, 0)) ON CONFLICT (kiosk_id) DO UPDATE"
            " SET last_seen = CASE WHEN :seen THEN excluded.last_seen ELSE last_seen END,"
            " online = coalesce(:online, online)",
            {
                "kiosk": kiosk_id,
                "seen_at": now if seen else "",  # "": never seen live yet
                "seen": seen,
                "online": None if online is None else int(online),
            },
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

    def kiosk_states(self) -> list[KioskState]:
        """Every kiosk heard of (by event or status), in kiosk id order."""
        seen = dict(self._conn.execute("SELECT kiosk_id, last_seen FROM kiosks"))
        rows = {
            r[0]: r
            for r in self._conn.execute(
                "SELECT kiosk_id, online, online_since, conn_seq, status_state,"
                " birth, birth_at, telemetry, telemetry_at FROM kiosk_state"
            )
        }
        states = []
        for kiosk_id in sorted(seen.keys() | rows.keys()):
            r = rows.get(kiosk_id) or (kiosk_id, None, None, None, None, None, None, None, None)
            states.append(
                KioskState(
                    kiosk_id=kiosk_id,
                    online=None if r[1] is None else bool(r[1]),
                    online_since=r[2],
                    conn_seq=r[3],
                    status_state=r[4],
                    last_seen=seen.get(kiosk_id) or None,
                    birth=None if r[5] is None else wire.parse_birth(r[5].encode()),
                    birth_at=r[6],
                    telemetry=None if r[7] is None else wire.parse_telemetry(r[7].encode()),
                    telemetry_at=r[8],
                )
            )
        return states
