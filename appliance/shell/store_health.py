"""Is the store of record fit to sell from; salvage a damaged one; the sale-number high-water mark.

`check(path)` never writes to the store (it opens it read-only). `recover(path, backup_dir)`
moves the damaged files aside (renamed with a timestamp, never deleted), reads every row
SQLite can still read, builds a fresh store with the current schema around them and sets
every sequence above any number ever used. docs/store.md is the operator's guide.

The high-water mark (`sequence.hwm` beside the store) is how "above any number ever used"
survives a store that lost its newest sales (a restored backup, a truncated file): the
store raises it, fsync'd, before it commits a number. It has two checksummed slots written
in turn in place, so a torn write leaves the previous value readable and a full disk does
not stop it (nothing is allocated after it is created).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import struct
import tempfile
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from appliance import wire
from appliance.shell import clean_close
from appliance.shell.schema import LINES_OF_SALE, MIGRATIONS, SCHEMA_VERSION, statements

if TYPE_CHECKING:  # store.py imports this module for the high-water mark
    from appliance.shell.store import Store

STORE_FILE = "kiosk.sqlite3"
HWM_FILE = "sequence.hwm"
SIDE_FILES = ("-wal", "-shm", "-journal")
# a sequence that the recovered store numbers from, and the tables whose numbers it counts
NUMBERED = {"sale": ("sales", "seq"), "refund": ("refunds", "seq")}


class RecoveryError(Exception):
    """Recovery cannot start (the store is in use, the backup folder cannot be written)."""


# -- check -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Health:
    """What `check` found. `problems`: each alone makes the store unfit to sell from."""

    path: str
    exists: bool
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    schema_version: int | None = None
    sales: int | None = None
    last_sale_seq: int | None = None
    outbox_depth: int | None = None
    high_water: dict[str, int] = field(default_factory=dict)

    @property
    def fit(self) -> bool:
        return not self.problems

    @property
    def reason(self) -> str:
        """One sentence for the out-of-service screen."""
        return self.problems[0] if self.problems else ""

    def lines(self) -> list[str]:
        verdict = "fit to sell" if self.fit else "NOT fit to sell"
        out = [f"store {self.path}: {verdict}"]
        out += [f"  problem: {p}" for p in self.problems]
        out += [f"  warning: {w}" for w in self.warnings]
        if self.schema_version is not None:
            out.append(f"  schema version {self.schema_version} (this software: {SCHEMA_VERSION})")
        if self.sales is not None:
            out.append(f"  {self.sales} sales, last number {self.last_sale_seq or '-'}")
        if self.outbox_depth is not None:
            out.append(f"  {self.outbox_depth} events wait for head office")
        if self.high_water:
            marks = ", ".join(f"{k} {v}" for k, v in sorted(self.high_water.items()))
            out.append(f"  numbers used so far ({HWM_FILE}): {marks}")
        return out


def check(path: str | Path, *, quick: bool = False, trust_clean_close: bool = False) -> Health:
    """Exists, opens, passes `PRAGMA integrity_check` (or quick_check) and
    `foreign_key_check`, has a schema this software knows, a sales journal whose numbers
    never repeat, and an outbox whose every row parses. Read-only.

    trust_clean_close (the kiosk's start): when the kiosk itself closed the store cleanly
    and nothing changed it since (clean_close.holds), the page check and the parse of every
    outbox row are skipped; the schema, journal and numbering checks still run."""
    found = _Findings(Path(path))
    try:
        found.marks = read_hwm(hwm_path(found.path))
    except HwmError as exc:
        found.warnings.append(str(exc))
    if not found.path.exists():
        found.exists = False
        found.problems.append(f"the store {found.path} is missing")
        if found.marks.get("sale"):
            found.problems.append(
                f"this kiosk has sold before (up to sale {found.marks['sale']}): the store "
                "was lost, this is not a new kiosk; restore the newest backup or run "
                "`kiosk store recover`"
            )
        return found.health()
    if found.path.stat().st_size == 0:
        found.problems.append(f"the store {found.path} is an empty file")
        return found.health()
    try:
        db = sqlite3.connect(f"{found.path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        found.problems.append(f"the store cannot be opened: {exc}")
        return found.health()
    clean = trust_clean_close and clean_close.holds(found.path)
    try:
        if _check_schema(db, found) and (clean or _check_pages(db, found, quick)):
            _check_journal(db, found, parse_outbox=not clean)
    finally:
        db.close()
    return found.health()


@dataclass
class _Findings:
    path: Path
    exists: bool = True
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    marks: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int | None] = field(default_factory=dict)

    def health(self) -> Health:
        return Health(
            str(self.path),
            self.exists,
            tuple(self.problems),
            tuple(self.warnings),
            schema_version=self.counts.get("version"),
            sales=self.counts.get("sales"),
            last_sale_seq=self.counts.get("last"),
            outbox_depth=self.counts.get("outbox"),
            high_water=self.marks,
        )


def _check_schema(db: sqlite3.Connection, found: _Findings) -> bool:
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        found.problems.append(f"{_header_problem(found.path)}: {exc}")
        return False
    found.counts["version"] = version
    if version > SCHEMA_VERSION:
        found.problems.append(f"the store is version {version}, newer than this software")
        return False
    if version == 0 or "sales" not in tables:
        found.problems.append("the store holds no kiosk schema (never set up, or lost)")
        return False
    if version < SCHEMA_VERSION:
        found.warnings.append(f"the store will be upgraded from version {version} at start")
    return True


def _header_problem(path: Path) -> str:
    """What the first 100 bytes say about a file SQLite refuses to read."""
    with open(path, "rb") as f:
        head = f.read(100)
    if not head.startswith(b"SQLite format 3\0") or len(head) < 100:
        return "not a SQLite database (its first bytes are not SQLite's)"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    size = path.stat().st_size
    if page_size and pages and size < pages * page_size:
        return f"the file is cut short: {size // page_size} of its {pages} pages are there"
    return "not a readable SQLite database (its first page is damaged)"


def _check_pages(db: sqlite3.Connection, found: _Findings, quick: bool) -> bool:
    pragma = "quick_check" if quick else "integrity_check"
    try:
        messages = [r[0] for r in db.execute(f"PRAGMA {pragma}")]
        if messages != ["ok"]:
            found.problems.append(f"{pragma} failed: {'; '.join(messages[:3])}")
        orphans = db.execute("PRAGMA foreign_key_check").fetchall()
    except sqlite3.DatabaseError as exc:
        found.problems.append(f"the store is damaged: {exc}")
        return False
    if orphans:
        table, rowid, parent = orphans[0][:3]
        found.problems.append(
            f"{len(orphans)} rows point to rows that are gone (first: {table} row {rowid}"
            f" → {parent})"
        )
    return True


def _check_journal(db: sqlite3.Connection, found: _Findings, *, parse_outbox: bool) -> bool:
    try:
        sales, top = db.execute("SELECT count(*), COALESCE(max(seq), 0) FROM sales").fetchone()
        repeated = [
            r[0]
            for r in db.execute(
                "SELECT seq FROM sales NOT INDEXED GROUP BY seq HAVING count(*) > 1 LIMIT 3"
            )
        ]
        row = db.execute("SELECT last FROM sequences WHERE name = 'sale'").fetchone()
        depth = int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        found.problems.append(f"the sales journal cannot be read: {exc}")
        return False
    found.counts |= {"sales": int(sales), "last": int(top) or None, "outbox": depth}
    if repeated:
        found.problems.append(f"sale numbers repeat in the journal: {repeated}")
    last = 0 if row is None else int(row[0])
    if last < top:
        found.problems.append(f"the next sale would be {last + 1}, but {top} is already used")
    used, mark = max(last, top), found.marks.get("sale", 0)
    if mark > used + 1:
        # normal: mark == used (or used + 1 after a cut between reserving and committing)
        found.warnings.append(
            f"sales {used + 1} to {mark} are not in this store (a restored backup or lost "
            f"pages); the next sale is numbered above {mark}"
        )
    if parse_outbox:
        _check_sale_ids(db, found)
        _check_outbox(db, found)
    return True


def _check_sale_ids(db: sqlite3.Connection, found: _Findings) -> None:
    """Every sale has an id of its own (no index enforces that since schema 9: a UUIDv7,
    unique by its random bits). One sort of the journal: the full check only."""
    try:
        repeated = db.execute(
            "SELECT sale_id, group_concat(seq, ', ') FROM sales GROUP BY sale_id"
            " HAVING count(*) > 1 LIMIT 3"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        found.problems.append(f"the sales journal cannot be read: {exc}")
        return
    for sale_id, numbers in repeated:
        found.problems.append(f"sales {numbers} carry the same sale id {sale_id}")


def _check_outbox(db: sqlite3.Connection, found: _Findings) -> None:
    """Every outbox row parses, agrees with its columns and has an event id of its own
    (no index enforces that since schema 8); read row by row, so a week's backlog never
    sits in memory at once (only its ids do)."""
    seen: dict[str, int] = {}
    try:
        for row_id, event_id, stream, seq, payload in db.execute(
            "SELECT id, event_id, stream, seq, payload FROM outbox ORDER BY id"
        ):
            if event_id in seen:
                found.problems.append(
                    f"outbox rows {seen[event_id]} and {row_id} carry the same event id"
                )
            seen.setdefault(event_id, row_id)
            try:
                envelope = wire.parse_envelope(bytes(payload))
            except wire.WireError as exc:
                found.problems.append(f"outbox row {row_id} cannot be read: {exc}")
                continue
            if (envelope.event_id, envelope.stream, envelope.seq) != (event_id, stream, seq):
                found.problems.append(f"outbox row {row_id} disagrees with its payload")
    except sqlite3.DatabaseError as exc:
        found.problems.append(f"the outbox cannot be read: {exc}")


# -- recover ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoveryReport:
    """What `recover` did. `kept`: the damaged files, moved aside, never deleted."""

    kept: tuple[Path, ...]
    salvaged: dict[str, int]
    dropped: dict[str, int]
    unreadable: dict[str, str]
    next_numbers: dict[str, int]
    stock_adjusted: dict[str, int]
    incomplete_sales: tuple[int, ...]
    health: Health

    def lines(self) -> list[str]:
        out = [f"kept the damaged file as {p}" for p in self.kept] or ["no damaged file to keep"]
        for table, count in sorted(self.salvaged.items()):
            if not (count or self.dropped.get(table) or table in self.unreadable):
                continue
            extra = []
            if self.dropped.get(table):
                extra.append(f"{self.dropped[table]} dropped (damaged, or their parent is lost)")
            if table in self.unreadable:
                extra.append(f"some unreadable: {self.unreadable[table]}")
            out.append(
                f"  {table}: {count} rows saved" + (f"; {', '.join(extra)}" if extra else "")
            )
        if self.incomplete_sales:
            numbers = ", ".join(map(str, self.incomplete_sales[:20]))
            more = " ..." if len(self.incomplete_sales) > 20 else ""
            out.append(
                f"  {len(self.incomplete_sales)} sales lost lines (their totals stand; the"
                f" damaged file and head office have the rest): {numbers}{more}"
            )
        for gtin, delta in sorted(self.stock_adjusted.items()):
            out.append(f"  stock of {gtin}: ledger adjusted by {delta:+d} to match the level")
        for name, number in sorted(self.next_numbers.items()):
            out.append(f"  the next {name} is numbered {number}")
        return out + self.health.lines()


def recover(
    path: str | Path, backup_dir: str | Path, *, at_least: int = 0, now: datetime | None = None
) -> RecoveryReport:
    """Move the store aside, salvage what SQLite can read, build a fresh store with it.

    at_least: the next sale is numbered above this too (head office's last known number
    for this kiosk, when even the high-water mark is gone)."""
    from appliance.shell.store import Store

    path, backup_dir = Path(path), Path(backup_dir)
    holders = _holders(path)
    if holders:
        raise RecoveryError(f"the store is open in process {holders}: stop the kiosk first")
    try:
        marks = read_hwm(hwm_path(path))
    except HwmError:
        marks = {}  # `at_least` is then the only floor besides the salvaged rows
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    kept = _move_aside(path, backup_dir, stamp)
    # built under another name and renamed into place: a failure half-way leaves no store
    # that looks whole, and the kiosk keeps refusing to sell
    building = path.with_name(f"{path.name}.recovering")
    for leftover in (building, *(Path(f"{building}{s}") for s in SIDE_FILES)):
        leftover.unlink(missing_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="salvage-", dir=backup_dir))
    try:
        salvage = _Salvage.read(kept, scratch)
        _build(building, salvage)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    used = salvage.used()
    floors = {name: max(marks.get(name, 0), used.get(name, 0)) for name in {*marks, *used}}
    floors["sale"] = max(floors.get("sale", 0), at_least)
    with Store.open(building) as store:
        with store.transaction():
            for name, number in floors.items():
                store.db.execute(
                    "INSERT INTO sequences (name, last) VALUES (?, ?) ON CONFLICT (name)"
                    " DO UPDATE SET last = max(last, excluded.last)",
                    (name, number),
                )
            adjusted = _reconcile_stock(store, stamp)
        incomplete = tuple(
            int(r[0])
            for r in store.db.execute(
                f"SELECT s.seq FROM sales s LEFT JOIN sale_lines l ON {LINES_OF_SALE}"
                " GROUP BY s.seq HAVING COALESCE(sum(COALESCE(l.paid_minor, l.total_minor)),"
                " -1) != s.total_minor ORDER BY s.seq"
            )
        )
        last = dict(store.db.execute("SELECT name, last FROM sequences"))
    raise_hwm(hwm_path(path), {name: last[name] for name in NUMBERED if name in last})
    os.rename(building, path)
    _fsync_dir(path.parent)
    nexts = {name: last[name] + 1 for name in NUMBERED if name in last}
    return RecoveryReport(
        kept=kept,
        salvaged=salvage.saved,
        dropped=salvage.dropped,
        unreadable=salvage.unreadable,
        next_numbers=nexts,
        stock_adjusted=adjusted,
        incomplete_sales=incomplete,
        health=check(path),
    )


def _holders(path: Path) -> list[int]:
    """Processes (other than this one) with the store or its WAL open (Linux /proc)."""
    wanted = {str(path.resolve()) + suffix for suffix in ("", *SIDE_FILES)}
    found: list[int] = []
    for proc in Path("/proc").glob("[0-9]*"):
        if int(proc.name) == os.getpid():
            continue
        try:
            links = {os.readlink(fd) for fd in (proc / "fd").iterdir()}
        except OSError:
            continue
        if links & wanted:
            found.append(int(proc.name))
    return found


def _move_aside(path: Path, backup_dir: Path, stamp: str) -> tuple[Path, ...]:
    """Rename the store and its WAL together (they only make sense as a pair)."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    name = f"{path.name}.damaged-{stamp}"
    n = 1
    while (backup_dir / name).exists():
        n += 1
        name = f"{path.name}.damaged-{stamp}-{n}"
    kept: list[Path] = []
    for suffix in ("", *SIDE_FILES):
        source = Path(f"{path}{suffix}")
        if not source.exists():
            continue
        target = backup_dir / f"{name}{suffix}"
        try:
            os.rename(source, target)
        except OSError:  # another file system: copy it durably, then free the name
            shutil.copy2(source, target)
            with open(target, "rb+") as copy:
                os.fsync(copy.fileno())
            source.unlink()
        kept.append(target)
    _fsync_dir(backup_dir)
    _fsync_dir(path.parent)
    return tuple(kept)


@dataclass
class _Salvage:
    """Rows read from a copy of the damaged store (the kept file is never opened)."""

    version: int = SCHEMA_VERSION
    tables: dict[str, tuple[list[str], list[tuple[object, ...]]]] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)
    saved: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, kept: tuple[Path, ...], scratch: Path) -> _Salvage:
        found = cls()
        main = next((p for p in kept if not p.name.endswith(SIDE_FILES)), None)
        if main is None:
            return found
        copy = scratch / "salvage.sqlite3"
        shutil.copyfile(main, copy)
        wal = Path(f"{main}-wal")
        if wal.exists():  # committed sales may still be only in the WAL
            shutil.copyfile(wal, Path(f"{copy}-wal"))
        try:
            db = sqlite3.connect(copy, factory=_Guarded)
            # a file shorter than its header says (truncated) is refused as corrupt unless
            # the schema is "writable"; then SQLite reads the pages that are there. Only
            # this scratch copy is opened so, and nothing is written to it.
            db.execute("PRAGMA writable_schema=ON")
            db.execute("PRAGMA cell_size_check=ON")
        except sqlite3.Error as exc:
            found.unreadable["*"] = str(exc)
            return found
        try:
            found._read_all(db)
        finally:
            db.close()
        return found

    def _read_all(self, db: sqlite3.Connection) -> None:
        """Each table's rows; a table SQLite cannot read at all is noted, not fatal."""
        try:
            self.version = int(db.execute("PRAGMA user_version").fetchone()[0]) or SCHEMA_VERSION
            schema = db.execute(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            self.unreadable["*"] = str(exc)
            return
        for name, sql in schema:
            try:
                columns = [r[1] for r in db.execute(f'PRAGMA table_info("{name}")')]
            except sqlite3.DatabaseError as exc:
                self.unreadable[name] = str(exc)
                continue
            rowid = "WITHOUT ROWID" not in (sql or "").upper()
            rows, error = _read_rows(db, name, columns, rowid)
            self.tables[name] = (columns, rows)
            if error:
                self.unreadable[name] = error
        for row in self.tables.get("sequences", ([], []))[1]:
            if len(row) == 2 and isinstance(row[0], str) and isinstance(row[1], int):
                self.sequences[row[0]] = max(self.sequences.get(row[0], 0), row[1])

    def used(self) -> dict[str, int]:
        """The highest number of each sequence seen anywhere in the salvaged rows."""
        used = dict(self.sequences)

        def see(name: str, number: object) -> None:
            if isinstance(number, int):
                used[name] = max(used.get(name, 0), number)

        for name, (table, column) in NUMBERED.items():
            columns, rows = self.tables.get(table, ([], []))
            if column in columns:
                for row in rows:
                    see(name, row[columns.index(column)])
        columns, rows = self.tables.get("outbox", ([], []))
        if {"stream", "seq"} <= set(columns):
            for row in rows:
                see(f"stream:{row[columns.index('stream')]}", row[columns.index("seq")])
        if "id" in columns:
            for row in rows:
                see("outbox", row[columns.index("id")])
        return used


def _read_rows(
    db: sqlite3.Connection, table: str, columns: list[str], rowid: bool
) -> tuple[list[tuple[object, ...]], str]:
    """Every readable row. A rowid table is read in rowid order and, past a damaged page,
    from the next rowid that can be reached again; others from both ends."""
    cols = ", ".join(f'"{c}"' for c in columns)
    if not rowid:
        return _read_both_ends(db, table, cols)
    rows: list[tuple[object, ...]] = []
    error = ""
    start = -(2**63)
    while True:
        last = None
        try:
            for row in db.execute(
                f'SELECT rowid, {cols} FROM "{table}" NOT INDEXED WHERE rowid >= ? ORDER BY rowid',
                (start,),
            ):
                if last is not None and row[0] <= last:
                    raise sqlite3.DatabaseError("rows out of order (a damaged page loops)")
                rows.append(tuple(row[1:]))
                last = row[0]
                _alive(db)
            return rows, error
        except sqlite3.DatabaseError as exc:
            error = error or str(exc)
            base = start if last is None else last + 1
            resume = _next_readable(db, table, base)
            if resume is None:
                return rows, error
            start = resume


def _next_readable(db: sqlite3.Connection, table: str, base: int) -> int | None:
    """The first rowid at or after `base` that can be reached past the damage, or None."""

    def probe(at: int) -> tuple[bool, int | None]:
        try:
            row = db.execute(
                f'SELECT rowid FROM "{table}" NOT INDEXED WHERE rowid >= ? ORDER BY rowid LIMIT 1',
                (at,),
            ).fetchone()
        except sqlite3.DatabaseError:
            return False, None
        return True, None if row is None else int(row[0])

    low, step = base, 1
    while base + step < 2**62:  # gallop past the damaged range ...
        ok, _ = probe(base + step)
        if ok:
            break
        low, step = base + step, step * 2
    else:
        return None
    high = base + step
    while high - low > 1:  # ... then back to where it ends
        middle = (low + high) // 2
        ok, _ = probe(middle)
        low, high = (low, middle) if ok else (middle, high)
    return probe(high)[1]


def _read_both_ends(
    db: sqlite3.Connection, table: str, cols: str
) -> tuple[list[tuple[object, ...]], str]:
    rows: list[tuple[object, ...]] = []
    try:
        for row in db.execute(f'SELECT {cols} FROM "{table}" NOT INDEXED ORDER BY 1'):
            rows.append(tuple(row))
            _alive(db)
        return rows, ""
    except sqlite3.DatabaseError as exc:
        error = str(exc)
    seen = set(rows)
    try:
        for row in db.execute(f'SELECT {cols} FROM "{table}" NOT INDEXED ORDER BY 1 DESC'):
            if tuple(row) in seen:
                break
            rows.append(tuple(row))
            _alive(db)
    except sqlite3.DatabaseError:
        pass
    return rows, error


class _Guarded(sqlite3.Connection):
    """A salvage connection: a statement that yields no row for STALL_S is interrupted,
    because SQLite can go round in circles on some damaged pages."""

    STALL_S = 5.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quiet_since = time.monotonic()
        self.set_progress_handler(self._stalled, 10_000)

    def _stalled(self) -> bool:
        return time.monotonic() - self.quiet_since > self.STALL_S

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self.quiet_since = time.monotonic()
        return super().execute(sql, parameters)


def _alive(db: sqlite3.Connection) -> None:
    if isinstance(db, _Guarded):
        db.quiet_since = time.monotonic()


def _build(path: Path, salvage: _Salvage) -> None:
    """A fresh store at the salvaged rows' schema version, filled; Store.open upgrades it."""
    version = min(max(salvage.version, 1), SCHEMA_VERSION)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("BEGIN IMMEDIATE")
        for number in range(1, version + 1):
            for statement in statements(MIGRATIONS[number - 1]):
                db.execute(statement)
        db.execute(f"PRAGMA user_version={version}")
        for table in _parents_first(db):
            columns_there = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
            columns, rows = salvage.tables.get(table, ([], []))
            common = [c for c in columns if c in columns_there]
            if not common:
                continue
            picks = [columns.index(c) for c in common]
            insert = (
                f'INSERT OR IGNORE INTO "{table}" ({", ".join(common)})'
                f" VALUES ({', '.join('?' * len(common))})"
            )
            saved = dropped = 0
            whole = _VALID.get(table, _no_zeros_in_text)
            for row in rows:
                values = dict(zip(common, [row[i] for i in picks], strict=True))
                added = 0
                try:
                    if whole(values):
                        added = db.execute(insert, list(values.values())).rowcount
                except sqlite3.IntegrityError:
                    pass  # its sale (or refund) is lost: the row stays in the damaged file
                saved, dropped = saved + added, dropped + 1 - added
            salvage.saved[table] = saved
            if dropped:
                salvage.dropped[table] = dropped
        db.execute("COMMIT")
    finally:
        db.close()


def _outbox_row_whole(row: dict[str, Any]) -> bool:
    """An event whose payload no longer parses would block delivery to head office."""
    if not _no_zeros_in_text(row):
        return False
    try:
        envelope = wire.parse_envelope(bytes(row["payload"]))
    except (wire.WireError, TypeError, KeyError):
        return False
    return (envelope.event_id, envelope.stream, envelope.seq) == (
        row.get("event_id"),
        row.get("stream"),
        row.get("seq"),
    )


def _no_zeros_in_text(row: dict[str, Any]) -> bool:
    """A row read across a cut-off page comes back zero-filled past the cut (SQLite pads a
    short read): text with NUL characters in it. Nothing the kiosk writes holds one."""
    return not any(isinstance(v, str) and "\x00" in v for v in row.values())


_VALID: dict[str, Callable[[dict[str, Any]], bool]] = {"outbox": _outbox_row_whole}


def _parents_first(db: sqlite3.Connection) -> list[str]:
    """Every table, each after the tables its foreign keys point to."""
    tables = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY rowid"
        )
    ]
    parents = {
        t: {r[2] for r in db.execute(f'PRAGMA foreign_key_list("{t}")')} - {t} for t in tables
    }
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and parents[t] <= set(ordered)]
        ordered += ready or [t for t in tables if t not in ordered]  # a cycle: as they come
    return ordered


