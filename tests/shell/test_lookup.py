"""The lookup screen's answers from the store: best sellers, search by name in any language
(accents and case ignored), PLUs, and a cost that follows the loose items, not the catalog.

The cost is counted in SQLite virtual-machine steps (a progress handler), which follow the
rows a query visits; wall-clock time would make the test flaky on a busy CI machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from appliance.core import barcodes
from appliance.core.products import Product
from appliance.shell import lookup
from appliance.shell.lookup import ProduceLookup, best_sellers, fold
from appliance.shell.store import Store
from tests.support.sales import MILK, sale_draft

NOW = "2026-11-23T12:00:00.000+00:00"


def loose(n: int, name: str, price_minor: int = 199, *, plu: str, weighed: bool = False) -> Product:
    body = f"20{n:05d}00000"
    return Product(
        f"0{body}{barcodes.gs1_check_digit(body)}", name, price_minor, 500, weighed=weighed, plu=plu
    )


APPLES = loose(1, "Apples", 499, plu="4131", weighed=True)
BANANAS = loose(2, "Bananas", 699, plu="4011", weighed=True)
LEMONS = loose(3, "Lemons, each", 99, plu="4053")
ROLL = loose(4, "Kaiser roll", 69, plu="83001")
ORGANIC = loose(5, "Organic bananas", 899, plu="94011", weighed=True)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "kiosk.sqlite3") as opened:
        opened.replace_catalog([MILK, APPLES, BANANAS, LEMONS, ROLL, ORGANIC], (), {}, NOW)
        lookup.keep_details(
            opened,
            {
                APPLES.gtin: ("fruit", "apples.png", (("pl", "Jabłka"), ("de", "Äpfel"))),
                LEMONS.gtin: ("fruit", "../lemons.png", (("pl", "Cytryny"),)),
                ROLL.gtin: ("bakery", None, (("pl", "Kajzerka"),)),
            },
        )
        yield opened


def sell(store: Store, at: str, *products: Product) -> None:
    store.commit_sale(sale_draft(*products), "k1", at, clock_synced=True)


def finder(store: Store, pictures: tuple[Path, ...] = ()) -> ProduceLookup:
    return ProduceLookup(store, wall_iso=lambda: NOW, picture_dirs=pictures)


def names(items: object) -> list[str]:
    return [item.name for item in items]  # type: ignore[attr-defined]


def test_folding_ignores_case_and_accents_including_the_polish_l() -> None:
    assert fold("Jabłka") == fold("JABLKA") == "jablka"
    assert fold("Äpfel Żółć Straße") == "apfel zolc strasse"


def test_best_sellers_count_units_in_the_window_and_only_loose_items(store: Store) -> None:
    """GIVEN lemons sold 3 times this week, bananas twice, a roll 5 times two months ago
    and milk (not loose) often WHEN best sellers of the last 30 days are asked THEN lemons,
    bananas; the old roll sales and the milk do not count."""
    for _ in range(5):
        sell(store, "2026-09-01T10:00:00+00:00", ROLL)
    for _ in range(3):
        sell(store, "2026-11-20T10:00:00+00:00", LEMONS, MILK, MILK)
    sell(store, "2026-11-21T10:00:00+00:00", BANANAS, BANANAS)
    assert best_sellers(store, "2026-10-24T12:00:00+00:00") == (LEMONS.gtin, BANANAS.gtin)
    assert best_sellers(store, "2026-01-01T00:00:00+00:00")[0] == ROLL.gtin
    # only the newest sales are read (by number): the last two hold 2 bananas and a lemon
    newest_two = best_sellers(store, "2026-01-01T00:00:00+00:00", max_sales=2)
    assert newest_two == (BANANAS.gtin, LEMONS.gtin)


def test_the_grid_is_every_loose_item_best_sellers_first_then_by_name(store: Store) -> None:
    sell(store, "2026-11-22T10:00:00+00:00", ROLL, ROLL, LEMONS)
    found = finder(store)
    assert names(found.loose_items()) == [
        "Kaiser roll",
        "Lemons, each",
        "Apples",
        "Bananas",
        "Organic bananas",
    ]
    # cached until the UI passes a new key (a sale committed): then counted again
    sell(store, "2026-11-22T11:00:00+00:00", BANANAS, BANANAS, BANANAS)
    assert names(found.loose_items())[0] == "Kaiser roll"
    found.refresh((0, 1))
    assert names(found.loose_items())[0] == "Bananas"


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("jablka", ["Apples"]),  # the Polish name, typed without its ł
        ("JABŁ", ["Apples"]),
        ("apfel", ["Apples"]),  # the German name, typed without its umlaut
        ("banan", ["Bananas", "Organic bananas"]),
        ("  kajz ", ["Kaiser roll"]),
        ("milk", []),  # not a loose item: it has a barcode to scan
        ("", []),
        ("xyz", []),
    ],
)
def test_search_finds_names_in_any_language_ignoring_case_and_accents(
    store: Store, query: str, wanted: list[str]
) -> None:
    assert names(finder(store).search(query)) == wanted


def test_a_plu_finds_its_item_and_organic_is_its_own(store: Store) -> None:
    found = finder(store)
    assert found.by_plu("4011") is not None and found.by_plu("4011").name == "Bananas"  # type: ignore[union-attr]
    assert found.by_plu("94011").name == "Organic bananas"  # type: ignore[union-attr]
    assert found.by_plu("4012") is None


def test_pictures_are_found_in_order_and_never_outside_their_folder(
    store: Store, tmp_path: Path
) -> None:
    first, second = tmp_path / "store-pictures", tmp_path / "demo"
    for folder in (first, second):
        folder.mkdir()
    (second / "apples.png").write_bytes(b"png")
    (tmp_path / "lemons.png").write_bytes(b"png")  # ../lemons.png must not be reached
    items = {i.name: i for i in finder(store, (first, second)).loose_items()}
    assert items["Apples"].picture == str(second / "apples.png")
    assert items["Lemons, each"].picture == ""
    assert items["Kaiser roll"].picture == ""


@contextmanager
def counted(store: Store) -> Iterator[Callable[[], int]]:
    """Counts SQLite VM steps (in hundreds) while the block runs."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    store.db.set_progress_handler(tick, 100)
    try:
        yield lambda: steps[0] * 100
    finally:
        store.db.set_progress_handler(None, 0)


