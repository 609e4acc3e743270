"""A real kiosk process to cut the power of: start it, SIGKILL it, check what it left.

The child is tests/support/sell_forever.py. `check_store` is the parent's audit after
each cut: it opens the store afresh (as the restarted kiosk does, WAL recovery included)
and checks it against the witness logs the child fsync'd beside it.
"""

from __future__ import annotations

import itertools
import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance import wire
from appliance.catalog_file import Catalog
from appliance.core.barcodes import gs1_check_digit
from appliance.core.products import Product
from appliance.core.promotions import Promotion
from appliance.shell import store_health
from appliance.shell.store import Store

REPO = Path(__file__).resolve().parents[2]
KIOSK_ID = "lane-cut"
START_STOCK = 1_000_000  # never low: no stock alerts, so the outbox holds sales and refunds


def _code(payload: str) -> str:
    return payload + str(gs1_check_digit(payload))


CODES = tuple(_code(f"59000000000{n}") for n in range(1, 6))


def catalog() -> Catalog:
    """Five products at two VAT rates, and a multi-buy so savings are shared out."""
    names = ("Milk 1 l", "Rye bread", "Coffee 250 g", "Apples 1 kg", "Soap")
    prices = (129, 349, 1299, 399, 199)
    rates = (500, 500, 2300, 500, 2300)
    products = [
        Product("0" + code, name, price, rate)
        for code, name, price, rate in zip(CODES, names, prices, rates, strict=True)
    ]
    bundle = Promotion("MILK2", "2 milk for 2.00", frozenset({products[0].gtin}), 2, 200)
    return Catalog("EUR", products, [bundle], {product.gtin: START_STOCK for product in products})


def kiosk_settings(data_dir: Path) -> dict[str, dict[str, Any]]:
    return {
        "kiosk": {"id": KIOSK_ID, "data_dir": str(data_dir), "currency": "EUR"},
        "broker": {"enabled": False},
    }


def provision(data_dir: Path) -> Path:
    """The store with its catalog and opening stock, before the first start."""
    path = data_dir / store_health.STORE_FILE
    loaded = catalog()
    with Store.open(path) as store:
        store.replace_catalog(
            loaded.products, loaded.promotions, loaded.stock, "2026-11-23T08:00:00+00:00"
        )
    return path


class ChildDied(AssertionError):
    pass