def _reconcile_stock(store: Store, stamp: str) -> dict[str, int]:
    """Where salvaged movements no longer add up to a product's level, one `recovery`
    movement makes them (the level, one small row per product, is the one kept whole
    more often); a level that is lost is rebuilt from its movements."""
    db = store.db
    adjusted: dict[str, int] = {}
    ledger = dict(db.execute("SELECT gtin, sum(delta) FROM stock_movements GROUP BY gtin"))
    levels = dict(db.execute("SELECT gtin, level FROM stock"))
    for gtin, total in ledger.items():
        if gtin not in levels:
            db.execute("INSERT INTO stock (gtin, level) VALUES (?, ?)", (gtin, total))
    for gtin, level in levels.items():
        delta = level - ledger.get(gtin, 0)
        if delta:
            db.execute(
                "INSERT INTO stock_movements (gtin, delta, reason, sale_id, at)"
                " VALUES (?, ?, 'recovery', NULL, ?)",
                (gtin, delta, stamp),
            )
            adjusted[gtin] = delta
    return adjusted


# -- the high-water mark -------------------------------------------------------------------


class HwmError(Exception):
    """The high-water mark file exists but neither of its slots can be read."""


_MAGIC = b"KHWM"
_SLOT = 512  # one sector each: the two are never written in one go
_HEAD = struct.Struct("<4sBxxxQII")  # magic, version, generation, length, crc32