def test_with_100k_products_the_lookup_reads_only_the_loose_items(tmp_path: Path) -> None:
    """GIVEN 100,000 products of which 300 are loose, with names in two languages WHEN the
    grid is loaded, searched and a PLU keyed THEN the work stays a small fraction of one pass
    over the catalog, and a search returns at most its limit."""
    products = []
    for n in range(100_000):
        body = f"59{n:010d}"
        code = f"0{body}{barcodes.gs1_check_digit(body)}"
        plu = str(3000 + n // 333) if n % 333 == 0 and n < 100_000 else None
        products.append(Product(code, f"Product {n} jabłko", 100 + n % 50, 500, plu=plu))
    loose_count = sum(1 for p in products if p.plu)
    assert loose_count == 301
    with Store.open(tmp_path / "big.sqlite3") as store:
        store.replace_catalog(products, (), {}, NOW)
        lookup.keep_details(
            store, {p.gtin: (None, None, (("pl", f"Produkt {i}"),)) for i, p in enumerate(products)}
        )
        with counted(store) as full_pass:
            store.db.execute("SELECT count(*) FROM products WHERE name LIKE '%jablko%'").fetchone()
        one_pass = full_pass()
        found = ProduceLookup(store, wall_iso=lambda: NOW, search_limit=48)
        with counted(store) as work:
            grid = found.loose_items()
            results = found.search("JABLKO")
            plu = found.by_plu("3000")
        assert len(grid) == loose_count
        assert len(results) == 48  # every loose name matches: the limit holds
        assert plu is not None
        assert work() < one_pass // 20, (work(), one_pass)
