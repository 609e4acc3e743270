"""Migrations: a store written by every earlier version opens at the newest with its rows.

Each old database is built with the DDL that version really had (MIGRATIONS[:n]) and rows
in the shape that version wrote, then opened with Store.open as an upgraded kiosk would.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from appliance.commands import Verified
from appliance.core.barcodes import DEFAULT_RULES
from appliance.core.promotions import Promotion
from appliance.shell import catalog_import, command_log
from appliance.shell.schema import MIGRATIONS, SCHEMA_VERSION, statements
from appliance.shell.store import Store, StoreError

MILK = "05900012345074"
BREAD = "05900012345425"
AT = "2026-11-20T09:00:00.000+00:00"


def build(path: Path, version: int) -> None:
    """A database at `version`, as that software left it, with a day's worth of rows."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN")
        for script in MIGRATIONS[:version]:
            for statement in statements(script):
                db.execute(statement)
        _rows_v1(db, version)
        if version >= 2:
            _rows_v2(db, version)
        if version >= 5:
            _rows_v5(db)
        db.execute(f"PRAGMA user_version={version}")
        db.execute("COMMIT")
    finally:
        db.close()


def _rows_v1(db: sqlite3.Connection, version: int) -> None:
    db.executemany(
        "INSERT INTO products (gtin, name, price_minor, vat_rate_bp, age_limit, weighed)"
        " VALUES (?,?,?,?,?,?)",
        [(MILK, "Whole milk 1 l", 349, 500, None, 0), (BREAD, "Rye bread", 549, 500, None, 0)],
    )
    if version < 3:
        db.execute(
            "INSERT INTO promotions (promo_id, name, quantity, bundle_price_minor, free_units,"
            " gtins) VALUES ('P1', 'Milk 2 for 6.00', 2, 600, 0, ?)",
            (json.dumps([MILK]),),
        )
    else:
        body = {
            "kind": "multibuy",
            "promo_id": "P1",
            "name": "Milk 2 for 6.00",
            "gtins": [MILK],
            "quantity": 2,
            "bundle_price_minor": 600,
            "free_units": 0,
        }
        db.execute(
            "INSERT INTO promotion_rules VALUES ('P1', 'multibuy', 'Milk 2 for 6.00', ?)",
            (json.dumps(body),),
        )
    db.execute("INSERT INTO stock VALUES (?, 38)", (MILK,))
    db.execute(
        "INSERT INTO stock_movements (gtin, delta, reason, sale_id, at) VALUES (?,?,?,?,?)",
        (MILK, -2, "sale", "S1", AT),
    )
    db.execute("INSERT INTO sequences VALUES ('sale', 1)")
    db.execute("INSERT INTO sales VALUES ('S1', 1, ?, 'PLN', 698, 0, 'card', 'AUTH1')", (AT,))
    if version < 7:
        db.execute(
            "INSERT INTO sale_lines (sale_id, line_no, gtin, name, quantity, unit_price_minor,"
            " total_minor, vat_rate_bp) VALUES ('S1', 1, ?, 'Whole milk 1 l', 2, 349, 698, 500)",
            (MILK,),
        )
    else:  # from version 7 a line is keyed by its sale's number (seq * 2^20 + line_no)
        db.execute(
            "INSERT INTO sale_lines (line_key, seq, line_no, gtin, name, quantity,"
            " unit_price_minor, total_minor, vat_rate_bp) VALUES (1048577, 1, 1, ?,"
            " 'Whole milk 1 l', 2, 349, 698, 500)",
            (MILK,),
        )
    db.execute(
        "INSERT INTO outbox (event_id, stream, seq, payload) VALUES ('E1', 'sales', 1, ?)",
        (b'{"sale_id": "S1"}',),
    )
    # an event head office acknowledged: AUTOINCREMENT remembers its id, the table does not
    db.execute(
        "INSERT INTO outbox (event_id, stream, seq, payload) VALUES ('E2', 'stock', 1, ?)",
        (b'{"gtin": "x"}',),
    )
    db.execute("DELETE FROM outbox WHERE event_id = 'E2'")
    db.execute("INSERT INTO audit (at, action, detail) VALUES (?, 'approve', 'age: 18+')", (AT,))