class KioskProcess:
    """`python -m tests.support.sell_forever` on `data_dir`; stderr goes to child.log."""

    def __init__(self, data_dir: Path, seed: int) -> None:
        self.data_dir = data_dir
        self._log = open(data_dir / "child.log", "ab")  # noqa: SIM115 - closed in wait()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.sell_forever",
                "--data-dir",
                str(data_dir),
                "--seed",
                str(seed),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )

    def wait_ready(self, timeout_s: float = 30.0) -> str:
        """Until it prints "ready <what the restart found>" (built, settled, about to sell)."""
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout_s):
                raise ChildDied(f"not ready within {timeout_s} s\n{self.log_tail()}")
        line = self.proc.stdout.readline().decode(errors="replace").split()
        if line[:1] != ["ready"]:
            self.wait()
            raise ChildDied(f"ended before ready: {line!r}\n{self.log_tail()}")
        return " ".join(line[1:])

    def cut_power(self) -> None:
        """SIGKILL: no handler, no flush, no close runs (the nearest a process gets to a cut)."""
        if self.proc.poll() is not None:
            raise ChildDied(f"exited by itself ({self.proc.returncode})\n{self.log_tail()}")
        self.proc.send_signal(signal.SIGKILL)
        self.wait()

    def wait(self) -> None:
        self.proc.wait(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()

    def log_tail(self, lines: int = 30) -> str:
        text = (self.data_dir / "child.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


# -- the audit -------------------------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    """Whole lines only: a line the cut tore in half was never fsync'd, so never counted."""
    if not path.exists():
        return []
    text = path.read_text()
    return text.split("\n")[:-1]


@dataclass
class Acks:
    done: set[str] = field(default_factory=set)
    in_flight: set[str] = field(default_factory=set)  # intent logged, done not: either way
    refs: dict[str, str] = field(default_factory=dict)  # event id → sale or refund id


def read_acks(path: Path) -> Acks:
    acks = Acks()
    intents: set[str] = set()
    for line in _lines(path):
        kind, *words = line.split(" ")
        if kind == "intent":
            for event_id, _stream, ref in zip(words[::3], words[1::3], words[2::3], strict=True):
                intents.add(event_id)
                acks.refs[event_id] = ref
        elif kind == "done":
            acks.done |= set(words)
    acks.in_flight = intents - acks.done
    return acks


@dataclass
class Audit:
    """What one check saw: sale id → (seq, total, lines), for the next check to compare."""

    sales: dict[str, tuple[int, int, int]]
    refunds: int
    printed: int
    unprinted: int  # committed, receipt not witnessed: the cut came between commit and print
    acks_in_flight: int


def check_store(data_dir: Path, before: Audit | None = None) -> Audit:
    """(a)-(e) of the power-cut guarantee; AssertionError naming what broke."""
    path = data_dir / store_health.STORE_FILE
    with Store.open(path) as store:  # what the restarted kiosk does first
        db = store.db
        audit = _check_journal(db, data_dir, before)
        _check_stock(db)
        _check_outbox(db, read_acks(data_dir / "acked.log"), audit)
    health = store_health.check(path)  # (e) integrity_check, foreign keys, outbox parses
    assert health.fit, f"store not fit after a cut: {health.problems}"
    return audit


def _check_journal(db: sqlite3.Connection, data_dir: Path, before: Audit | None) -> Audit:
    rows = db.execute(
        "SELECT s.sale_id, s.seq, s.total_minor, count(l.line_no) FROM sales s"
        " LEFT JOIN sale_lines l ON l.line_key >= s.seq * 1048576"
        " AND l.line_key < (s.seq + 1) * 1048576 GROUP BY s.seq ORDER BY s.seq"
    ).fetchall()
    sales = {r[0]: (r[1], r[2], r[3]) for r in rows}
    # (a) every printed receipt's sale is in the journal, exactly once
    printed = _lines(data_dir / "printed.log")
    twice = [sale for sale, n in Counter(printed).items() if n > 1]
    assert not twice, f"receipts printed twice: {twice}"
    missing = [sale for sale in printed if sale not in sales]
    assert not missing, f"{len(missing)} printed sales are not in the journal: {missing[:3]}"
    assert all(r[3] > 0 for r in rows), "a sale without lines"
    # (b) numbers unique and strictly increasing in commit order, never behind the sequence
    seqs = [r[1] for r in rows]
    assert all(a < b for a, b in itertools.pairwise(seqs)), "sale numbers out of order"
    last = db.execute("SELECT last FROM sequences WHERE name = 'sale'").fetchone()
    assert not seqs or (last is not None and last[0] >= seqs[-1]), "sequence behind the journal"
    printed_seqs = [sales[sale][0] for sale in printed]
    assert printed_seqs == sorted(printed_seqs), "receipts printed out of number order"
    mark = store_health.read_hwm(store_health.hwm_path(data_dir / store_health.STORE_FILE))
    if mark:  # once store.py keeps the high-water mark, it is never behind the journal
        assert not seqs or mark.get("sale", 0) >= seqs[-1], "high-water mark behind a sale"
    # nothing committed is ever lost or changed by a later cut
    if before is not None:
        lost = [sale for sale, kept in before.sales.items() if sales.get(sale) != kept]
        assert not lost, f"{len(lost)} committed sales lost or changed: {lost[:3]}"
    refunds = {int(r[0]) for r in db.execute("SELECT seq FROM refunds")}
    slips = [int(n) for n in _lines(data_dir / "refunds.log")]
    assert set(slips) <= refunds, f"refund slips without a refund: {set(slips) - refunds}"
    assert len(slips) == len(set(slips)), "a refund slip printed twice"
    return Audit(sales, len(refunds), len(printed), len(sales) - len(printed), 0)


def _check_stock(db: sqlite3.Connection) -> None:
    """(c) level = start - sold + returned (from the journal) = the sum of the ledger."""
    sold = dict(db.execute("SELECT gtin, sum(quantity) FROM sale_lines GROUP BY gtin"))
    returned = dict(db.execute("SELECT gtin, sum(units) FROM refund_lines GROUP BY gtin"))
    ledger = dict(db.execute("SELECT gtin, sum(delta) FROM stock_movements GROUP BY gtin"))
    for gtin, level in db.execute("SELECT gtin, level FROM stock"):
        expected = START_STOCK - sold.get(gtin, 0) + returned.get(gtin, 0)
        assert level == expected, f"stock of {gtin} is {level}, the journal says {expected}"
        assert ledger.get(gtin) == level, f"ledger of {gtin} sums to {ledger.get(gtin)}"
    per_sale = db.execute(
        "SELECT count(*) FROM sales s WHERE (SELECT COALESCE(sum(quantity), 0) FROM sale_lines"
        " WHERE line_key >= s.seq * 1048576 AND line_key < (s.seq + 1) * 1048576)"
        " != -(SELECT COALESCE(sum(delta), 0) FROM stock_movements"
        " WHERE sale_id = s.sale_id AND reason = 'sale')"
    ).fetchone()[0]
    assert per_sale == 0, f"{per_sale} sales whose stock movements differ from their lines"


def _check_outbox(db: sqlite3.Connection, acks: Acks, audit: Audit) -> None:
    """(d) the outbox holds exactly the committed facts head office has not acknowledged."""
    rows = db.execute("SELECT event_id, stream, payload FROM outbox").fetchall()
    facts = set(audit.sales) | {r[0] for r in db.execute("SELECT refund_id FROM refunds")}
    waiting: Counter[str] = Counter()
    for event_id, stream, payload in rows:
        assert event_id not in acks.done, f"acknowledged event {event_id} is still in the outbox"
        assert stream in ("sales", "refunds"), f"unexpected {stream} event"
        body = wire.parse_envelope(bytes(payload)).body
        ref = body["sale_id"] if stream == "sales" else body["refund_id"]
        assert ref in facts, f"outbox event {event_id} for {ref}, which was never committed"
        waiting[ref] += 1
    assert all(n == 1 for n in waiting.values()), "a fact with two outbox events"
    acked = {acks.refs[e] for e in acks.done}
    maybe = {acks.refs[e] for e in acks.in_flight}
    unsent = facts - set(waiting) - acked - maybe
    assert not unsent, f"{len(unsent)} committed facts neither in the outbox nor acked"
    assert not (acked & set(waiting)), "an acknowledged fact is still waiting"
    audit.acks_in_flight = len(acks.in_flight)


def timed(what: str, started: float, **figures: object) -> str:
    extra = ", ".join(f"{k} {v}" for k, v in figures.items())
    return f"{what}: {time.monotonic() - started:.1f} s; {extra}"
