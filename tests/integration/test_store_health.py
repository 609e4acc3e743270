"""A damaged or missing store: `kiosk store check` says why, `kiosk store recover` keeps the
damaged file, salvages what it can and numbers the next sale above every earlier one;
and `kiosk export sales` for accountants.

The commands run as real processes (`python -m appliance.store_cli`, which is what
`kiosk store ...` and `kiosk export ...` call) on real SQLite files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance import config as config_mod
from appliance.bootstrap import build
from appliance.core import buttons as b
from appliance.core.events import KeyPosition, Touched
from appliance.core.products import Product
from appliance.core.signals import Colour
from appliance.core.state import Checkout
from appliance.shell import store_health
from appliance.shell.clock import SimClock
from appliance.shell.store import Store
from tests.support.sales import BREAD, MILK, sale_draft

REPO = Path(__file__).resolve().parents[2]
COFFEE = Product("05000000000031", "Coffee", 1299, 2300)
SALES = 300


def kiosk(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appliance.store_cli", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


@dataclass
class Sold:
    data_dir: Path
    path: Path
    sales: dict[str, dict[str, object]]  # sale id → the sale as Store.sales() gives it

    @property
    def last_seq(self) -> int:
        return max(int(str(s["seq"])) for s in self.sales.values())


@pytest.fixture
def sold(tmp_path: Path) -> Iterator[Sold]:
    """A store that has sold SALES sales, each number also in the high-water mark."""
    data_dir = tmp_path / "kiosk"
    path = data_dir / store_health.STORE_FILE
    with Store.open(path) as store:
        for n in range(SALES):
            at = f"2026-11-{20 + n % 3:02d}T10:{n % 60:02d}:00.000+00:00"
            store.commit_sale(sale_draft(MILK, BREAD), "lane-1", at, clock_synced=True)
        sales = {str(s["sale_id"]): s for s in store.sales()}
    # what store.py does before each commit once it keeps the mark (docs/store.md)
    store_health.raise_hwm(store_health.hwm_path(path), {"sale": SALES})
    yield Sold(data_dir, path, sales)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def garbage_in_the_middle(path: Path) -> None:
    """Overwrite a third of the sales table's leaf pages, from its middle, with noise."""
    with closing(sqlite3.connect(path)) as db, db:
        leaves = [
            r[0]
            for r in db.execute(
                "SELECT pageno FROM dbstat WHERE name = 'sales' AND pagetype = 'leaf'"
                " ORDER BY pageno"
            )
        ]
        size = db.execute("PRAGMA page_size").fetchone()[0]
    middle = leaves[len(leaves) // 3 : 2 * len(leaves) // 3]
    noise = hashlib.sha512(b"noise").digest() * (size // 64)
    with open(path, "r+b") as f:
        for page in middle:
            f.seek((page - 1) * size)
            f.write(noise)


def truncated(path: Path) -> None:
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size * 6 // 10)


def text_file(path: Path) -> None:
    path.write_text("Not a database: someone copied the wrong file here.\n" * 40)


DAMAGE = {
    "garbage-pages": (garbage_in_the_middle, "malformed"),
    "truncated": (truncated, "the file is cut short"),
    "text-file": (text_file, "not a SQLite database"),
}


def test_a_healthy_store_is_fit_to_sell(sold: Sold) -> None:
    done = kiosk("store", "check", "--data-dir", sold.data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "fit to sell" in done.stdout and f"{SALES} sales, last number {SALES}" in done.stdout
    as_json = json.loads(kiosk("store", "check", "--json", "--data-dir", sold.data_dir).stdout)
    assert as_json["fit"] and as_json["high_water"] == {"sale": SALES}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_store_is_refused_then_recovered(sold: Sold, damage: str) -> None:
    # GIVEN a store damaged in one of the ways SD cards and people damage files
    spoil, why = DAMAGE[damage]
    spoil(sold.path)
    damaged_hash = sha256(sold.path)

    # WHEN staff check it THEN it is not fit to sell, and the output says why
    check = kiosk("store", "check", "--data-dir", sold.data_dir)
    assert check.returncode == 1, check.stdout
    assert "NOT fit to sell" in check.stdout and why in check.stdout
    assert "kiosk store recover" in check.stdout

    # WHEN they recover it
    done = kiosk("store", "recover", "--data-dir", sold.data_dir)
    assert done.returncode == 0, done.stdout + done.stderr

    # THEN the damaged file is kept, byte for byte, under a timestamped name
    kept = [
        p
        for p in (sold.data_dir / "damaged").iterdir()
        if not p.name.endswith(store_health.SIDE_FILES)
    ]
    assert [p.name.startswith("kiosk.sqlite3.damaged-") for p in kept] == [True]
    assert sha256(kept[0]) == damaged_hash
    assert f"kept the damaged file as {kept[0]}" in done.stdout
    # AND the recovered store passes the check and opens
    assert kiosk("store", "check", "--data-dir", sold.data_dir).returncode == 0
    with Store.open(sold.path) as store:
        saved = {str(s["sale_id"]): s for s in store.sales()}
        # AND every sale that survived is there unchanged; the damage decides how many
        # AND every sale that survived is there as it was sold, or, when the damage took
        # some of its lines, with the rest and named in the report
        short: list[int] = []
        for sale_id, sale in saved.items():
            was = sold.sales[sale_id]
            assert {**sale, "lines": []} == {**was, "lines": []}
            assert all(line in was["lines"] for line in sale["lines"])  # type: ignore[attr-defined]
            if sale != was:
                short.append(int(str(sale["seq"])))
        assert not short or f"{len(short)} sales lost lines" in done.stdout
        if damage == "garbage-pages":
            assert SALES // 2 < len(saved) < SALES
            numbers = sorted(int(str(s["seq"])) for s in saved.values())
            assert (numbers[0], numbers[-1]) == (1, SALES)  # only the middle was hit
        elif damage == "truncated":
            assert 0 < len(saved) < SALES
        else:
            assert saved == {}
        # AND the next sale is numbered above every earlier one, even those that are lost
        draft = sale_draft(COFFEE)
        after = store.commit_sale(draft, "lane-1", "2026-11-23T12:00:00.000+00:00", True)
        assert after.seq > sold.last_seq
        # AND its event is numbered above every salvaged one (the reporter reads on by id)
        rows = store.outbox_pending(10_000)
        assert max(rows, key=lambda r: r.id).event_id == after.event_id
    assert store_health.read_hwm(store_health.hwm_path(sold.path))["sale"] >= after.seq - 1


def test_a_missing_store_is_named_and_recover_numbers_above_the_mark(sold: Sold) -> None:
    sold.path.unlink()
    check = kiosk("store", "check", "--data-dir", sold.data_dir)
    assert check.returncode == 1
    assert f"the store {sold.path} is missing" in check.stdout
    assert f"has sold before (up to sale {SALES})" in check.stdout
    done = kiosk("store", "recover", "--data-dir", sold.data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no damaged file to keep" in done.stdout
    assert f"the next sale is numbered {SALES + 1}" in done.stdout


def test_a_store_never_set_up_is_missing_too(tmp_path: Path) -> None:
    check = kiosk("store", "check", "--data-dir", tmp_path)
    assert check.returncode == 1 and "is missing" in check.stdout
    assert "has sold before" not in check.stdout


def test_the_head_office_number_floors_the_next_sale(sold: Sold) -> None:
    text_file(sold.path)
    store_health.hwm_path(sold.path).unlink()  # the SD card was replaced: no mark either
    done = kiosk("store", "recover", "--data-dir", sold.data_dir, "--above", 4711)
    assert done.returncode == 0 and "the next sale is numbered 4712" in done.stdout


def test_recover_refuses_while_the_kiosk_has_the_store_open(sold: Sold) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time; db = sqlite3.connect(sys.argv[1]);"
            " db.execute('SELECT 1 FROM sales'); print('open', flush=True); time.sleep(60)",
            str(sold.path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        done = kiosk("store", "recover", "--force", "--data-dir", sold.data_dir)
        assert done.returncode == 1
        assert f"open in process [{holder.pid}]: stop the kiosk first" in done.stderr
        assert sold.path.exists() and not (sold.data_dir / "damaged").exists()
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_recover_leaves_a_healthy_store_alone_unless_forced(sold: Sold) -> None:
    done = kiosk("store", "recover", "--data-dir", sold.data_dir)
    assert done.returncode == 0 and "Nothing to recover" in done.stdout
    assert not (sold.data_dir / "damaged").exists()
    forced = kiosk("store", "recover", "--force", "--data-dir", sold.data_dir)
    assert forced.returncode == 0 and "sales: 300 rows saved" in forced.stdout
    with Store.open(sold.path) as store:
        assert {str(s["sale_id"]): s for s in store.sales()} == sold.sales


def test_check_finds_an_outbox_row_that_cannot_be_read_and_orphaned_lines(sold: Sold) -> None:
    with closing(sqlite3.connect(sold.path)) as db, db:
        db.execute("UPDATE outbox SET payload = x'7b7d' WHERE id = 1")
        db.execute(
            "INSERT INTO sale_lines (line_key, seq, line_no, gtin, name, quantity,"
            " unit_price_minor, total_minor, vat_rate_bp)"
            " VALUES (999999 * 1048576 + 1, 999999, 1, '1', 'x', 1, 1, 1, 0)"
        )
    health = store_health.check(sold.path)
    assert not health.fit
    assert any("outbox row 1 cannot be read" in p for p in health.problems)
    assert any("1 rows point to rows that are gone" in p for p in health.problems)


def test_check_finds_two_outbox_rows_with_one_event_id(sold: Sold) -> None:
    """No index enforces unique event ids in the outbox (schema 8): the check does."""
    with closing(sqlite3.connect(sold.path)) as db, db:
        db.execute(
            "INSERT INTO outbox (id, event_id, stream, seq, payload) SELECT 999999, event_id,"
            " stream, seq, payload FROM outbox WHERE id = 1"
        )
    health = store_health.check(sold.path)
    assert not health.fit
    assert "outbox rows 1 and 999999 carry the same event id" in health.problems


def test_check_finds_two_sales_with_one_sale_id(sold: Sold) -> None:
    """No index enforces unique sale ids in the journal (schema 9): the full check does."""
    with closing(sqlite3.connect(sold.path)) as db, db:
        db.execute(
            "INSERT INTO sales SELECT sale_id, 999999, at, currency, total_minor, saved_minor,"
            " payment_method, payment_reference FROM sales WHERE seq = 1"
        )
        sale_id = db.execute("SELECT sale_id FROM sales WHERE seq = 1").fetchone()[0]
    health = store_health.check(sold.path)
    assert not health.fit
    assert f"sales 1, 999999 carry the same sale id {sale_id}" in health.problems


def test_a_stock_ledger_that_lost_rows_is_made_to_add_up_again(sold: Sold) -> None:
    with closing(sqlite3.connect(sold.path)) as db, db:
        db.execute("DELETE FROM stock_movements WHERE id <= 10")
        levels = dict(db.execute("SELECT gtin, level FROM stock"))
    report = store_health.recover(sold.path, sold.data_dir / "damaged")
    assert sum(report.stock_adjusted.values()) == -10
    with closing(sqlite3.connect(sold.path)) as db, db:
        ledger = dict(db.execute("SELECT gtin, sum(delta) FROM stock_movements GROUP BY gtin"))
        assert ledger == levels == dict(db.execute("SELECT gtin, level FROM stock"))


BOOTSTRAP_PENDING = (
    "bootstrap change pending (docs/store.md, 'For developers'): build() must check the "
    "store before Store.open and start out of service when it is not fit"
)


@pytest.mark.parametrize("damage", ["garbage-pages", "text-file", "missing"])
def test_the_kiosk_refuses_to_sell_from_a_damaged_or_lost_store(sold: Sold, damage: str) -> None:
    if damage == "missing":
        sold.path.unlink()
    else:
        DAMAGE[damage][0](sold.path)
    damaged = sold.path.read_bytes() if sold.path.exists() else b""
    settings = {"kiosk": {"data_dir": str(sold.data_dir)}, "broker": {"enabled": False}}
    cfg = config_mod.merge(config_mod.Config(), settings, "test")
    with build(cfg, SimClock(), sim=True) as started:
        started.start()
        assert started.sim is not None
        # THEN the lane is closed and says why
        state = started.state
        assert state.checkout is Checkout.OUT_OF_SERVICE
        assert "store" in state.out_of_service_reason
        assert started.tower.lamp.colour is Colour.RED
        # AND staff cannot put it back in service, and nothing sells
        started.sim.gpio.turn_key(KeyPosition.STAFF)
        started.sim.scanner.scan("STAFF-0042")
        started.loop.emit(Touched(at=0.0, button=b.STAFF_BACK_IN_SERVICE))
        started.loop.process_pending()
        assert started.state.checkout is Checkout.OUT_OF_SERVICE
    # AND the damaged file was not written to (nor a lost one created)
    assert (sold.path.read_bytes() if sold.path.exists() else b"") == damaged


# -- the high-water mark -----------------------------------------------------------------------


def test_the_mark_survives_a_torn_write_and_never_goes_down(tmp_path: Path) -> None:
    path = tmp_path / store_health.HWM_FILE
    assert store_health.read_hwm(path) == {}
    mark = store_health.HighWater.open(path)
    mark.reserve({"sale": 7})
    mark.reserve({"sale": 8, "refund": 2})
    mark.reserve({"sale": 5})  # lower: nothing written
    mark.close()
    assert store_health.read_hwm(path) == {"sale": 8, "refund": 2}
    raw = bytearray(path.read_bytes())
    newest = raw.index(b'"sale":8') // 512
    raw[newest * 512 + 40] ^= 0xFF  # the last write tore: its slot fails its checksum
    path.write_bytes(bytes(raw))
    assert store_health.read_hwm(path) == {"sale": 7}
    path.write_bytes(b"\0" * 1024)
    with pytest.raises(store_health.HwmError):
        store_health.read_hwm(path)
    assert "can be read" in store_health.check(tmp_path / "kiosk.sqlite3").warnings[0]


def test_a_restored_backup_warns_that_newer_sales_are_missing(sold: Sold) -> None:
    store_health.raise_hwm(store_health.hwm_path(sold.path), {"sale": SALES + 25})
    health = store_health.check(sold.path)
    assert health.fit
    assert f"sales {SALES + 1} to {SALES + 25} are not in this store" in health.warnings[0]


# -- export sales ------------------------------------------------------------------------------


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    """Three sales on three days; the middle one late at night UTC (next day in Warsaw)."""
    data_dir = tmp_path / "kiosk"
    with Store.open(data_dir / store_health.STORE_FILE) as store:
        store.commit_sale(sale_draft(MILK), "k", "2026-11-20T10:00:00.000+00:00", True)
        store.commit_sale(sale_draft(MILK, COFFEE), "k", "2026-11-21T23:30:00.000+00:00", True)
        store.commit_sale(sale_draft(BREAD), "k", "2026-11-22T09:15:00.000+00:00", True)
    return data_dir


def export(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return kiosk("export", "sales", "--data-dir", data_dir, *args)


def test_export_csv_has_one_row_per_line_with_decimal_money_and_vat(ledger: Path) -> None:
    done = export(ledger, "--from", "2026-11-21", "--to", "2026-11-21", "--tz", "UTC")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["sale_seq"], r["name"]) for r in rows] == [("2", "Milk 1 l"), ("2", "Coffee")]
    coffee = rows[1]
    assert (coffee["currency"], coffee["unit_price"], coffee["line_paid"]) == (
        "EUR",
        "12.99",
        "12.99",
    )
    # VAT is included in the price: 12.99 * 23 / 123 = 2.4290... → 2.43
    assert (coffee["vat_rate"], coffee["line_vat"], coffee["line_net"]) == ("23", "2.43", "10.56")
    assert rows[0]["vat_rate"] == "6" and rows[0]["sale_total"] == "14.28"
    assert (coffee["date"], coffee["at"]) == ("2026-11-21", "2026-11-21T23:30:00.000+00:00")


def test_export_dates_are_inclusive_and_local(ledger: Path) -> None:
    def seqs(*args: str) -> list[int]:
        done = export(ledger, "--format", "json", *args)
        assert done.returncode == 0, done.stderr
        return [sale["sale_seq"] for sale in json.loads(done.stdout)["sales"]]

    assert seqs("--from", "2026-11-20", "--to", "2026-11-22", "--tz", "UTC") == [1, 2, 3]
    assert seqs("--from", "2026-11-22", "--to", "2026-11-22", "--tz", "UTC") == [3]
    # 23:30 UTC is 00:30 the next day in Warsaw
    assert seqs("--from", "2026-11-22", "--to", "2026-11-22", "--tz", "Europe/Warsaw") == [2, 3]
    assert seqs("--from", "2026-11-23", "--to", "2026-12-31", "--tz", "UTC") == []


def test_export_json_carries_the_vat_table_of_each_sale(ledger: Path) -> None:
    done = export(
        ledger, "--from", "2026-11-21", "--to", "2026-11-21", "--tz", "UTC", "--format", "json"
    )
    sale = json.loads(done.stdout)["sales"][0]
    assert sale["total"] == "14.28" and sale["currency"] == "EUR"
    assert sale["vat"] == [
        {"rate": "23", "gross": "12.99", "vat": "2.43", "net": "10.56"},
        {"rate": "6", "gross": "1.29", "vat": "0.07", "net": "1.22"},
    ]
    assert [line["vat"] for line in sale["lines"]] == ["0.07", "2.43"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-11-32", "--to", "2026-11-30"), "day is out of range"),
        (("--from", "23.11.2026", "--to", "2026-11-30"), "is not a date (YYYY-MM-DD)"),
        (("--from", "2026-11-30", "--to", "2026-11-01"), "is after --to"),
        (("--from", "2026-11-01", "--to", "2026-11-30", "--tz", "Mars/Base"), "unknown time zone"),
        (("--from", "2026-11-01", "--to", "2026-11-30", "--format", "xml"), "invalid choice"),
    ],
)
def test_export_refuses_bad_dates_and_options(
    ledger: Path, args: tuple[str, ...], message: str
) -> None:
    done = export(ledger, *args)
    assert done.returncode == 2 and message in done.stderr
    assert done.stdout == ""