def hwm_path(store_path: str | Path) -> Path:
    """`sequence.hwm` beside the store. Its name does not start with the store's, so a
    backup of `kiosk.sqlite3*` never carries it and a restore never winds it back."""
    return Path(store_path).with_name(HWM_FILE)


def _slot(raw: bytes) -> tuple[int, dict[str, int]] | None:
    if len(raw) < _HEAD.size:
        return None
    magic, version, generation, length, crc = _HEAD.unpack_from(raw)
    body = raw[_HEAD.size : _HEAD.size + length]
    if magic != _MAGIC or version != 1 or len(body) != length or zlib.crc32(body) != crc:
        return None
    try:
        values = json.loads(body)
    except ValueError:
        return None
    if not isinstance(values, dict) or not all(
        isinstance(k, str) and type(v) is int for k, v in values.items()
    ):
        return None
    return generation, values


def _read_slots(fd: int) -> tuple[int, dict[str, int]]:
    """(newest generation, the highest value of each name in any readable slot)."""
    readable = [s for s in (_slot(os.pread(fd, _SLOT, i * _SLOT)) for i in (0, 1)) if s]
    if not readable:
        raise HwmError(f"{HWM_FILE}: neither copy of the numbers used so far can be read")
    values: dict[str, int] = {}
    for _generation, found in readable:
        for name, value in found.items():
            values[name] = max(values.get(name, 0), value)
    return max(g for g, _ in readable), values


