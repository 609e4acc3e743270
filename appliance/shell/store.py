"""The store of record: SQLite in WAL mode with synchronous=FULL, one writer (the main loop).

docs/decisions/0001-sqlite-store-of-record.md says why SQLite. A paid sale, its stock
movements and its outbox row are one transaction: either all are on disk or none is.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import uuid6

from appliance import wire
from appliance.core.basket import Basket
from appliance.core.effects import SaleDraft
from appliance.core.products import Product
from appliance.core.promotion_codec import from_dict, to_dict
from appliance.core.promotions import Rule, gtins_of
from appliance.shell import clean_close
from appliance.shell.schema import LINE_KEY_SPAN, MIGRATIONS, SCHEMA_VERSION, statements
from appliance.shell.store_health import HighWater, hwm_path

log = logging.getLogger(__name__)
MARKED_SEQUENCES = ("sale", "refund")
SALES_STREAM_SEQ = f"stream:{wire.STREAM_SALES}"  # the sales stream's number in `sequences`
HWM_SYNC_EVERY = 10


class StoreError(Exception):
    """The store cannot do what was asked; the message says why in kiosk words."""


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    event_id: str
    stream: str
    seq: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class CommittedSale:
    sale_id: str
    seq: int
    event_id: str


class Store:
    """Open with Store.open(path); use as a context manager or call close()."""

    def __init__(self, db: sqlite3.Connection, path: str) -> None:
        self._db = db
        self.path = path
        # a sale taking a product's stock to this level or below tells head office
        self.low_stock_level = 5
        # the outbox depth, kept as a counter: counting 100,000 rows after every sale
        # would cost milliseconds. None = not known (at open, after a rollback).
        self._outbox_rows: int | None = None
        self._outbox_change = 0
        # numbers that must never repeat, also after a backup is restored: their high-water
        # mark lives beside the database (store_health.HighWater), outside any backup of it
        self._hwm: HighWater | None = None
        self._taken: dict[str, int] = {}
        # each sequence's last number as this connection last committed it, and as the
        # open transaction has taken it: a hint for _take's guarded UPDATE, never trusted
        # on its own (a stale hint costs one slow statement, not a repeated number)
        self._last: dict[str, int] = {}
        self._taking: dict[str, int] = {}
        # event id -> outbox row id of every row handed out by outbox_pending and not yet
        # acknowledged: head office acknowledges by event id, and the outbox keeps no index
        # on it (one b-tree page less in every sale's commit; schema version 8)
        self._handed_out: dict[str, int] = {}
        # a sale committed since the open sale was last saved: its row reads as paid, and
        # clearing it needs no write (see save_open_sale / load_open_sale)
        self._open_sale_paid = False

    @classmethod
    def open(cls, path: str | Path) -> Store:
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=5000")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from exc
        store = cls(db, path)
        try:
            if path != ":memory:":
                clean_close.clear(path)  # open now: a cut from here on needs the full check
            store._migrate()
        except BaseException:
            db.close()
            raise
        if path != ":memory:":
            try:
                store._hwm = HighWater.open(hwm_path(path))
            except OSError as exc:
                db.close()
                raise StoreError(f"cannot open the sequence mark beside {path}: {exc}") from exc
            store._lift_sequences()
        return store

    def _lift_sequences(self) -> None:
        """After a restored backup the database is behind numbers already used: continue
        above the mark, so no sale or refund number is ever handed out twice."""
        assert self._hwm is not None
        used = dict(self._db.execute("SELECT name, last FROM sequences").fetchall())
        behind = {
            name: n
            for name, n in self._hwm.values.items()
            if name in MARKED_SEQUENCES and n > used.get(name, 0)
        }
        if behind:
            with self.transaction():
                for name, n in behind.items():
                    self._db.execute(
                        "INSERT INTO sequences (name, last) VALUES (?, ?)"
                        " ON CONFLICT (name) DO UPDATE SET last = max(last, excluded.last)",
                        (name, n),
                    )

    def close(self) -> None:
        if self._hwm is not None:
            self._hwm.sync()
            self._hwm.close()
            self._hwm = None
        if self._db is not None:
            self._db.close()
            self._db = None  # type: ignore[assignment]
            if self.path != ":memory:":
                try:
                    clean_close.write(self.path)
                except OSError as exc:  # only costs a full check at the next start
                    log.warning("the store's clean-close mark not written: %s", exc)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- schema ------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store is version {version}, newer than this software ({SCHEMA_VERSION})"
            )
        if version == SCHEMA_VERSION:
            return
        # a migration may rebuild a table (create, copy, drop, rename: SQLite's documented
        # way), which foreign keys would block half-way: they are off while migrations run
        # and every reference is checked before each COMMIT instead
        self._db.execute("PRAGMA foreign_keys=OFF")
        try:
            for number in range(version + 1, SCHEMA_VERSION + 1):
                with self.transaction():
                    for statement in statements(MIGRATIONS[number - 1]):
                        try:
                            self._db.execute(statement)
                        except sqlite3.IntegrityError as exc:
                            raise StoreError(
                                f"migration to version {number} cannot move a row ({exc});"
                                " the store is unchanged: see `kiosk store recover`"
                            ) from exc
                    broken = self._db.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(
                            f"migration to version {number} would break {len(broken)}"
                            f" references (first: {broken[0]}); the store is unchanged"
                        )
                    self._db.execute(f"PRAGMA user_version={number}")
        finally:
            self._db.execute("PRAGMA foreign_keys=ON")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error). For the store's own modules."""
        self._db.execute("BEGIN IMMEDIATE")
        self._outbox_change = 0
        self._taken = {}
        self._taking = {}
        try:
            yield
            self._mark_taken()
        except BaseException:
            self._taking = {}
            if self._db.in_transaction:  # SQLITE_FULL inside a statement rolled back already
                self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except BaseException:
            self._outbox_rows = None  # what is on disk is not known: count again
            self._last, self._taking = {}, {}
            raise
        self._last.update(self._taking)
        if self._outbox_rows is not None:
            self._outbox_rows += self._outbox_change

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, for the store's own modules (suspended, refunds, reports)."""
        return self._db

    # -- catalog -----------------------------------------------------------------------

    def replace_catalog(
        self,
        products: Iterable[Product],
        promotions: Iterable[Rule] = (),
        stock: dict[str, int] | None = None,
        at: str = "",
    ) -> None:
        """Load a whole catalog atomically (demo data, scenarios, first provisioning)."""
        with self.transaction():
            self._db.execute("DELETE FROM products")
            self._db.execute("DELETE FROM promotion_rules")
            self._db.executemany(
                "INSERT INTO products (gtin, name, price_minor, vat_rate_bp, age_limit, weighed,"
                " quantity_limit, plu) VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        p.gtin,
                        p.name,
                        p.price_minor,
                        p.vat_rate_bp,
                        p.age_limit,
                        int(p.weighed),
                        p.quantity_limit,
                        p.plu,
                    )
                    for p in products
                ],
            )
            self._db.executemany(
                "INSERT INTO promotion_rules (promo_id, kind, name, body) VALUES (?,?,?,?)",
                [
                    (p.promo_id, p.kind, p.name, json.dumps(to_dict(p), sort_keys=True))
                    for p in promotions
                ],
            )
            for gtin, level in (stock or {}).items():
                self._set_stock(gtin, level, "count", at)

    _PRODUCT = (
        "SELECT gtin, name, price_minor, vat_rate_bp, age_limit, weighed, quantity_limit, plu"
        " FROM products"
    )

    def product(self, gtin: str) -> Product | None:
        row = self._db.execute(f"{self._PRODUCT} WHERE gtin = ?", (gtin,)).fetchone()
        return None if row is None else _product(row)

    def product_by_plu(self, plu: str) -> Product | None:
        row = self._db.execute(f"{self._PRODUCT} WHERE plu = ?", (plu,)).fetchone()
        return None if row is None else _product(row)

    def promotions(self) -> tuple[Rule, ...]:
        rows = self._db.execute("SELECT body FROM promotion_rules ORDER BY promo_id").fetchall()
        try:
            return tuple(from_dict(json.loads(row[0])) for row in rows)
        except ValueError as exc:  # a row the software cannot read: refuse to sell wrongly
            raise StoreError(f"a promotion in the store is unreadable: {exc}") from exc

    def shelf_prices(self) -> dict[str, int]:
        """Prices of the non-weighed products that take part in a promotion (for hints)."""
        gtins: set[str] = set()
        for rule in self.promotions():
            gtins |= gtins_of(rule)
        out: dict[str, int] = {}
        for gtin in sorted(gtins):
            product = self.product(gtin)
            if product is not None and not product.weighed:
                out[gtin] = product.price_minor
        return out

    def product_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM products").fetchone()[0])

    # -- stock -------------------------------------------------------------------------

    def stock_level(self, gtin: str) -> int | None:
        row = self._db.execute("SELECT level FROM stock WHERE gtin = ?", (gtin,)).fetchone()
        return None if row is None else int(row[0])

    def _set_stock(self, gtin: str, level: int, reason: str, at: str) -> None:
        old = self.stock_level(gtin) or 0
        self.move_stock(gtin, level - old, reason, None, at)

    def move_stock(self, gtin: str, delta: int, reason: str, sale_id: str | None, at: str) -> int:
        """One ledger movement and the level with it; call inside a transaction. The new
        level."""
        level = self._db.execute(
            "INSERT INTO stock (gtin, level) VALUES (?, ?)"
            " ON CONFLICT (gtin) DO UPDATE SET level = level + excluded.level RETURNING level",
            (gtin, delta),
        ).fetchone()[0]
        self._db.execute(
            "INSERT INTO stock_movements (gtin, delta, reason, sale_id, at) VALUES (?,?,?,?,?)",
            (gtin, delta, reason, sale_id, at),
        )
        return int(level)

    def _move_stock_many(
        self, out: dict[str, int], reason: str, sale_id: str, at: str
    ) -> list[tuple[str, int]]:
        """Take `out` units of each GTIN, one ledger movement each, in three statements
        whatever the basket's size (call inside a transaction). (gtin, new level) pairs."""
        self._db.executemany(
            "INSERT INTO stock (gtin, level) VALUES (?, ?)"
            " ON CONFLICT (gtin) DO UPDATE SET level = level + excluded.level",
            [(gtin, -units) for gtin, units in out.items()],
        )
        self._db.executemany(
            "INSERT INTO stock_movements (gtin, delta, reason, sale_id, at) VALUES (?,?,?,?,?)",
            [(gtin, -units, reason, sale_id, at) for gtin, units in out.items()],
        )
        marks = ",".join("?" * len(out))
        rows = self._db.execute(
            f"SELECT gtin, level FROM stock WHERE gtin IN ({marks})", tuple(out)
        ).fetchall()
        return [(str(r[0]), int(r[1])) for r in rows]

    # -- sales -------------------------------------------------------------------------

    def commit_sale(
        self, draft: SaleDraft, kiosk_id: str, wall_at: str, clock_synced: bool
    ) -> CommittedSale:
        """Sale, lines, stock movements and the outbox row: one fsync'd transaction."""
        sale_id = new_id()
        event_id = new_id()
        try:
            with self.transaction():
                seq, stream_seq, row_id = self._take("sale", SALES_STREAM_SEQ, "outbox")
                totals = draft.totals
                self._db.execute(
                    "INSERT INTO sales (sale_id, seq, at, currency, total_minor, saved_minor,"
                    " payment_method, payment_reference) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        sale_id,
                        seq,
                        wall_at,
                        draft.currency,
                        totals.total_minor,
                        totals.saved_minor,
                        draft.payment_method,
                        draft.payment_reference,
                    ),
                )
                paid = Basket(draft.lines).paid_by_line(totals.savings)
                self._db.executemany(
                    "INSERT INTO sale_lines (line_key, seq, line_no, gtin, name, quantity,"
                    " unit_price_minor, total_minor, vat_rate_bp, paid_minor)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    [
                        (
                            seq * LINE_KEY_SPAN + line.line_no,
                            seq,
                            line.line_no,
                            line.product.gtin,
                            line.product.name,
                            line.quantity,
                            line.unit_price_minor,
                            line.total_minor,
                            line.product.vat_rate_bp,
                            paid[line.line_no],
                        )
                        for line in draft.lines
                    ],
                )
                # the open sale is paid now and must not come back after a restart: it
                # was saved with the sale number before this one (open_sale.after_sale),
                # which load_open_sale reads as paid once the sequence has moved past it;
                # no write to open_sale here (one page less to fsync with every sale)
                sold: dict[str, int] = {}
                for line in draft.lines:
                    sold[line.product.gtin] = sold.get(line.product.gtin, 0) + line.quantity
                for gtin, level in self._move_stock_many(sold, "sale", sale_id, wall_at):
                    self._stock_alert(gtin, level, sold[gtin], kiosk_id, wall_at, clock_synced)
                body = sale_body(sale_id, seq, draft)
                envelope = wire.Envelope(
                    event_id, kiosk_id, wire.STREAM_SALES, stream_seq, wall_at, clock_synced, body
                )
                self._insert_outbox(row_id, envelope)
        except sqlite3.Error as exc:
            raise StoreError(f"the sale could not be saved: {exc}") from exc
        self._open_sale_paid = True
        return CommittedSale(sale_id, seq, event_id)

    def _next(self, name: str) -> int:
        return self._take(name)[0]

    def _take(self, *names: str) -> tuple[int, ...]:
        """The next number of each of these sequences; inside a transaction. A sale takes
        three (its number, its stream's, the outbox row's).

        Each is one UPDATE guarded by the number this connection last saw (`last = n`):
        ~2 µs, where one UPSERT ... RETURNING for all three cost ~30 µs of every sale's
        commit. A sequence seen for the first time, or changed by another writer, takes
        the sure path: an UPSERT that returns the number."""
        got: list[int] = []
        for name in names:
            seen = self._taking.get(name, self._last.get(name))
            if (
                seen is not None
                and self._db.execute(
                    "UPDATE sequences SET last = ? WHERE name = ? AND last = ?",
                    (seen + 1, name, seen),
                ).rowcount
                == 1
            ):
                number = seen + 1
            else:
                number = int(
                    self._db.execute(
                        "INSERT INTO sequences (name, last) VALUES (?, 1) ON CONFLICT (name)"
                        " DO UPDATE SET last = last + 1 RETURNING last",
                        (name,),
                    ).fetchone()[0]
                )
            self._taking[name] = number
            if name in MARKED_SEQUENCES:
                self._taken[name] = number
            got.append(number)
        return tuple(got)

    def next_number(self, name: str) -> int:
        """The next number of a sequence (sale, refund, ...); call inside a transaction."""
        return self._next(name)

    def _mark_taken(self) -> None:
        """Before COMMIT: write the numbers this transaction takes to the mark file. The
        write costs microseconds; it is fsync'd every HWM_SYNC_EVERY numbers and at close,
        so the mark is on disk long before anyone could restore a backup."""
        if self._hwm is None or not self._taken:
            return
        sync = any(n % HWM_SYNC_EVERY == 0 for n in self._taken.values())
        try:
            self._hwm.reserve(self._taken, sync=sync)
        except OSError as exc:
            raise StoreError(f"the sequence mark cannot be written: {exc}") from exc

    def _stock_alert(
        self, gtin: str, level: int, sold: int, kiosk_id: str, at: str, synced: bool
    ) -> None:
        """Tell head office, in the sale's own transaction, when it took stock low or out."""
        before = level + sold
        kind = ""
        if level <= 0 < before:
            kind = "out"
        elif level <= self.low_stock_level < before:
            kind = "low"
        if kind:
            body = {"gtin": gtin, "level": level, "kind": kind, "threshold": self.low_stock_level}
            self.append_outbox(new_id(), kiosk_id, wire.STREAM_STOCK, at, synced, body)

    def sales_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM sales").fetchone()[0])

    def sales(self) -> list[dict[str, object]]:
        """Every committed sale with its lines, oldest first (exports, scenarios)."""
        out: list[dict[str, object]] = []
        for row in self._db.execute(
            "SELECT sale_id, seq, at, currency, total_minor, saved_minor, payment_method,"
            " payment_reference FROM sales ORDER BY seq"
        ).fetchall():
            lines = self._db.execute(
                "SELECT line_no, gtin, name, quantity, unit_price_minor, total_minor, vat_rate_bp"
                " FROM sale_lines WHERE line_key >= ? AND line_key < ? ORDER BY line_key",
                (row[1] * LINE_KEY_SPAN, (row[1] + 1) * LINE_KEY_SPAN),
            ).fetchall()
            keys = (
                "line_no",
                "gtin",
                "name",
                "quantity",
                "unit_price_minor",
                "total_minor",
                "vat_rate_bp",
            )
            out.append(
                {
                    "sale_id": row[0],
                    "seq": row[1],
                    "at": row[2],
                    "currency": row[3],
                    "total_minor": row[4],
                    "saved_minor": row[5],
                    "payment": {"method": row[6], "reference": row[7]},
                    "lines": [dict(zip(keys, line, strict=True)) for line in lines],
                }
            )
        return out

    def sale_ids(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT sale_id FROM sales ORDER BY seq")]

    # -- outbox ------------------------------------------------------------------------

    def append_outbox(
        self,
        event_id: str,
        kiosk_id: str,
        stream: str,
        at: str,
        synced: bool,
        body: dict[str, object],
    ) -> None:
        seq, row_id = self._take(f"stream:{stream}", "outbox")
        envelope = wire.Envelope(event_id, kiosk_id, stream, seq, at, synced, body)
        self._insert_outbox(row_id, envelope)

    def _insert_outbox(self, row_id: int, envelope: wire.Envelope) -> None:
        # ids only ever grow (the reporter reads on from the last id it sent), also when
        # every row has been acknowledged: they come from a sequence, not max(id) + 1
        self._db.execute(
            "INSERT INTO outbox (id, event_id, stream, seq, payload) VALUES (?,?,?,?,?)",
            (row_id, envelope.event_id, envelope.stream, envelope.seq, envelope.to_json()),
        )
        self._outbox_change += 1

    def outbox_pending(self, limit: int, after_id: int = 0) -> list[OutboxRow]:
        rows = self._db.execute(
            "SELECT id, event_id, stream, seq, payload FROM outbox"
            " WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        ).fetchall()
        for r in rows:
            self._handed_out[r[1]] = r[0]
        return [OutboxRow(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]

    def mark_delivered(self, event_ids: Iterable[str]) -> int:
        """Remove acknowledged rows; the number removed. Unknown or repeated ids change
        nothing. Rows handed out by outbox_pending go by their row id; any other id (an
        ack for a row this process has not read yet, after a restart) costs one pass over
        the outbox for the whole batch."""
        wanted = dict.fromkeys(event_ids)
        known = [(e, self._handed_out[e]) for e in wanted if e in self._handed_out]
        other = [e for e in wanted if e not in self._handed_out]
        removed = 0
        with self.transaction():
            if known:  # one statement: executemany lets go of the GIL at every row
                cur = self._db.execute(
                    "DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps([row_id for _, row_id in known]),),
                )
                removed += max(0, cur.rowcount)
            if other:
                cur = self._db.execute(
                    "DELETE FROM outbox WHERE event_id IN (SELECT value FROM json_each(?))",
                    (json.dumps(other),),
                )
                removed += max(0, cur.rowcount)
            self._outbox_change -= removed
        for e, _ in known:
            del self._handed_out[e]
        return removed

    def outbox_depth(self) -> int:
        """Events waiting for head office's acknowledgement."""
        if self._outbox_rows is None:
            self._outbox_rows = int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])
        return self._outbox_rows

    # -- audit -------------------------------------------------------------------------

    def audit(
        self, action: str, detail: str, at: str, staff_id: str = "", reason: str = ""
    ) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO audit (at, action, detail, staff_id, reason) VALUES (?,?,?,?,?)",
                (at, action, detail, staff_id, reason),
            )

    def audit_log(self) -> list[tuple[str, str, str, str, str]]:
        """(at, action, detail, staff_id, reason), oldest first."""
        return [
            (r[0], r[1], r[2], r[3], r[4])
            for r in self._db.execute(
                "SELECT at, action, detail, staff_id, reason FROM audit ORDER BY id"
            )
        ]

    # -- the open (unpaid) sale -----------------------------------------------------------

    def save_open_sale(self, body: dict[str, object] | None, at: str) -> None:
        """Keep the unpaid sale so a restart brings it back; None clears it. The row notes
        the last sale number at the time (after_sale): once a sale is committed after it,
        the row is the paid sale's and load_open_sale ignores it."""
        if body is None and self._open_sale_paid:
            return  # the row there reads as paid already: nothing to write
        with self.transaction():
            if body is None:
                self._db.execute("DELETE FROM open_sale")
            else:
                self._db.execute(
                    "INSERT INTO open_sale (id, body, updated_at, after_sale) VALUES (1, ?, ?,"
                    " (SELECT COALESCE(max(last), 0) FROM sequences WHERE name = 'sale'))"
                    " ON CONFLICT (id) DO UPDATE SET body = excluded.body,"
                    " updated_at = excluded.updated_at, after_sale = excluded.after_sale",
                    (json.dumps(body, sort_keys=True), at),
                )
        self._open_sale_paid = False

    def save_lane(self, body: dict[str, object] | None) -> None:
        """Keep what of the lane outlives a restart (snapshot.lane); None clears it."""
        with self.transaction():
            if body is None:
                self._db.execute("DELETE FROM meta WHERE key = 'lane'")
            else:
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES ('lane', ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (json.dumps(body, sort_keys=True),),
                )

    def load_lane(self) -> dict[str, Any] | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'lane'").fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        return data if isinstance(data, dict) else None

    def load_open_sale(self) -> dict[str, Any] | None:
        """The unpaid sale a restart brings back; None when there is none, or when a sale
        was committed after it was saved (it is that sale, paid)."""
        row = self._db.execute(
            "SELECT body, after_sale, (SELECT COALESCE(max(last), 0) FROM sequences"
            " WHERE name = 'sale') FROM open_sale WHERE id = 1"
        ).fetchone()
        if row is None or (row[1] is not None and row[2] > row[1]):
            return None
        data = json.loads(row[0])
        return data if isinstance(data, dict) else None


