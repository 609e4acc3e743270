"""The store-of-record decision (docs/decisions/0001): our sale commit vs TinyDB vs append+fsync.

Every figure is the time until a sale is durable, measured in one run on one disk and
divided by the time of the cheapest durable write there is: append one sale-sized JSON
line to a file and fsync it. The ratio is what carries from this machine to a Pi's SD card.
Each sale commit is timed right after one reference append, so that a busy neighbour on a
shared machine slows both alike; each row's ratio is against the appends beside it.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from tinydb import TinyDB

from appliance import wire
from appliance.core import snapshot
from appliance.core.barcodes import gs1_check_digit
from appliance.core.basket import Basket
from appliance.core.effects import SaleDraft
from appliance.core.products import Product
from appliance.core.state import Checkout, KioskState
from appliance.shell.store import Store, sale_body
from bench.common import Result, compare, scratch_dir, time_calls

KIOSK_ID = "kiosk-bench"
WALL_AT = "2026-11-23T17:30:00+00:00"
REFERENCE = "append+fsync of one sale line"
WARM_UP = 150  # fsync'd sales before each size's timed ones: > 1,000 WAL pages
TINYDB_BUDGET_S = 3.0  # per size: a 50k-record TinyDB insert takes a large fraction of this


def _gtin(prefix: str) -> str:
    """A GTIN-14 with a correct check digit from a 13-digit prefix."""
    return prefix + str(gs1_check_digit(prefix))


PRODUCTS = (
    Product(_gtin("0590123412345"), "Milk 2% 1 l", 429, 500),
    Product(_gtin("0590000000001"), "Rye bread 500 g", 699, 500),
    Product(_gtin("0590000000002"), "Apples 1 kg bag", 549, 500),
    Product(_gtin("0590000000003"), "Sparkling water 1.5 l", 259, 2300),
    Product(_gtin("0590000000004"), "Dish soap 450 ml", 899, 2300),
)


def sale_draft() -> SaleDraft:
    """A typical paid basket: five lines, one of them two units, paid by card."""
    basket = Basket()
    for product in PRODUCTS:
        basket = basket.add(product, product.price_minor)
    basket = basket.add(PRODUCTS[-1], PRODUCTS[-1].price_minor)
    return SaleDraft("PLN", basket.lines, basket.totals(()), "card", "AUTH-4F2A91")


def open_sale(draft: SaleDraft) -> dict[str, object] | None:
    """The unpaid basket as the kiosk keeps it while the customer pays (the loop saves it
    at every change; the sale's commit clears it, so each timed commit starts with one)."""
    state = replace(KioskState(), checkout=Checkout.PAYING, basket=Basket(draft.lines))
    return snapshot.open_sale(state)


def sale_line(draft: SaleDraft, seq: int) -> bytes:
    """The outbox envelope the store writes for a sale, as one JSON line."""
    body = sale_body(str(uuid.uuid4()), seq, draft)
    envelope = wire.Envelope(
        str(uuid.uuid4()), KIOSK_ID, wire.STREAM_SALES, seq, WALL_AT, True, body
    )
    return envelope.to_json() + b"\n"


def run(
    repeats: int = 200,
    sizes: Sequence[int] = (1_000, 10_000, 50_000),
    workdir: Path | None = None,
) -> list[Result]:
    """Measure in a scratch directory under workdir (default: the repo's disk), then remove it."""
    with scratch_dir("store-decision-", workdir) as scratch:
        return _measure(scratch, repeats, sorted(sizes))


def _measure(scratch: Path, repeats: int, sizes: list[int]) -> list[Result]:
    draft = sale_draft()
    line = sale_line(draft, 1)
    basket = open_sale(draft)
    assert basket is not None
    append = _Appender(scratch / "append.jsonl", line)
    commits: list[Result] = []
    with Store.open(scratch / "kiosk.db") as store:
        store.replace_catalog(PRODUCTS, (), {p.gtin: 1_000_000 for p in PRODUCTS}, WALL_AT)
        for size in (0, *sizes):
            _prefill_sales(store, draft, size)
            # steady state, as on a kiosk that has been selling: the pre-fill's dirty pages
            # written back now (not under the timed fsyncs), and WARM_UP fsync'd sales so
            # the WAL is at its working size (overwritten, not grown) and caches are warm
            os.sync()
            for _ in range(WARM_UP):
                store.save_open_sale(basket, WALL_AT)
                store.commit_sale(draft, KIOSK_ID, WALL_AT, True)
            stored = store.sales_count()
            # interleaved, one reference append and one commit after another, so both
            # see the same disk and the same neighbours on a shared machine
            samples: list[float] = []
            floor: list[float] = []
            for _ in range(repeats):
                floor.append(append.once())
                store.save_open_sale(basket, WALL_AT)  # untimed: a till has one
                start = time.perf_counter()
                store.commit_sale(draft, KIOSK_ID, WALL_AT, True)
                samples.append(time.perf_counter() - start)
            commits.append(
                compare(
                    f"Sale commit, SQLite WAL synchronous=FULL, {stored:,} sales stored",
                    statistics.median(samples) * 1000,
                    "ms",
                    REFERENCE,
                    statistics.median(floor) * 1000,
                    f"median of {len(samples)}, each beside a reference append;"
                    f" p95 {_p95(samples) * 1000:.2f} ms",
                )
            )
    append.close()
    reference_ms = statistics.median(append.samples) * 1000

    def against(what: str, figure_ms: float, note: str) -> Result:
        return compare(what, figure_ms, "ms", REFERENCE, reference_ms, note)

    results = [
        against(
            f"{REFERENCE} ({len(line)} bytes)",
            reference_ms,
            f"the floor: median of all {len(append.samples)}",
        ),
        *commits,
    ]
    db = TinyDB(scratch / "tinydb.json")
    try:
        for size in sizes:
            docs = _sale_docs(draft, size - len(db))
            if docs:
                db.insert_multiple(docs)
            stored = len(db)
            samples = time_calls(
                lambda: db.insert(sale_body(str(uuid.uuid4()), 0, draft)),
                repeats,
                budget_s=TINYDB_BUDGET_S,
            )
            results.append(
                against(
                    f"TinyDB insert of one sale, {stored:,} records stored",
                    statistics.median(samples) * 1000,
                    f"median of {len(samples)}; file {_mb(scratch / 'tinydb.json')} MB",
                )
            )
    finally:
        db.close()
    return results


class _Appender:
    """The reference: append one sale-sized line to a file and fsync it."""

    def __init__(self, path: Path, line: bytes) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._line = line
        self.samples: list[float] = []

    def once(self) -> float:
        start = time.perf_counter()
        os.write(self._fd, self._line)
        os.fsync(self._fd)
        took = time.perf_counter() - start
        self.samples.append(took)
        return took

    def close(self) -> None:
        os.close(self._fd)


def _prefill_sales(store: Store, draft: SaleDraft, target: int) -> None:
    """Bring the store up to `target` sales through Store.commit_sale itself, with fsync
    switched off for the pre-fill only (committing 50,000 sales one fsync at a time would
    take minutes). The rows are exactly what the kiosk writes; the outbox rows are kept,
    as if head office had been unreachable all along: the worst case for the indexes.
    The timed commits afterwards run with synchronous=FULL again.
    """
    have = store.sales_count()
    if have >= target:
        return
    store.db.execute("PRAGMA synchronous=OFF")
    try:
        for _ in range(target - have):
            store.commit_sale(draft, KIOSK_ID, WALL_AT, True)
    finally:
        store.db.execute("PRAGMA synchronous=FULL")
        # the pre-fill goes to disk now, so the timed commits do not pay for its checkpoint;
        # RESTART, not TRUNCATE: the WAL keeps its working size (4 MB, SQLite's default
        # checkpoint at 1,000 pages) and the timed commits overwrite it, as a kiosk that has
        # been selling does; a truncated WAL would make them pay for growing a file again
        store.db.execute("PRAGMA wal_checkpoint(RESTART)")


def _sale_docs(draft: SaleDraft, count: int) -> list[dict[str, object]]:
    return [sale_body(str(uuid.uuid4()), i + 1, draft) for i in range(max(count, 0))]


def _p95(samples: Sequence[float]) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def _mb(path: Path) -> str:
    return f"{path.stat().st_size / 1_000_000:.1f}"
