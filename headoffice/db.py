"""Head office's ledger: every kiosk event exactly once and in order, sales, kiosk presence.

`Ledger` is the interface the rest of head office uses; `SqlLedger` implements it once
over either backend of `headoffice/sql.py`, SQLite (a file path) or PostgreSQL (a
`postgresql://` URL), picked by the target. No SQL lives outside these two modules.
Idempotency rests on the event id (the kiosk's idempotency key): applying an
event that is already stored changes nothing. Order rests on `seq`: each (kiosk, stream)
applies its events one after another, holding early ones in the ledger (`held`) until
the gap before them fills (`headoffice/reorder.py` says when to ask for a resync).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import orjson

from appliance import wire
from headoffice.reorder import Gap, ReorderWindow, Resync
from headoffice.sql import DATABASE_ERRORS, Database, connect, is_postgres

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
    # version 3: ordering per kiosk and stream; a ledger from before starts each stream
    # after the highest seq it holds
    """
    CREATE TABLE streams (
        kiosk_id TEXT NOT NULL,
        stream TEXT NOT NULL,
        next_seq BIGINT NOT NULL,
        advanced_at DOUBLE PRECISION NOT NULL,
        resync_from BIGINT,
        resync_at DOUBLE PRECISION,
        PRIMARY KEY (kiosk_id, stream)
    );
    INSERT INTO streams (kiosk_id, stream, next_seq, advanced_at)
        SELECT kiosk_id, stream, max(seq) + 1, 0 FROM events GROUP BY kiosk_id, stream;
    CREATE TABLE held (
        kiosk_id TEXT NOT NULL,
        stream TEXT NOT NULL,
        seq BIGINT NOT NULL,
        event_id TEXT NOT NULL UNIQUE,
        envelope TEXT NOT NULL,
        held_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (kiosk_id, stream, seq)
    );
    """,
)


class LedgerError(Exception):
    """The ledger cannot store this; the message says why."""


@dataclass(frozen=True, slots=True)
class Applied:
    """What became of one received event (`event_id`)."""

    event_id: str
    applied: tuple[str, ...] = ()  # event ids applied now, in seq order: it and any it freed
    duplicate: bool = False  # already applied: changes nothing, ack it again
    held: bool = False  # early (a gap before it): kept in the ledger, not applied, not acked

    @property
    def acks(self) -> tuple[str, ...]:
        """The event ids to acknowledge to the kiosk now."""
        return (self.event_id,) if self.duplicate else self.applied


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
    def apply(self, envelope: wire.Envelope) -> Applied:
        """Apply the event (and its sale) in its stream's order, or hold it, or see a repeat."""

    def apply_many(self, envelopes: Sequence[wire.Envelope]) -> list[Applied | LedgerError]:
        """apply() for each, in one transaction: one durable commit for the lot."""

    def due_resyncs(self, window: ReorderWindow) -> list[Resync]:
        """Gaps the window did not close, each claimed once (across ingests) to ask for."""

    def set_kiosk_online(self, kiosk_id: str, online: bool) -> None: ...

    def record_status(self, kiosk_id: str, status: wire.Status, replayed: bool = False) -> bool:
        """Store it unless it is a stale death (the bdSeq rule); False if ignored."""

    def record_birth(self, birth: wire.Birth, replayed: bool = False) -> None: ...

    def record_telemetry(self, telemetry: wire.Telemetry) -> None: ...

    def kiosk_states(self) -> list[KioskState]: ...

    def events(self) -> list[StoredEvent]: ...

    def sales(self) -> list[StoredSale]: ...

    def held(self) -> list[tuple[str, str, int]]:
        """(kiosk, stream, seq) of every event held behind a gap, in order."""

    def kiosks(self) -> list[KioskPresence]: ...

    def close(self) -> None: ...


class _NotARun(Exception):
    """A run that the fast path does not take (see SqlLedger._apply_run)."""


def _runs(envelopes: Sequence[wire.Envelope]) -> list[list[wire.Envelope]]:
    """Consecutive envelopes of the same kiosk and stream, in the order given."""
    runs: list[list[wire.Envelope]] = []
    for envelope in envelopes:
        last = runs[-1][-1] if runs else None
        if last is not None and (last.kiosk_id, last.stream) == (
            envelope.kiosk_id,
            envelope.stream,
        ):
            runs[-1].append(envelope)
        else:
            runs.append([envelope])
    return runs