def _rows_v2(db: sqlite3.Connection, version: int) -> None:
    db.execute("UPDATE products SET quantity_limit = 6, plu = '4011' WHERE gtin = ?", (BREAD,))
    db.execute(
        "INSERT INTO suspended_sales (created_at, staff_id, basket) VALUES (?, 'staff-1', '[]')",
        (AT,),
    )
    db.execute("UPDATE audit SET staff_id = 'staff-1', reason = 'id seen'")
    db.execute("UPDATE sale_lines SET paid_minor = total_minor")  # v2 wrote it with the line
    if version < 9:
        db.execute("INSERT INTO refunds VALUES ('R1', 1, 'S1', ?, 'staff-1', 'PLN', 349)", (AT,))
    else:  # from version 9 a refund names its sale by number too
        db.execute("INSERT INTO refunds VALUES ('R1', 1, 'S1', ?, 'staff-1', 'PLN', 349, 1)", (AT,))
    db.execute("INSERT INTO refund_lines VALUES ('R1', 1, 1, 349, ?, 500)", (MILK,))


def _rows_v5(db: sqlite3.Connection) -> None:
    # from version 5 outbox ids come from `sequences` (E1 was 1, the acknowledged E2 was 2)
    db.execute(
        "INSERT INTO sequences VALUES ('outbox', 2) ON CONFLICT (name) DO UPDATE SET last = 2"
    )


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_a_store_from_every_earlier_version_opens_with_its_rows(
    tmp_path: Path, version: int
) -> None:
    """GIVEN a store written by version n (1 to 5) WHEN today's software opens it THEN it is
    at the newest version and every product, promotion, sale, refund, stock level, outbox
    row and audit entry is still there, readable through the store's own API; references
    hold, the journal is still append-only and outbox ids never go back."""
    path = tmp_path / "kiosk.sqlite3"
    build(path, version)

    with Store.open(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        milk, bread = store.product(MILK), store.product(BREAD)
        assert milk is not None and (milk.name, milk.price_minor, milk.vat_rate_bp) == (
            "Whole milk 1 l",
            349,
            500,
        )
        assert bread is not None
        if version >= 2:
            assert (bread.quantity_limit, bread.plu) == (6, "4011")
            assert store.product_by_plu("4011") == bread
        assert store.promotions() == (
            Promotion("P1", "Milk 2 for 6.00", frozenset({MILK}), 2, 600, 0),
        )
        assert store.stock_level(MILK) == 38
        [sale] = store.sales()
        assert sale["total_minor"] == 698
        assert store.db.execute("SELECT gtin, paid_minor FROM sale_lines").fetchall() == [
            (MILK, 698)  # from version 1, version 2's migration filled paid_minor
        ]
        assert [r.event_id for r in store.outbox_pending(10)] == ["E1"]
        assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []
        if version >= 2:
            assert store.db.execute(
                "SELECT refund_id, sale_id, sale_seq FROM refunds"
            ).fetchall() == [("R1", "S1", 1)]
        # ids only grow: the next event is numbered above the acknowledged E2 too
        with store.transaction():
            store.append_outbox("E3", "k1", "sales", AT, True, {"sale_id": "S2"})
        [_, new] = store.outbox_pending(10)
        assert new.event_id == "E3" and new.id > 2
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute("DELETE FROM sales")
        assert [a[1:3] for a in store.audit_log()] == [("approve", "age: 18+")]
        assert catalog_import.catalog_version(store) == 0
        assert catalog_import.details(store, MILK) == catalog_import.Details(None, None, {})


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_a_migrated_store_takes_a_catalog_delta_and_keeps_the_old_products(
    tmp_path: Path, version: int
) -> None:
    """GIVEN an upgraded store WHEN a delta adds names and a category to milk THEN milk gets
    them, the bread from the old version is untouched, and the version is 1."""
    path = tmp_path / "kiosk.sqlite3"
    build(path, version)
    csv_file = tmp_path / "delta.csv"
    csv_file.write_text(
        "code,name,name_pl,price,vat,category\n5900012345074,Whole milk 1 l,Mleko,3.59,5,dairy\n",
        encoding="utf-8",
    )
    with Store.open(path) as store:
        source = catalog_import.open_source(csv_file, None, DEFAULT_RULES, "PLN", store)
        assert catalog_import.stage(store, source, "delta.csv", "delta", AT) == 1
        assert catalog_import.apply_pending(store, AT) == 1
        milk = store.product(MILK)
        assert milk is not None and milk.price_minor == 359
        assert catalog_import.details(store, MILK) == catalog_import.Details(
            "dairy", None, {"pl": "Mleko"}
        )
        assert store.product(BREAD) is not None


def test_a_store_newer_than_the_software_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    build(path, SCHEMA_VERSION)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this software"):
        Store.open(path)


@pytest.mark.parametrize(
    ("version", "refusal"),
    [
        (4, "migration to version 5 would break 1 references"),  # the foreign key check
        (6, "migration to version 7 cannot move a row"),  # lines keyed by their sale's number
    ],
)
def test_a_line_without_its_sale_stops_a_migration_and_changes_nothing(
    tmp_path: Path, version: int, refusal: str
) -> None:
    """GIVEN a store holding a sale line whose sale is gone (written with foreign keys off)
    WHEN today's software opens it THEN the next migration refuses with the reason and the
    file is still a whole store of the old version with its rows (one transaction each)."""
    path = tmp_path / "kiosk.sqlite3"
    build(path, version)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(
        "INSERT INTO sale_lines (sale_id, line_no, gtin, name, quantity, unit_price_minor,"
        " total_minor, vat_rate_bp, paid_minor) VALUES ('GONE', 1, ?, 'Milk', 1, 349, 349,"
        " 500, 349)",
        (MILK,),
    )
    db.close()

    with pytest.raises(StoreError, match=refusal):
        Store.open(path)

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == version
    assert db.execute("SELECT count(*) FROM sale_lines").fetchone()[0] == 2
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1
    db.close()


def test_a_refund_without_its_sale_stops_the_migration_to_9_and_changes_nothing(
    tmp_path: Path,
) -> None:
    """GIVEN a version-8 store holding a refund of a sale that is gone WHEN today's software
    opens it THEN migration 9 (refunds name their sale's number) refuses, and the file is
    still a whole version-8 store with every row."""
    path = tmp_path / "kiosk.sqlite3"
    build(path, 8)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("INSERT INTO refunds VALUES ('R2', 2, 'GONE', ?, 'staff-1', 'PLN', 100)", (AT,))
    db.close()

    with pytest.raises(StoreError, match="migration to version 9 cannot move a row"):
        Store.open(path)

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 8
    assert db.execute("SELECT count(*) FROM refunds").fetchone()[0] == 2
    assert db.execute("SELECT count(*) FROM sales").fetchone()[0] == 1
    db.close()


def test_the_journal_has_no_sale_id_index_and_a_refund_must_name_its_sale_rightly(
    tmp_path: Path,
) -> None:
    """GIVEN a version-8 store WHEN it is migrated THEN the journal has no index but its key
    (one page less in every sale's commit), and a refund whose sale id and number name two
    different sales, or a sale that is not there, is refused."""
    path = tmp_path / "kiosk.sqlite3"
    build(path, 8)
    with Store.open(path) as store:
        indexes = store.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sales'"
        ).fetchall()
        assert indexes == []
        for sale_id, sale_seq in (("S1", 2), ("S9", 1)):
            with pytest.raises(sqlite3.IntegrityError, match="they disagree"):
                store.db.execute(
                    "INSERT INTO refunds VALUES ('R2', 2, ?, ?, 'staff-1', 'PLN', 100, ?)",
                    (sale_id, AT, sale_seq),
                )
        store.db.execute(
            "INSERT INTO refunds VALUES ('R2', 2, 'S1', ?, 'staff-1', 'PLN', 100, 1)", (AT,)
        )


