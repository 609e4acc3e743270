"""The store of record: one transaction per sale, an outbox that counts true, stock alerts,
an append-only journal and Z reports nobody can change."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest

from appliance import wire
from appliance.shell import reports
from appliance.shell.store import Store, StoreError
from tests.support.sales import BREAD, MILK, WALL_AT, commit_sale, sale_draft


def count(store: Store, table: str) -> int:
    return int(store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(tmp_path / "kiosk.sqlite3")
    opened.replace_catalog([MILK, BREAD], (), {MILK.gtin: 10, BREAD.gtin: 10}, WALL_AT)
    return opened


def test_a_sale_is_one_transaction_of_sale_lines_stock_and_outbox(store: Store) -> None:
    sale = commit_sale(store, "k1")
    assert count(store, "sales") == 1 and count(store, "sale_lines") == 2
    assert store.stock_level(MILK.gtin) == 9
    (row,) = store.outbox_pending(10)
    envelope = wire.parse_envelope(row.payload)
    assert envelope.body["sale_id"] == sale.sale_id and envelope.seq == 1


def test_a_failed_commit_leaves_nothing_behind(store: Store) -> None:
    """GIVEN a sale whose last write fails WHEN committed THEN no part of it is stored."""
    commit_sale(store, "k1")
    store.db.execute(
        "CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(StoreError, match="disk full"):
        commit_sale(store, "k1")
    assert count(store, "sales") == 1 and count(store, "sale_lines") == 2
    assert store.stock_level(MILK.gtin) == 9
    assert store.outbox_depth() == 1 == count(store, "outbox")


def test_numbers_go_on_after_a_failed_commit_and_after_another_writer(store: Store) -> None:
    """GIVEN the store's numbers as its connection remembers them WHEN a sale's commit fails
    (its numbers roll back), or another writer moves a sequence under it (a recovery, a
    restored mark) THEN the next sale takes the next free number: none repeats, none is
    skipped by the rollback."""
    assert commit_sale(store, "k1").seq == 1
    store.db.execute(
        "CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(StoreError, match="disk full"):
        commit_sale(store, "k1")
    store.db.execute("DROP TRIGGER fail_outbox")
    assert commit_sale(store, "k1").seq == 2
    store.db.execute("UPDATE sequences SET last = 40 WHERE name = 'sale'")
    store.db.execute("UPDATE sequences SET last = 70 WHERE name = 'outbox'")
    assert commit_sale(store, "k1").seq == 41
    assert [r.id for r in store.outbox_pending(10)][-1] == 71
    assert [r.seq for r in store.outbox_pending(10)] == [1, 2, 3]  # the stream's own numbers
    with Store.open(store.path) as again:  # a second connection sees the same sequences
        assert commit_sale(again, "k1").seq == 42
    assert commit_sale(store, "k1").seq == 43


def test_the_outbox_counter_agrees_with_the_table(store: Store) -> None:
    """The depth is a counter kept beside the writes; it must equal count(*) always."""
    store.low_stock_level = 0  # only sales in the outbox here
    ids = [commit_sale(store, "k1").event_id for _ in range(5)]
    assert store.outbox_depth() == 5 == count(store, "outbox")
    assert store.mark_delivered([ids[0], ids[1], "unknown", ids[1]]) == 2
    assert store.outbox_depth() == 3 == count(store, "outbox")
    store.db.execute(
        "CREATE TRIGGER nope BEFORE DELETE ON outbox BEGIN SELECT RAISE(ABORT, 'x'); END"
    )
    with pytest.raises(sqlite3.DatabaseError):
        store.mark_delivered([ids[2]])
    assert store.outbox_depth() == 3 == count(store, "outbox")
    reopened = Store.open(store.path)
    assert reopened.outbox_depth() == 3


def test_stock_that_runs_low_or_out_tells_head_office(store: Store) -> None:
    store.low_stock_level = 8
    commit_sale(store, "k1", MILK)  # 10 → 9: nothing
    commit_sale(store, "k1", MILK)  # 9 → 8: low
    commit_sale(store, "k1", MILK)  # 8 → 7: already low, nothing new
    big = sale_draft(*([MILK] * 7))
    store.commit_sale(big, "k1", WALL_AT, True)  # 7 → 0: out
    alerts = [
        wire.parse_envelope(r.payload).body
        for r in store.outbox_pending(100)
        if r.stream == wire.STREAM_STOCK
    ]
    assert [(a["gtin"], a["kind"], a["level"]) for a in alerts] == [
        (MILK.gtin, "low", 8),
        (MILK.gtin, "out", 0),
    ]


def test_the_sales_journal_is_append_only(store: Store) -> None:
    commit_sale(store, "k1")
    for statement in ("UPDATE sales SET total_minor = 0", "DELETE FROM sales"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store.db.execute(statement)


def test_z_reports_are_numbered_and_immutable(store: Store) -> None:
    commit_sale(store, "k1")
    first = reports.close_day(store, "2026-11-23T22:00:00+00:00", "EUR")
    commit_sale(store, "k1")
    commit_sale(store, "k1")
    second = reports.close_day(store, "2026-11-24T22:00:00+00:00", "EUR")
    assert (first.number, first.sales_count) == (1, 1)
    assert (second.number, second.sales_count) == (2, 2)
    assert reports.x_report(store, "later", "EUR").sales_count == 0
    with pytest.raises(sqlite3.DatabaseError, match="cannot be changed"):
        store.db.execute("UPDATE z_reports SET body = '{}'")
    with pytest.raises(sqlite3.DatabaseError, match="cannot be deleted"):
        store.db.execute("DELETE FROM z_reports")


def test_the_open_sale_is_cleared_by_the_sale_that_pays_it(store: Store) -> None:
    store.save_open_sale({"v": 1, "basket": []}, WALL_AT)
    assert store.load_open_sale() == {"v": 1, "basket": []}
    commit_sale(store, "k1")
    assert store.load_open_sale() is None


def test_acks_remove_handed_out_rows_by_id_and_any_other_row_by_a_search(store: Store) -> None:
    """The outbox keeps no index on event ids (schema 8): GIVEN five events, three of them
    handed out to the reporter WHEN head office acknowledges two handed out, one never
    handed out (an ack that overtook a restart's re-read), a repeat and an unknown id THEN
    exactly those three rows go, in one transaction, and a second ack of them changes
    nothing."""
    store.low_stock_level = 0
    ids = [commit_sale(store, "k1").event_id for _ in range(5)]
    assert [r.event_id for r in store.outbox_pending(3)] == ids[:3]
    acked = [ids[0], ids[1], ids[4], ids[1], "unknown"]
    assert store.mark_delivered(acked) == 3
    assert [r.event_id for r in store.outbox_pending(10)] == [ids[2], ids[3]]
    assert store.mark_delivered(acked) == 0
    assert store.outbox_depth() == 2 == count(store, "outbox")
    # the same after a reopen, when nothing was handed out yet
    store.close()
    with Store.open(store.path) as reopened:
        assert reopened.mark_delivered([ids[3], ids[3]]) == 1
        assert [r.event_id for r in reopened.outbox_pending(10)] == [ids[2]]


def test_outbox_ids_only_grow_also_when_everything_was_acknowledged(store: Store) -> None:
    """The reporter reads on from the last id it sent: GIVEN every event acknowledged (an
    empty outbox) WHEN the next sale is committed, also after a reopen THEN its event's id
    is above every id handed out before; max(id) + 1 would hand out 1 again."""
    store.low_stock_level = 0
    first = [commit_sale(store, "k1").event_id for _ in range(3)]
    ids = [r.id for r in store.outbox_pending(10)]
    assert store.mark_delivered(first) == 3 and store.outbox_depth() == 0
    commit_sale(store, "k1")
    [after] = store.outbox_pending(10)
    assert after.id > max(ids)
    store.mark_delivered([after.event_id])
    store.close()
    with Store.open(store.path) as reopened:
        reopened.low_stock_level = 0
        commit_sale(reopened, "k1")
        [again] = reopened.outbox_pending(10)
        assert again.id > after.id


def test_sale_and_event_ids_are_time_ordered_uuids(store: Store) -> None:
    """New keys land at the end of their b-trees (one page per commit, not a random one):
    sale and event ids are version 7 UUIDs that sort in the order they were made."""
    sales = [commit_sale(store, "k1") for _ in range(20)]
    for ids in ([s.sale_id for s in sales], [s.event_id for s in sales]):
        assert all(uuid.UUID(i).version == 7 for i in ids)
        assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_a_paid_open_sale_never_comes_back_and_clearing_it_writes_nothing(
    store: Store,
) -> None:
    """Schema 8: a sale's commit leaves the open sale's row alone; the row notes the last
    sale number when it was saved. GIVEN a basket saved, then paid WHEN the kiosk loads the
    open sale (also after a reopen) THEN there is none, and the loop's clearing of it costs
    no write; WHEN the next customer's basket is saved THEN that one comes back."""
    basket = {"v": 1, "basket": ["first customer"]}
    store.save_open_sale(basket, WALL_AT)
    assert store.load_open_sale() == basket
    commit_sale(store, "k1")
    assert store.load_open_sale() is None
    before = store.db.total_changes
    store.save_open_sale(None, WALL_AT)
    assert store.db.total_changes == before  # nothing written, no fsync
    store.close()
    with Store.open(store.path) as reopened:
        assert reopened.load_open_sale() is None  # the row is there, read as paid
        nxt = {"v": 1, "basket": ["next customer"]}
        reopened.save_open_sale(nxt, WALL_AT)
    with Store.open(store.path) as again:
        assert again.load_open_sale() == nxt
        again.save_open_sale(None, WALL_AT)  # given up at the till: deleted
        assert again.load_open_sale() is None
        assert count(again, "open_sale") == 0


def test_an_open_sale_saved_by_schema_7_comes_back(tmp_path: Path) -> None:
    """A row written before schema 8 has no sale number (NULL): schema 7 deleted a paid
    sale's row with the sale, so a row that is there is unpaid."""
    path = tmp_path / "kiosk.sqlite3"
    with Store.open(path) as store:
        commit_sale(store, "k1")
        store.db.execute(
            "INSERT INTO open_sale (id, body, updated_at, after_sale)"
            ' VALUES (1, \'{"v": 1, "basket": []}\', ?, NULL)',
            (WALL_AT,),
        )
    with Store.open(path) as reopened:
        assert reopened.load_open_sale() == {"v": 1, "basket": []}