ROWS_A_STATEMENT = 100  # 800 parameters for 8 columns: under SQLite's old limit of 999


def _insert_rows(db: Database, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows (of the table's every column, in order) in INSERTs of up to ROWS_A_STATEMENT
    rows each. executemany steps a statement a row, and SQLite's module lets go of the GIL
    at each step: ingest's worker then waited for paho's thread to hand it back twice per
    event (the backlog benchmark: these inserts took a fifth less wall time in one go)."""
    for start in range(0, len(rows), ROWS_A_STATEMENT):
        chunk = rows[start : start + ROWS_A_STATEMENT]
        marks = "(" + ",".join("?" * len(chunk[0])) + ")"
        db.execute(
            f"INSERT INTO {table} VALUES " + ",".join([marks] * len(chunk)),  # table: a literal
            [value for row in chunk for value in row],
        )


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class SqlLedger:
    """The ledger over one database connection. Used by one thread at a time (ingest's
    worker); several ingests may share one PostgreSQL database."""

    def __init__(self, db: Database, now: Callable[[], str], clock_s: Callable[[], float]) -> None:
        self._db: Database | None = db
        self._now = now  # head office's receive times, ISO 8601 text
        self._clock_s = clock_s  # Unix seconds, for the reorder window

    @classmethod
    def open(
        cls,
        target: str | Path,
        now: Callable[[], str] = utc_now_iso,
        clock_s: Callable[[], float] = time.time,
    ) -> Self:
        """Open (and create or migrate) the ledger at a SQLite path or a PostgreSQL URL."""
        try:
            ledger = cls(connect(target), now, clock_s)
        except DATABASE_ERRORS as exc:
            raise LedgerError(f"cannot open the ledger at {_redacted(target)}: {exc}") from exc
        try:
            ledger._migrate()
        except DATABASE_ERRORS as exc:
            ledger.close()
            raise LedgerError(f"cannot open the ledger at {_redacted(target)}: {exc}") from exc
        except BaseException:
            ledger.close()
            raise
        return ledger

    @property
    def _sql(self) -> Database:
        if self._db is None:
            raise LedgerError("the ledger is closed")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _migrate(self) -> None:
        db = self._sql
        with db.transaction():
            version = db.schema_version()
            if version > len(MIGRATIONS):
                raise LedgerError(f"the ledger is version {version}, newer than this software")
            for migration in MIGRATIONS[version:]:
                for statement in migration.split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.set_schema_version(len(MIGRATIONS))

    # -- writes ------------------------------------------------------------------------

    def apply(self, envelope: wire.Envelope) -> Applied:
        """Apply the event in its stream's order, in one transaction with what it frees.

        seq below the stream's next: a repeat (changes nothing). Above: held in the ledger,
        durably, until the events before it arrive. Equal: applied (event, sale, kiosk
        seen), then every held successor that now follows without a gap.

        Raises LedgerError when the event conflicts with a different one (another event id
        at an applied or held seq, or the same sale id under another event id); nothing is
        stored then.
        """
        received_at, now_s = self._now(), self._clock_s()
        try:
            with self._sql.transaction():
                return self._apply(envelope, received_at, now_s)
        except self._sql.integrity_errors as exc:
            raise LedgerError(f"event {envelope.event_id} conflicts: {exc}") from None

    def apply_many(self, envelopes: Sequence[wire.Envelope]) -> list[Applied | LedgerError]:
        """Each envelope as apply() would, in order, all in one transaction (one fsync for a
        round of messages instead of one each). Each has its own savepoint: one that
        conflicts comes back as its LedgerError and changes nothing, the others are applied.
        Any other error rolls the whole round back and is raised: nothing of it is acked,
        so the kiosks send it again."""
        received_at, now_s = self._now(), self._clock_s()
        out: list[Applied | LedgerError] = []
        with self._sql.transaction():
            for run in _runs(envelopes):
                fast = self._apply_run(run, received_at, now_s) if len(run) > 1 else None
                if fast is not None:
                    out.extend(fast)
                    continue
                for envelope in run:
                    try:
                        with self._sql.savepoint():
                            out.append(self._apply(envelope, received_at, now_s))
                    except self._sql.integrity_errors as exc:
                        out.append(LedgerError(f"event {envelope.event_id} conflicts: {exc}"))
                    except LedgerError as exc:
                        out.append(exc)
        return out

    def _apply_run(
        self, run: Sequence[wire.Envelope], received_at: str, now_s: float
    ) -> list[Applied] | None:
        """The common case of a backlog, in a few statements for the whole run: one
        stream's events that follow on from its next seq without a gap, none of them seen
        before, nothing held. None when any of that is not so, or a row conflicts (nothing
        of the run is then stored): the caller applies them one by one, as apply() would."""
        db = self._sql
        key = (run[0].kiosk_id, run[0].stream)
        not_taken: tuple[type[Exception], ...] = (_NotARun, *db.integrity_errors)
        try:
            with db.savepoint():
                db.execute(
                    "INSERT INTO streams (kiosk_id, stream, next_seq, advanced_at)"
                    " VALUES (?,?,1,?) ON CONFLICT (kiosk_id, stream) DO NOTHING",
                    (*key, now_s),
                )
                [(next_seq,)] = db.query(
                    "SELECT next_seq FROM streams WHERE kiosk_id = ? AND stream = ?"
                    + db.for_update,
                    key,
                )
                ids = [e.event_id for e in run]
                marks = ",".join("?" * len(ids))
                if (
                    [e.seq for e in run] != list(range(next_seq, next_seq + len(run)))
                    or db.query("SELECT 1 FROM held WHERE kiosk_id = ? AND stream = ? LIMIT 1", key)
                    or db.query(f"SELECT 1 FROM events WHERE event_id IN ({marks})", ids)
                ):
                    raise _NotARun
                self._store_all(run, received_at)
                db.execute(
                    "UPDATE streams SET next_seq = ?, advanced_at = ?"
                    " WHERE kiosk_id = ? AND stream = ?",
                    (next_seq + len(run), now_s, *key),
                )
        except not_taken:
            return None
        return [Applied(e.event_id, applied=(e.event_id,)) for e in run]

    def _apply(self, envelope: wire.Envelope, received_at: str, now_s: float) -> Applied:
        db, key, event_id = self._sql, (envelope.kiosk_id, envelope.stream), envelope.event_id
        db.execute(
            "INSERT INTO streams (kiosk_id, stream, next_seq, advanced_at) VALUES (?,?,1,?)"
            " ON CONFLICT (kiosk_id, stream) DO NOTHING",
            (*key, now_s),
        )
        [(next_seq,)] = db.query(
            "SELECT next_seq FROM streams WHERE kiosk_id = ? AND stream = ?" + db.for_update, key
        )
        stored = db.query(
            "SELECT kiosk_id, stream, seq FROM events WHERE event_id = ?", (event_id,)
        )
        if stored == [(*key, envelope.seq)]:
            return Applied(event_id, duplicate=True)
        if stored or envelope.seq < next_seq:
            raise LedgerError(
                f"event {event_id} conflicts: seq {envelope.seq} of {'/'.join(key)}"
                f" is {'stored under another seq' if stored else 'applied under another id'}"
            )
        if envelope.seq > next_seq:
            db.execute(
                "INSERT INTO held VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                (*key, envelope.seq, event_id, envelope.to_json().decode(), now_s),
            )
            held = db.query(
                "SELECT event_id FROM held WHERE kiosk_id = ? AND stream = ? AND seq = ?",
                (*key, envelope.seq),
            )
            if held != [(event_id,)]:
                raise LedgerError(f"event {event_id} conflicts with a held event")
            return Applied(event_id, held=True)
        applied = [self._store(envelope, received_at)]
        while True:
            following = db.query(
                "SELECT envelope FROM held WHERE kiosk_id = ? AND stream = ? AND seq = ?",
                (*key, next_seq + len(applied)),
            )
            if not following:
                break
            applied.append(self._store(wire.parse_envelope(following[0][0].encode()), received_at))
        next_seq += len(applied)
        db.execute(
            "DELETE FROM held WHERE kiosk_id = ? AND stream = ? AND seq < ?", (*key, next_seq)
        )
        db.execute(
            "UPDATE streams SET next_seq = ?, advanced_at = ? WHERE kiosk_id = ? AND stream = ?",
            (next_seq, now_s, *key),
        )
        return Applied(event_id, applied=tuple(applied))

    def _store(self, envelope: wire.Envelope, received_at: str) -> str:
        """The event, its sale (for a sale) and the kiosk's last_seen; its event id."""
        self._store_all([envelope], received_at)
        return envelope.event_id

    def _store_all(self, envelopes: Sequence[wire.Envelope], received_at: str) -> None:
        """The events, their sales and their kiosks' last_seen: a statement of each kind."""
        db = self._sql
        # compact, keys sorted, UTF-8: as the envelope's own encoding (wire.Envelope.to_json)
        bodies = [orjson.dumps(e.body, option=orjson.OPT_SORT_KEYS).decode() for e in envelopes]
        _insert_rows(
            db,
            "events",
            [
                (
                    e.event_id,
                    e.kiosk_id,
                    e.stream,
                    e.seq,
                    e.at,
                    int(e.clock_synced),
                    body,
                    received_at,
                )
                for e, body in zip(envelopes, bodies, strict=True)
            ],
        )
        sales = [
            (
                e.event_id,
                e.kiosk_id,
                e.body["sale_id"],
                e.body["sale_seq"],
                e.at,
                e.body["currency"],
                e.body["total_minor"],
                body,
            )
            for e, body in zip(envelopes, bodies, strict=True)
            if e.stream == wire.STREAM_SALES
        ]
        _insert_rows(db, "sales", sales)
        db.execute_many(
            "INSERT INTO kiosks (kiosk_id, last_seen) VALUES (?, ?)"
            " ON CONFLICT (kiosk_id) DO UPDATE SET last_seen = excluded.last_seen",
            [(kiosk_id, received_at) for kiosk_id in dict.fromkeys(e.kiosk_id for e in envelopes)],
        )

    def due_resyncs(self, window: ReorderWindow) -> list[Resync]:
        """Gaps the window did not close, each claimed here so that one ingest asks once.

        The claim is a compare-and-set on the stream row: of several ingests sharing a
        database, only the one whose UPDATE still sees the old state asks.
        """
        db, now_s = self._sql, self._clock_s()
        claimed = []
        with db.transaction():
            rows = db.query(
                "SELECT s.kiosk_id, s.stream, s.next_seq, count(*), min(h.held_at),"
                " s.advanced_at, s.resync_from, s.resync_at FROM streams s JOIN held h"
                " ON h.kiosk_id = s.kiosk_id AND h.stream = s.stream GROUP BY s.kiosk_id,"
                " s.stream, s.next_seq, s.advanced_at, s.resync_from, s.resync_at"
                " ORDER BY s.kiosk_id, s.stream"
            )
            for kiosk_id, stream, *facts in rows:
                gap = Gap(*facts)
                if not gap.is_due(window, now_s):
                    continue
                taken = db.execute(
                    "UPDATE streams SET resync_from = ?, resync_at = ? WHERE kiosk_id = ?"
                    " AND stream = ? AND next_seq = ? AND resync_from IS NOT DISTINCT FROM ?"
                    " AND resync_at IS NOT DISTINCT FROM ?",
                    (gap.next_seq, now_s, kiosk_id, stream, gap.next_seq, *facts[-2:]),
                )
                if taken == 1:
                    claimed.append(Resync(kiosk_id, stream, gap.next_seq))
        return claimed

    def held(self) -> list[tuple[str, str, int]]:
        rows = self._sql.query("SELECT kiosk_id, stream, seq FROM held ORDER BY 1, 2, 3")
        return [(r[0], r[1], r[2]) for r in rows]

    def set_kiosk_online(self, kiosk_id: str, online: bool) -> None:
        self._sql.execute(
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
        db = self._sql
        now = self._now()
        with db.transaction():
            rows = db.query(
                "SELECT online, online_since, conn_seq FROM kiosk_state WHERE kiosk_id = ?"
                + db.for_update,
                (kiosk_id,),
            )
            old_online, old_since, old_seq = rows[0] if rows else (None, None, None)
            stale = (
                not status.online
                and status.conn_seq is not None
                and old_seq is not None
                and status.conn_seq < old_seq
            )
            if stale:
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
        return True

    def record_birth(self, birth: wire.Birth, replayed: bool = False) -> None:
        """The latest birth; a replayed retained copy of the stored one changes nothing."""
        self._record_latest("birth", birth.kiosk_id, birth.to_json().decode(), not replayed)

    def record_telemetry(self, telemetry: wire.Telemetry) -> None:
        self._record_latest("telemetry", telemetry.kiosk_id, telemetry.to_json().decode(), True)

    def _record_latest(self, what: str, kiosk_id: str, payload: str, seen: bool) -> None:
        db = self._sql
        now = self._now()
        with db.transaction():
            db.execute(  # `what` is one of two literals above, never input
                f"INSERT INTO kiosk_state (kiosk_id, {what}, {what}_at) VALUES (?,?,?)"
                f" ON CONFLICT (kiosk_id) DO UPDATE SET {what} = excluded.{what},"
                f" {what}_at = CASE WHEN kiosk_state.{what} IS NOT DISTINCT FROM"
                f" excluded.{what} THEN kiosk_state.{what}_at ELSE excluded.{what}_at END",
                (kiosk_id, payload, now),
            )
            self._touch(kiosk_id, now, None, seen=seen)

    def _touch(self, kiosk_id: str, now: str, online: bool | None, seen: bool) -> None:
        """kiosks.online (when a status says) and last_seen (when the kiosk itself spoke
        just now: not a Will, which is the broker's, nor a replayed retained message)."""
        online_int = None if online is None else int(online)
        self._sql.execute(
            "INSERT INTO kiosks (kiosk_id, last_seen, online)"
            " VALUES (?, ?, coalesce(?, 0)) ON CONFLICT (kiosk_id) DO UPDATE"
            " SET last_seen = CASE WHEN ? THEN excluded.last_seen ELSE kiosks.last_seen END,"
            " online = coalesce(?, kiosks.online)",
            (kiosk_id, now if seen else "", online_int, seen, online_int),  # "": not seen live
        )

    # -- reads -------------------------------------------------------------------------

    def events(self) -> list[StoredEvent]:
        rows = self._sql.query(
            "SELECT event_id, kiosk_id, stream, seq, at, clock_synced, received_at"
            " FROM events ORDER BY kiosk_id, stream, seq"
        )
        return [StoredEvent(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows]

    def sales(self) -> list[StoredSale]:
        rows = self._sql.query(
            "SELECT event_id, kiosk_id, sale_id, sale_seq, at, currency, total_minor, body"
            " FROM sales ORDER BY kiosk_id, sale_seq"
        )
        return [
            StoredSale(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7])) for r in rows
        ]

    def kiosks(self) -> list[KioskPresence]:
        rows = self._sql.query("SELECT kiosk_id, last_seen, online FROM kiosks ORDER BY kiosk_id")
        return [KioskPresence(r[0], r[1], bool(r[2])) for r in rows]

    def kiosk_states(self) -> list[KioskState]:
        """Every kiosk heard of (by event or status), in kiosk id order."""
        seen = dict(self._sql.query("SELECT kiosk_id, last_seen FROM kiosks"))
        rows = {
            r[0]: r
            for r in self._sql.query(
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


SqliteLedger = SqlLedger  # its name before PostgreSQL; `open` takes a URL as well


def open_ledger(
    target: str | Path,
    now: Callable[[], str] = utc_now_iso,
    clock_s: Callable[[], float] = time.time,
    create: bool = True,
) -> SqlLedger:
    """The ledger at a PostgreSQL URL or a SQLite path. create=False: LedgerError when a
    SQLite file is missing (a reader should not make an empty ledger by a typo)."""
    if not create and not is_postgres(target) and not Path(target).is_file():
        raise LedgerError(f"no ledger at {target}")
    return SqlLedger.open(target, now, clock_s)


def _redacted(target: str | Path) -> str:
    """The target without a password, for messages and logs."""
    text = str(target)
    if not is_postgres(text):
        return text
    scheme, _, rest = text.partition("://")
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}://{credentials.partition(':')[0]}{at}{host}"