def test_a_sales_lines_are_its_key_range_and_a_line_cannot_claim_another_key(
    tmp_path: Path,
) -> None:
    """GIVEN a version-6 store with sale 1's line WHEN it is migrated THEN the line is keyed
    1 * 2^20 + 1, and the table refuses a line whose key does not match its sale and number."""
    path = tmp_path / "kiosk.sqlite3"
    build(path, 6)
    with Store.open(path) as store:
        assert store.db.execute("SELECT line_key, seq, line_no FROM sale_lines").fetchall() == [
            (1048577, 1, 1)
        ]
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            store.db.execute(
                "INSERT INTO sale_lines (line_key, seq, line_no, gtin, name, quantity,"
                " unit_price_minor, total_minor, vat_rate_bp) VALUES (5, 1, 2, ?, 'Milk', 1,"
                " 349, 349, 500)",
                (MILK,),
            )


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_a_migrated_store_keeps_command_counters_and_ids(tmp_path: Path, version: int) -> None:
    """GIVEN an upgraded store (version 6 added head office's commands) WHEN a command is
    accepted and the store is opened again THEN its key's counter and its id are kept, and
    a second record of the same id is refused by the table itself."""
    path = tmp_path / "kiosk.sqlite3"
    build(path, version)
    command = Verified("c-1", "rebirth", "k1", 1, 2, 41, "key-a", {}, True)
    with Store.open(path) as store:
        assert command_log.counters(store) == {}
        with store.transaction():
            command_log.keep_counter(store, "key-a", 41)
            command_log.record(store, command, AT, "applied", "ok")
            command_log.keep_counter(store, "key-a", 40)  # never goes back
    with Store.open(path) as store:
        assert command_log.counters(store) == {"key-a": 41}
        assert command_log.seen(store, "c-1") and not command_log.seen(store, "c-2")
        with pytest.raises(sqlite3.IntegrityError), store.transaction():
            command_log.record(store, command, AT, "applied", "ok")