def read_hwm(path: str | Path) -> dict[str, int]:
    """The numbers used so far by name ({} when there is no file yet)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return {}
    try:
        return _read_slots(fd)[1]
    finally:
        os.close(fd)


class HighWater:
    """The high-water mark, kept open by the store: `reserve({"sale": n})` before
    committing number n writes (and fsyncs) only when n is above what the file holds."""

    def __init__(self, path: Path, fd: int, generation: int, values: dict[str, int]) -> None:
        self.path = path
        self._fd: int | None = fd
        self._generation = generation
        self.values = values

    @classmethod
    def open(cls, path: str | Path) -> HighWater:
        path = Path(path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size < 2 * _SLOT:
                # new: both slots written now, so later writes never allocate a block
                os.ftruncate(fd, 2 * _SLOT)
                empty = _encode(0, {})
                os.pwrite(fd, empty, 0)
                os.pwrite(fd, _encode(1, {}), _SLOT)
                os.fsync(fd)
                _fsync_dir(path.parent)
            generation, values = _read_slots(fd)
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd, generation, values)

    def reserve(self, numbers: Mapping[str, int], *, sync: bool = True) -> None:
        """Make the file hold at least these numbers before any is committed: one write,
        and none at all when it already does. With sync=False the write is not fsync'd:
        the store syncs every so many numbers and at close (see Store.transaction)."""
        if all(self.values.get(name, 0) >= n for name, n in numbers.items()):
            return
        if self._fd is None:
            raise OSError(f"{self.path} is closed")
        values = dict(self.values)
        for name, number in numbers.items():
            values[name] = max(values.get(name, 0), number)
        generation = self._generation + 1
        os.pwrite(self._fd, _encode(generation, values), (generation % 2) * _SLOT)
        if sync:
            os.fsync(self._fd)
        self._generation, self.values = generation, values

    def sync(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _encode(generation: int, values: Mapping[str, int]) -> bytes:
    body = orjson.dumps(dict(sorted(values.items())))  # = json.dumps(..., compact): ~1 µs
    raw = _HEAD.pack(_MAGIC, 1, generation, len(body), zlib.crc32(body)) + body
    if len(raw) > _SLOT:
        raise ValueError("too many sequences for one high-water slot")
    return raw.ljust(_SLOT, b"\0")


def raise_hwm(path: str | Path, values: Mapping[str, int]) -> None:
    """Raise the marks in `path` to at least `values` (never lowers one)."""
    mark = HighWater.open(path)
    try:
        mark.reserve(values)
    finally:
        mark.close()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
