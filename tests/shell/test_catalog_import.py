"""Catalog import: CSV and JSON files checked row by row, staged as a version, applied whole.

Every bad row is named by its line (CSV) or index (JSON) and reason; one bad row stages
nothing unless skip_bad; delta upserts and never deletes; versions only go up; applying
is one transaction, so a failure halfway leaves the live catalog exactly as it was.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from appliance import cli
from appliance.catalog_file import JsonCatalog, load_json, parse
from appliance.catalog_rows import CatalogError, CatalogSource
from appliance.core.barcodes import DEFAULT_RULES
from appliance.core.products import Product
from appliance.core.promotions import Promotion
from appliance.core.state import Rules
from appliance.shell import catalog_import
from appliance.shell.catalog_import import CatalogVersionError, Details
from appliance.shell.store import Store, StoreError
from bench.catalog_import import gtin13, write_csv

REPO = Path(__file__).resolve().parents[2]
AT = "2026-11-23T10:00:00.000+00:00"
MILK, BUTTER, YOGHURT = "5900012345074", "5900012345142", "5900012345210"
BANANAS = "2100001000004"  # a scale item: prefix 21, price zeroed
HEADER = "code,plu,name,name_pl,name_de,price,vat,age,weighed,limit,category,picture,stock"
GOOD = [
    f"{MILK},,Whole milk 1 l,Mleko 1 l,Vollmilch 1 l,3.49,5,,,,dairy,milk.png,40",
    f"{BUTTER},,Butter 200 g,Masło 200 g,,7.99,5,,,3,dairy,,12",
    f"{BANANAS},4011,Bananas,Banany,,6.99,5,,yes,,fruit,bananas.jpg,",
    f"{YOGHURT},,Vodka 0.5 l,,,29.99,23,18,,,spirits,,",
]


def key(code: str) -> str:
    return code.zfill(14)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Store.open(tmp_path / "kiosk.sqlite3") as opened:
        yield opened


def csv_file(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def source(store: Store, path: Path, currency: str = "PLN") -> CatalogSource:
    return catalog_import.open_source(path, None, DEFAULT_RULES, currency, store)


def stage_csv(store: Store, tmp_path: Path, *rows: str, kind: str = "full", **kw: Any) -> int:
    return catalog_import.stage(
        store, source(store, csv_file(tmp_path, *rows)), "c.csv", kind, AT, **kw
    )


def load(store: Store, tmp_path: Path, *rows: str, kind: str = "full") -> int:
    """Stage and apply: the version is live afterwards."""
    version = stage_csv(store, tmp_path, *rows, kind=kind)
    assert catalog_import.apply_pending(store, AT) == version
    return version


def problems_of(store: Store, path: Path, kind: str = "full") -> list[str]:
    """Stage a file that must be refused; return its problems."""
    with pytest.raises(CatalogError) as refused:
        catalog_import.stage(store, source(store, path), path.name, kind, AT)
    return refused.value.problems


def live(store: Store) -> list[tuple[Any, ...]]:
    return store.db.execute("SELECT * FROM products ORDER BY gtin").fetchall()


def json_catalog(**extra: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "currency": "PLN",
        "products": [
            {"code": MILK, "name": "Whole milk 1 l", "price": "3.49", "vat": 5, "stock": 40},
            {"code": BUTTER, "name": "Butter", "price": 7.99, "vat": "5", "name_pl": "Masło"},
        ],
        **extra,
    }


def json_file(tmp_path: Path, data: object, name: str = "c.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- good files ----------------------------------------------------------------------------


def test_a_good_csv_becomes_the_live_catalog_with_every_column(
    store: Store, tmp_path: Path
) -> None:
    """GIVEN a CSV using every column WHEN it is staged and applied THEN each product has its
    price, VAT, age, weighed flag, limit and PLU, its names, category, picture and stock."""
    version = load(store, tmp_path, *GOOD)

    assert version == 1 and catalog_import.catalog_version(store) == 1
    assert store.product(key(MILK)) == Product(key(MILK), "Whole milk 1 l", 349, 500)
    assert store.product(key(BUTTER)) == Product(
        key(BUTTER), "Butter 200 g", 799, 500, None, False, 3
    )
    bananas = Product(key(BANANAS), "Bananas", 699, 500, None, True, None, "4011")
    assert store.product_by_plu("4011") == bananas
    assert store.product(key(YOGHURT)) == Product(key(YOGHURT), "Vodka 0.5 l", 2999, 2300, 18)
    assert catalog_import.details(store, key(MILK)) == Details(
        "dairy", "milk.png", {"de": "Vollmilch 1 l", "pl": "Mleko 1 l"}
    )
    assert catalog_import.details(store, key(BANANAS)) == Details(
        "fruit", "bananas.jpg", {"pl": "Banany"}
    )
    assert store.stock_level(key(MILK)) == 40 and store.stock_level(key(BANANAS)) is None
    info = catalog_import.summary(store)
    assert (info["version"], info["products"], info["names"], info["pending"]) == (1, 4, 4, None)
    actions = [a[1] for a in store.audit_log()]
    assert actions == ["catalog-staged", "catalog-applied"]


def test_a_good_json_file_brings_promotions_tax_rates_and_its_declared_version(
    store: Store, tmp_path: Path
) -> None:
    data = json_catalog(
        catalog_version=7,
        tax_rates=[{"rate": 5, "label": "B"}, {"rate": 23, "label": "A"}],
        promotions=[
            {"id": "P1", "name": "Milk 2 for 6", "quantity": 2, "price": "6.00", "codes": [MILK]}
        ],
    )
    path = json_file(tmp_path, data)

    assert catalog_import.stage(store, source(store, path), "c.json", "full", AT) == 7
    assert catalog_import.apply_pending(store, AT) == 7

    assert store.promotions() == (Promotion("P1", "Milk 2 for 6", frozenset({key(MILK)}), 2, 600),)
    assert catalog_import.tax_rates(store) == {500: "B", 2300: "A"}
    assert catalog_import.details(store, key(BUTTER)) == Details(None, None, {"pl": "Masło"})
    assert store.stock_level(key(MILK)) == 40


def test_the_demo_catalog_still_loads_through_the_old_entry_points() -> None:
    catalog = load_json(REPO / "appliance" / "demo" / "catalog.json")
    assert len(catalog.products) == 69 and len(catalog.promotions) == 3
    assert catalog.stock[key(MILK)] == 40
    with pytest.raises(CatalogError, match=r"products\[1\]: price: "):
        parse(json_catalog(products=[{"code": MILK, "name": "M", "price": "1", "vat": 5}, {}]))


# -- bad rows --------------------------------------------------------------------------------

BAD_ROWS = [
    # (the bad cell's column, the row's cells by column, the start of the reason)
    ("code", {"code": "5900012345075"}, "'5900012345075': "),
    ("code", {"code": "4011"}, "'4011' is a plu code, which has no GTIN"),
    ("name", {"name": ""}, "required"),
    ("name", {"name": "x" * 81}, "1 to 80 characters"),
    ("name_pl", {"name_pl": "Mle\x07ko"}, "control characters are not allowed"),
    ("price", {"price": "3,49"}, "not an amount: '3,49'"),
    ("price", {"price": "3.499"}, "'3.499' has more decimals than PLN allows"),
    ("price", {"price": "-1.00"}, "not a price: '-1.00'"),
    ("price", {"price": "1000000.00"}, "1000000.00 is more than 1,000,000 PLN"),
    ("vat", {"vat": "150"}, "not a VAT rate: '150'"),
    ("vat", {"vat": ""}, "required"),
    ("age", {"age": "0"}, "expected a whole number 1-99, got 0"),
    ("age", {"age": "18+"}, "expected a whole number 1-99, got '18+'"),
    ("weighed", {"weighed": "maybe"}, "expected 1/0, true/false or yes/no, got 'maybe'"),
    ("limit", {"limit": "0"}, "expected a whole number 1-999, got 0"),
    ("plu", {"plu": "1234"}, "'1234' is not a produce PLU"),
    ("category", {"category": "c" * 41}, "1 to 40 characters"),
    ("picture", {"picture": "../../etc/passwd"}, "'../../etc/passwd' is not a plain file name"),
    ("picture", {"picture": "img/milk.png"}, "'img/milk.png' is not a plain file name"),
    ("picture", {"picture": "milk.exe"}, "'milk.exe' is not a plain file name"),
    ("stock", {"stock": "-3"}, "expected a whole number 0-1,000,000,000, got '-3'"),
]


def _row(cells: dict[str, str]) -> str:
    row = dict(zip(HEADER.split(","), GOOD[1].split(","), strict=True))
    row.update(cells)
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row.values())
    return out.getvalue()


@pytest.mark.parametrize(("column", "cells", "reason"), BAD_ROWS, ids=[b[2][:30] for b in BAD_ROWS])
def test_every_kind_of_bad_row_names_its_line_column_and_reason_and_stages_nothing(
    store: Store, tmp_path: Path, column: str, cells: dict[str, str], reason: str
) -> None:
    """GIVEN a live catalog and a file whose third line has one bad cell WHEN it is imported
    THEN the one problem reads `line 3: <column>: <reason>` and nothing is staged."""
    load(store, tmp_path, GOOD[0])
    before = live(store)
    path = csv_file(tmp_path, GOOD[0], _row(cells), name="bad.csv")

    [problem] = problems_of(store, path)

    assert problem.startswith(f"line 3: {column}: {reason}"), problem
    assert catalog_import.pending(store) is None and live(store) == before
    assert [a[1] for a in store.audit_log()].count("catalog-staged") == 1


def test_a_row_with_the_wrong_number_of_fields_is_bad(store: Store, tmp_path: Path) -> None:
    path = csv_file(tmp_path, GOOD[0], f"{BUTTER},,Butter,,,7.99,5", name="short.csv")
    assert problems_of(store, path) == ["line 3: 7 fields, the header has 13"]


def test_duplicates_name_both_lines_whatever_way_the_code_is_written(
    store: Store, tmp_path: Path
) -> None:
    """GIVEN the same product as EAN-13 and as GTIN-14, and one PLU on two rows WHEN imported
    THEN both duplicates name the line they repeat."""
    path = csv_file(
        tmp_path,
        GOOD[0],
        GOOD[2],
        _row({"code": "0" + MILK}),
        _row({"code": gtin13(5), "plu": "4011"}),
    )
    assert problems_of(store, path) == [
        "line 4: code: 05900012345074 duplicates line 2",
        "line 5: plu: 4011 duplicates line 3",
    ]


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (HEADER + ",colour", "line 1: colour: unknown column"),
        ("code,name,vat,stock", "line 1: price: required column missing"),
        ("code,name,price,vat,Price", "line 1: price: appears twice"),
        ("code,name,price,vat,name_polish", "line 1: name_polish: unknown column"),
    ],
)
def test_a_bad_header_refuses_the_file_even_with_skip_bad(
    store: Store, tmp_path: Path, header: str, problem: str
) -> None:
    path = csv_file(tmp_path, header=header)
    with pytest.raises(CatalogError) as refused:
        source(store, path)
    assert problem in refused.value.problems


def test_a_spreadsheet_export_with_a_bom_and_capitalised_headers_is_read(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfCode,Name,Price,VAT\r\n5900012345074,Milk,3.49,5\r\n\r\n")
    src = source(store, path)
    assert [i.product for i in src.items()] == [Product(key(MILK), "Milk", 349, 500)]


def test_text_that_is_not_utf8_is_reported_with_its_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\n{GOOD[0]}\n".encode() + "5900012345142,,Käse".encode("latin-1"))
    with pytest.raises(CatalogError, match=r"line 3: not UTF-8 text"):
        source(store, path)


def test_a_quoted_field_over_two_lines_keeps_later_line_numbers_true(
    store: Store, tmp_path: Path
) -> None:
    """GIVEN a name in quotes spanning lines 2-3 and a bad price on line 4 WHEN imported THEN
    the name is refused on line 2 (no line breaks in a name) and the price on line 4."""
    path = csv_file(
        tmp_path, '5900012345074,,"Whole milk\n1 l",,,3.49,5,,,,,,', _row({"price": "x"})
    )
    assert problems_of(store, path) == [
        "line 2: name: control characters are not allowed",
        "line 4: price: not an amount: 'x'",
    ]


def test_a_vat_rate_outside_the_stores_declared_rates_is_bad(store: Store, tmp_path: Path) -> None:
    """GIVEN the store declared 5 and 23 % (a JSON catalog) WHEN a CSV uses 8 % THEN refused."""
    declared = json_catalog(tax_rates=[{"rate": 5, "label": "B"}, {"rate": 23, "label": "A"}])
    catalog_import.stage(store, source(store, json_file(tmp_path, declared)), "j", "full", AT)
    catalog_import.apply_pending(store, AT)

    path = csv_file(tmp_path, _row({"vat": "8"}))
    assert problems_of(store, path) == [
        "line 2: vat: 8 % is not one of the store's tax rates (5, 23)"
    ]


def test_bad_json_rows_and_promotions_are_named_by_their_index(
    store: Store, tmp_path: Path
) -> None:
    data = json_catalog(
        tax_rates=[{"rate": 5, "label": "B"}],
        promotions=[
            {"id": "P1", "name": "2 for 5", "quantity": 2, "price": "5.00", "codes": [YOGHURT]},
            {"id": "P2", "name": "Odd", "kind": "raffle"},
        ],
    )
    data["products"] += [
        {"code": YOGHURT, "name": "Yoghurt", "price": "2.00", "vat": 23},
        {"code": gtin13(9), "name": "Cheese", "price": "2.00", "vat": 5, "colour": "blue"},
        "not an object",
    ]
    problems = problems_of(store, json_file(tmp_path, data))
    assert problems == [
        "products[2]: vat: 23 % is not one of the store's tax rates (5)",
        "products[3]: colour: unknown field",
        "products[4]: expected an object",
        "promotions[0]: codes: codes not in the catalog: 05900012345210",
        "promotions[1]: kind: 'raffle' is not one of multibuy, buy_get, unit_off, meal_deal",
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"currency": "EUR"}, "currency: the file is in EUR, the store sells in PLN"),
        ({"version": 2}, 'expected an object with "version": 1'),
        ({"catalog_version": 0}, "catalog_version: expected a whole number from 1, got 0"),
        ({"tax_rates": [{"rate": 5}]}, 'tax_rates[0]: expected {"rate": 23, "label": "A"}'),
        ({"products": {}}, "products: expected a list of objects"),
        ({"colour": "blue"}, "colour: unknown field"),
    ],
)
def test_bad_json_headers_refuse_the_file(
    store: Store, tmp_path: Path, change: dict[str, Any], problem: str
) -> None:
    with pytest.raises(CatalogError) as refused:
        source(store, json_file(tmp_path, json_catalog(**change)))
    assert problem in refused.value.problems


def test_json_that_does_not_parse_names_its_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"version": 1,\n "currency": "PLN",\n "products": [}\n', encoding="utf-8")
    with pytest.raises(CatalogError, match=r"line 3: not valid JSON"):
        source(store, path)


# -- skip-bad --------------------------------------------------------------------------------


def test_skip_bad_stages_the_good_rows_and_keeps_the_reasons(store: Store, tmp_path: Path) -> None:
    src = source(store, csv_file(tmp_path, GOOD[0], _row({"price": "x"}), GOOD[2]))
    version = catalog_import.stage(store, src, "c.csv", "full", AT, skip_bad=True)
    assert catalog_import.apply_pending(store, AT) == version

    assert (src.rows_read, src.bad_rows) == (3, 1)
    assert src.problems == ["line 3: price: not an amount: 'x'"]
    assert [r[0] for r in live(store)] == [key(BANANAS), key(MILK)]


def test_skip_bad_never_stages_an_empty_full_version(store: Store, tmp_path: Path) -> None:
    load(store, tmp_path, *GOOD)
    path = csv_file(tmp_path, _row({"price": "x"}))
    with pytest.raises(CatalogError, match="a full version would empty the catalog"):
        catalog_import.stage(store, source(store, path), "c.csv", "full", AT, skip_bad=True)
    assert len(live(store)) == 4


# -- full and delta --------------------------------------------------------------------------


def test_a_delta_upserts_the_rows_given_and_deletes_nothing(store: Store, tmp_path: Path) -> None:
    """GIVEN four live products WHEN a delta changes butter's price and adds cheese THEN the
    other three are as they were (stock too), butter costs the new price, cheese is there."""
    load(store, tmp_path, *GOOD)
    cheese = gtin13(42)
    load(
        store,
        tmp_path,
        _row({"price": "8.49", "name_pl": "Masło extra"}),
        _row({"code": cheese, "name": "Cheese", "name_pl": "", "limit": "", "stock": "5"}),
        kind="delta",
    )

    assert len(live(store)) == 5
    assert store.product(key(BUTTER)) == Product(
        key(BUTTER), "Butter 200 g", 849, 500, None, False, 3
    )
    assert catalog_import.details(store, key(BUTTER)) == Details(
        "dairy", None, {"pl": "Masło extra"}
    )
    assert store.product(key(cheese)) is not None and store.stock_level(key(cheese)) == 5
    assert store.product(key(MILK)) == Product(key(MILK), "Whole milk 1 l", 349, 500)
    assert store.stock_level(key(MILK)) == 40
    assert [v[0] for v in store.db.execute("SELECT version, kind FROM catalog_versions")] == [1, 2]


def test_a_full_version_removes_what_it_does_not_list(store: Store, tmp_path: Path) -> None:
    load(store, tmp_path, *GOOD)
    load(store, tmp_path, GOOD[1])
    assert [r[0] for r in live(store)] == [key(BUTTER)]
    assert catalog_import.details(store, key(MILK)) is None
    assert store.db.execute("SELECT count(*) FROM product_names").fetchone()[0] == 1


def test_a_plu_may_move_between_products_in_one_delta(store: Store, tmp_path: Path) -> None:
    load(store, tmp_path, *GOOD)
    apples = gtin13(77)
    load(
        store,
        tmp_path,
        GOOD[2].replace(",4011,", ",,"),
        _row({"code": apples, "plu": "4011", "name": "Apples"}),
        kind="delta",
    )
    found = store.product_by_plu("4011")
    assert found is not None and found.name == "Apples"


def test_a_delta_that_reuses_a_live_plu_is_bad(store: Store, tmp_path: Path) -> None:
    load(store, tmp_path, *GOOD)
    path = csv_file(tmp_path, _row({"code": gtin13(77), "plu": "4011"}))
    assert problems_of(store, path, "delta") == [
        f"line 2: plu: 4011 already belongs to {key(BANANAS)} in the catalog"
    ]


def test_stock_counts_are_ledger_movements_and_an_unchanged_level_adds_none(
    store: Store, tmp_path: Path
) -> None:
    load(store, tmp_path, *GOOD)
    load(store, tmp_path, GOOD[0].replace(",40", ",35"), GOOD[1], kind="delta")
    movements = store.db.execute(
        "SELECT gtin, delta, reason FROM stock_movements ORDER BY id"
    ).fetchall()
    assert movements == [
        (key(MILK), 40, "count"),
        (key(BUTTER), 12, "count"),
        (key(MILK), -5, "count"),
    ]


def test_promotions_are_kept_replaced_or_upserted_as_the_file_says(
    store: Store, tmp_path: Path
) -> None:
    p1 = {"id": "P1", "name": "Milk 2 for 6", "quantity": 2, "price": "6.00", "codes": [MILK]}
    p2 = {"id": "P2", "name": "Butter 3 for 2", "quantity": 3, "free": 1, "codes": [BUTTER]}

    def apply(data: dict[str, Any], kind: str) -> list[str]:
        path = json_file(tmp_path, data)
        catalog_import.stage(store, source(store, path), "j", kind, AT)
        catalog_import.apply_pending(store, AT)
        return [p.promo_id for p in store.promotions()]

    assert apply(json_catalog(promotions=[p1]), "full") == ["P1"]
    assert apply(json_catalog(), "full") == ["P1"]  # no promotions section: kept
    assert apply(json_catalog(promotions=[p2]), "delta") == ["P1", "P2"]  # upserted
    assert apply(json_catalog(promotions=[p2]), "full") == ["P2"]  # replaced


# -- versions ---------------------------------------------------------------------------------


def test_versions_only_go_up(store: Store, tmp_path: Path) -> None:
    """GIVEN live version 5 WHEN a file declares 5 or 3 THEN refused; an undeclared one is 6;
    a waiting 8 refuses a declared 7."""
    path = json_file(tmp_path, json_catalog(catalog_version=5))
    catalog_import.stage(store, source(store, path), "j", "full", AT)
    catalog_import.apply_pending(store, AT)

    for declared in (5, 3):
        path = json_file(tmp_path, json_catalog(catalog_version=declared))
        with pytest.raises(CatalogVersionError) as refused:
            catalog_import.stage(store, source(store, path), "j", "delta", AT)
        assert refused.value.problems == [
            f"catalog_version: {declared} is not newer than the live catalog (version 5)"
        ]
    assert catalog_import.pending(store) is None

    assert stage_csv(store, tmp_path, GOOD[0]) == 6
    path = json_file(tmp_path, json_catalog(catalog_version=8))
    assert catalog_import.stage(store, source(store, path), "j", "full", AT) == 8
    path = json_file(tmp_path, json_catalog(catalog_version=7))
    with pytest.raises(CatalogVersionError, match="not newer than the version waiting"):
        catalog_import.stage(store, source(store, path), "j", "full", AT)


def test_a_delta_staged_over_a_waiting_full_is_merged_into_it(store: Store, tmp_path: Path) -> None:
    load(store, tmp_path, *GOOD)
    stage_csv(store, tmp_path, GOOD[0], GOOD[1])  # version 2: full, milk and butter
    stage_csv(store, tmp_path, _row({"price": "9.99"}), kind="delta")  # version 3

    waiting = catalog_import.pending(store)
    assert waiting is not None and (waiting.version, waiting.kind, waiting.rows) == (3, "full", 2)
    assert catalog_import.apply_pending(store, AT) == 3
    assert sorted(r[0] for r in live(store)) == sorted([key(MILK), key(BUTTER)])
    butter = store.product(key(BUTTER))
    assert butter is not None and butter.price_minor == 999


def test_a_full_version_staged_over_a_waiting_delta_replaces_it(
    store: Store, tmp_path: Path
) -> None:
    load(store, tmp_path, *GOOD)
    stage_csv(store, tmp_path, _row({"price": "9.99"}), kind="delta")
    stage_csv(store, tmp_path, GOOD[0])
    assert catalog_import.apply_pending(store, AT) == 3
    assert [r[0] for r in live(store)] == [key(MILK)]


def test_the_core_rules_follow_the_applied_promotions(store: Store, tmp_path: Path) -> None:
    """GIVEN rules built before a catalog with a promotion was applied WHEN refreshed THEN
    they carry the promotion and the shelf price of the milk in it."""
    p1 = {"id": "P1", "name": "Milk 2 for 6", "quantity": 2, "price": "6.00", "codes": [MILK]}
    path = json_file(tmp_path, json_catalog(promotions=[p1]))
    catalog_import.stage(store, source(store, path), "j", "full", AT)
    old = Rules(currency="PLN")
    assert catalog_import.apply_pending(store, AT) == 1

    rules = catalog_import.refreshed_rules(store, old)
    assert [p.promo_id for p in rules.promotions] == ["P1"]
    assert rules.shelf_prices == ((key(MILK), 349),) and rules.currency == "PLN"


def test_nothing_waiting_applies_nothing(store: Store) -> None:
    assert catalog_import.apply_pending(store, AT) is None
    assert catalog_import.catalog_version(store) == 0


# -- atomic apply ----------------------------------------------------------------------------


def test_a_failure_in_the_middle_of_apply_leaves_the_live_catalog_unchanged(
    store: Store, tmp_path: Path
) -> None:
    """GIVEN a live version and a waiting full one WHEN applying fails on its last product
    (after every old product was deleted) THEN the live catalog, names, stock and version
    are exactly as before, the waiting version is marked refused and not retried."""
    load(store, tmp_path, *GOOD)
    before = (live(store), store.db.execute("SELECT * FROM product_names").fetchall())
    cheese = gtin13(42)
    stage_csv(store, tmp_path, *GOOD[:2], _row({"code": cheese, "name": "Cheese"}))
    store.db.execute(
        "CREATE TEMP TRIGGER fail_midway BEFORE INSERT ON main.products"
        f" WHEN NEW.gtin = '{key(cheese)}' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )

    with pytest.raises(StoreError, match="catalog version 2 cannot be applied: disk on fire"):
        catalog_import.apply_pending(store, AT)

    assert (live(store), store.db.execute("SELECT * FROM product_names").fetchall()) == before
    assert catalog_import.catalog_version(store) == 1
    waiting = catalog_import.pending(store)
    assert waiting is not None and waiting.error == "disk on fire"
    assert catalog_import.apply_pending(store, AT) is None  # refused once, not again
    assert catalog_import.summary(store)["pending"]["error"] == "disk on fire"
    store.db.execute("DROP TRIGGER temp.fail_midway")
    assert stage_csv(store, tmp_path, GOOD[0]) == 2  # a new file replaces the refused one


def test_a_full_disk_during_apply_changes_nothing_and_the_version_waits(
    store: Store, tmp_path: Path
) -> None:
    """GIVEN a waiting delta of 1,500 new products WHEN the disk fills halfway through applying
    THEN nothing changed and the version still waits; once there is room it applies."""
    load(store, tmp_path, *GOOD)
    before = live(store)
    rows = [_row({"code": gtin13(1000 + i), "name": f"Item {i}"}) for i in range(1500)]
    stage_csv(store, tmp_path, *rows, kind="delta")
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count={pages}")

    with pytest.raises(StoreError, match="could not be applied"):
        catalog_import.apply_pending(store, AT)

    assert live(store) == before and catalog_import.catalog_version(store) == 1
    waiting = catalog_import.pending(store)
    assert waiting is not None and waiting.error is None
    store.db.execute("PRAGMA max_page_count=1073741823")
    assert catalog_import.apply_pending(store, AT) == 2
    assert len(live(store)) == 4 + 1500


# -- odds and ends ---------------------------------------------------------------------------


def test_a_picture_path_never_leaves_the_pictures_folder(tmp_path: Path) -> None:
    assert catalog_import.picture_path(tmp_path, "milk.png") == tmp_path / "pictures" / "milk.png"
    with pytest.raises(ValueError, match="not a plain picture file name"):
        catalog_import.picture_path(tmp_path, "../kiosk.sqlite3")


def test_progress_is_reported_as_rows_are_read(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    write_csv(path, 2500)
    src = source(store, path)
    seen: list[int] = []
    src.progress = seen.append
    catalog_import.stage(store, src, "big.csv", "full", AT)
    assert src.expected_rows == 2500 and seen == [1000, 2000, 2500]


def test_a_kiosk_can_sell_while_a_big_file_is_being_checked(tmp_path: Path) -> None:
    """GIVEN an import reading 3,000 rows WHEN the kiosk (another connection to the same
    store, not willing to wait) writes a sale-sized transaction halfway through THEN it is
    not blocked: rows are checked outside any lock on the store."""
    path = tmp_path / "big.csv"
    write_csv(path, 3000)
    with (
        Store.open(tmp_path / "kiosk.sqlite3") as importer,
        Store.open(tmp_path / "kiosk.sqlite3") as kiosk_side,
    ):
        kiosk_side.db.execute("PRAGMA busy_timeout=0")
        written: list[int] = []

        def sell(rows_read: int) -> None:
            if rows_read == 2000:
                kiosk_side.audit("payment-taken", "AUTH1", AT)
                written.append(rows_read)

        src = source(importer, path)
        src.progress = sell
        catalog_import.stage(importer, src, "big.csv", "full", AT)
    assert written == [2000]


def test_the_progress_bar_redraws_at_most_ten_times_a_second() -> None:
    """GIVEN a bar on a fake clock WHEN 100 updates come within 0.25 s THEN three draws."""
    now = [0.0]
    out = io.StringIO()
    bar = cli.ProgressBar(1000, out, clock=lambda: now[0], width=10)
    for done in range(0, 1000, 10):
        now[0] += 0.0025
        bar.update(done)
    bar.finish(1000)
    draws = out.getvalue().split("\r")[1:]
    assert len(draws) == 4  # three while reading, one at the end
    assert draws[-1] == "[##########] 1,000/1,000 rows  4,000 rows/s\n"


def test_a_json_source_reads_the_same_columns_as_a_csv(tmp_path: Path) -> None:
    row = {"code": MILK, "plu": "", "name": "Milk", "price": "1", "vat": "5", "weighed": "no"}
    [item] = JsonCatalog(json_catalog(products=[row])).items()
    assert item.product == Product(key(MILK), "Milk", 100, 500)


# -- the command -----------------------------------------------------------------------------


def kiosk(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "kiosk.toml"
    config.write_text('[kiosk]\ncurrency = "PLN"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    data = ["--data-dir", str(tmp_path / "data")]
    return subprocess.run(
        [sys.executable, "-m", "appliance", "catalog", *args, "--config", str(config), *data],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )


def test_the_import_command_on_2000_rows(tmp_path: Path) -> None:
    """GIVEN a 2,000-row CSV WHEN `kiosk catalog import` runs THEN exit 0 and the summary;
    WHEN a file with two bad rows follows THEN exit 1, both lines on stderr, nothing staged;
    WITH --skip-bad THEN the 1,998 good rows are staged and it still exits 1."""
    good = tmp_path / "catalog.csv"
    write_csv(good, 2000)
    done = kiosk(tmp_path, "import", str(good))
    assert done.returncode == 0, done.stderr
    assert "2,000 rows read, 2,000 imported, 0 skipped" in done.stdout
    assert "staged catalog version 1 (full, 2,000 products)" in done.stdout

    with good.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[10][HEADER.split(",").index("vat")] = "150"  # line 11
    wrong = rows[1500][0][:-1] + str((int(rows[1500][0][-1]) + 1) % 10)  # line 1501
    rows[1500][0] = wrong
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    refused = kiosk(tmp_path, "import", str(bad), "--delta")
    assert refused.returncode == 1
    assert "bad.csv: line 11: vat: not a VAT rate: '150'" in refused.stderr
    assert f"bad.csv: line 1501: code: '{wrong}': " in refused.stderr
    assert "2,000 rows read, 2 rows bad, 2 problems; nothing imported" in refused.stdout
    shown = json.loads(kiosk(tmp_path, "show", "--json").stdout)
    assert shown["pending"]["version"] == 1 and shown["pending"]["rows"] == 2000

    skipped = kiosk(tmp_path, "import", str(bad), "--skip-bad", "--format", "csv")
    assert skipped.returncode == 1
    assert "2,000 rows read, 1,998 imported, 2 skipped, 2 problems" in skipped.stdout
    assert "bad.csv: line 1501: code:" in skipped.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "missing.csv"], "missing.csv: no such file"),
        (["import", "c.txt"], "give --format csv|json"),
        (["import", "c.csv", "--config", "nowhere.toml"], "configuration error"),
        (["show"], "no store at"),
    ],
)
def test_usage_and_config_errors_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(logging, "basicConfig", lambda **_: None)
    csv_file(tmp_path, GOOD[0], name="c.txt")
    csv_file(tmp_path, GOOD[0], name="c.csv")
    code = cli.main(["catalog", *args, "--data-dir", str(tmp_path / "data")])
    assert code == 2 and message in capsys.readouterr().err