def new_id() -> str:
    """The id of a new sale, refund or outbox event: a version 7 UUID (RFC 9562), so ids
    grow with time and each new key lands at the end of its b-tree, one page per commit
    where a random key dirties a page anywhere (docs/decisions/0001). A wall clock set back
    costs only that locality: 74 random bits keep every id unique."""
    return str(uuid6.uuid7())


def sale_body(sale_id: str, seq: int, draft: SaleDraft) -> dict[str, object]:
    """The sale as head office receives it (validated by wire.validate_sale_body)."""
    totals = draft.totals
    return {
        "sale_id": sale_id,
        "sale_seq": seq,
        "currency": draft.currency,
        "total_minor": totals.total_minor,
        "saved_minor": totals.saved_minor,
        "payment": {"method": draft.payment_method, "reference": draft.payment_reference},
        "lines": [
            {
                "line_no": line.line_no,
                "gtin": line.product.gtin,
                "name": line.product.name,
                "quantity": line.quantity,
                "unit_price_minor": line.unit_price_minor,
                "total_minor": line.total_minor,
                "vat_rate_bp": line.product.vat_rate_bp,
            }
            for line in draft.lines
        ],
        "savings": [
            {"promo_id": s.promo_id, "name": s.name, "amount_minor": s.amount_minor}
            for s in totals.savings
        ],
        "tax": [
            {"rate_bp": t.rate_bp, "gross_minor": t.gross_minor, "tax_minor": t.tax_minor}
            for t in totals.tax_rows
        ],
    }


def _product(row: tuple[Any, ...]) -> Product:
    return Product(row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6], row[7])
