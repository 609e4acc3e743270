"""The clean-close mark: a start after the kiosk closed its store cleanly skips the
page-by-page check; every other start (a cut, a crash, a file changed since) runs it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from appliance.shell import clean_close, store_health
from appliance.shell.store import Store
from tests.support.sales import BREAD, MILK, WALL_AT, commit_sale


def sold_and_closed(tmp_path: Path) -> Path:
    path = tmp_path / store_health.STORE_FILE
    with Store.open(path) as store:
        store.replace_catalog([MILK, BREAD], (), {MILK.gtin: 10, BREAD.gtin: 10}, WALL_AT)
        for _ in range(30):
            commit_sale(store, "k1")
    return path


def spoil_a_page_keeping_the_stamp(path: Path) -> None:
    """Noise over one of the sales table's pages, with the file's size and mtime put back:
    the damage a clean-close mark cannot see (bit rot on the card while it was off)."""
    with sqlite3.connect(path) as db:
        [page] = db.execute(
            "SELECT pageno FROM dbstat WHERE name = 'sale_lines' AND pagetype = 'leaf' LIMIT 1"
        ).fetchone()
        size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    st = path.stat()
    with open(path, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\xa5" * size)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_a_clean_close_is_marked_and_the_next_open_clears_the_mark(tmp_path: Path) -> None:
    path = sold_and_closed(tmp_path)
    assert clean_close.holds(path)
    store = Store.open(path)
    assert not clean_close.mark_path(path).exists()  # open: a cut now needs the full check
    commit_sale(store, "k1")
    assert not clean_close.holds(path)  # a crash here leaves no mark (and a WAL)
    store.close()
    assert clean_close.holds(path)


def test_the_kiosk_start_trusts_only_a_clean_close(tmp_path: Path) -> None:
    """GIVEN a store closed cleanly, then damaged without its size or time changing
    WHEN the kiosk starts (trust_clean_close) THEN the page check is skipped (fit); the
    full check (`kiosk store check`) finds the damage. Once its time moves (or the mark is
    gone, as after a cut) the start runs the full check too."""
    path = sold_and_closed(tmp_path)
    spoil_a_page_keeping_the_stamp(path)
    assert store_health.check(path, trust_clean_close=True).fit
    assert not store_health.check(path).fit
    os.utime(path)  # anything that writes the file moves its time
    assert not clean_close.holds(path)
    assert not store_health.check(path, trust_clean_close=True).fit


def test_a_store_still_open_elsewhere_is_not_marked(tmp_path: Path) -> None:
    """A reader (kiosk doctor, store check) keeps the WAL: closing the writer then is not
    a clean close, and no mark is written."""
    path = sold_and_closed(tmp_path)
    store = Store.open(path)
    reader = sqlite3.connect(path)
    reader.execute("SELECT count(*) FROM sales").fetchone()
    commit_sale(store, "k1")
    store.close()
    assert not clean_close.holds(path)
    reader.close()


def test_a_torn_mark_only_costs_the_full_check(tmp_path: Path) -> None:
    path = sold_and_closed(tmp_path)
    clean_close.mark_path(path).write_text('{"size": 1', encoding="utf-8")
    assert not clean_close.holds(path)
    assert store_health.check(path, trust_clean_close=True).fit
