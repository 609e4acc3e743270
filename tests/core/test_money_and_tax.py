"""VAT per rate, savings spread back onto lines, and totals that add up to the cent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.core.basket import Basket
from appliance.core.products import Product
from appliance.core.promotions import Promotion
from appliance.core.tax import tax_included, tax_table

RATES = [2300, 800, 500, 0, 1900, 700, 2000]


@pytest.mark.parametrize(
    ("gross", "rate", "tax"),
    [
        (12300, 2300, 2300),  # 123.00 at 23 % holds 23.00 VAT
        (10800, 800, 800),
        (100, 2300, 19),  # 1.00 * 23/123 = 0.18699 → 0.19
        (249, 500, 12),  # 2.49 * 5/105 = 0.11857 → 0.12
        (119, 1900, 19),  # 1.19 * 19/119 = 0.19 exactly
        (0, 2300, 0),
        (-249, 500, -12),  # a refund mirrors a sale
    ],
)
def test_tax_included_rounds_half_up(gross: int, rate: int, tax: int) -> None:
    assert tax_included(gross, rate) == tax


def product(n: int, price: int, rate: int) -> Product:
    return Product(f"{n:014d}", f"item {n}", price, rate)


baskets = st.lists(
    st.tuples(st.integers(1, 30), st.integers(1, 50_000), st.sampled_from(RATES)),
    min_size=1,
    max_size=25,
)


@given(baskets)
def test_tax_rows_add_up_to_the_total(items: list[tuple[int, int, int]]) -> None:
    """Per-rate grosses sum exactly to the total; net + tax = gross on every row."""
    basket = Basket()
    for n, price, rate in items:
        basket = basket.add(product(n, price, rate), price)
    totals = basket.totals(())
    assert sum(r.gross_minor for r in totals.tax_rows) == totals.total_minor
    for row in totals.tax_rows:
        assert row.net_minor + row.tax_minor == row.gross_minor
        assert 0 <= row.tax_minor <= row.gross_minor


@given(baskets, st.integers(2, 4), st.integers(0, 3), st.integers(1, 9_000))
def test_promotions_never_raise_a_price_and_totals_balance(
    items: list[tuple[int, int, int]], qty: int, free: int, bundle: int
) -> None:
    """Total = lines - savings; no saving is negative; VAT still sums to the total."""
    basket = Basket()
    for n, price, rate in items:
        basket = basket.add(product(n, price, rate), price)
    gtins = frozenset(product(n, 0, 0).gtin for n, _, _ in items[::2])
    promos = (
        Promotion("A", "free one", gtins, qty, None, min(free, qty - 1) or 1),
        Promotion("B", "bundle", gtins, qty, bundle, 0),
    )
    totals = basket.totals(promos)
    assert all(s.amount_minor > 0 for s in totals.savings)
    assert totals.total_minor == totals.subtotal_minor - totals.saved_minor
    assert totals.total_minor <= totals.subtotal_minor
    assert totals.total_minor >= 0
    assert sum(r.gross_minor for r in totals.tax_rows) == totals.total_minor


def test_three_for_two_and_two_for_a_price() -> None:
    crisps = product(1, 699, 500)
    wine_red, wine_white = product(2, 2999, 2300), product(3, 2799, 2300)
    promos = (
        Promotion("P1", "Crisps 3 for 2", frozenset({crisps.gtin}), 3, None, 1),
        Promotion("P2", "2 wines for 50", frozenset({wine_red.gtin, wine_white.gtin}), 2, 5000),
    )
    basket = Basket()
    for p in (crisps, crisps, crisps, wine_red, wine_white, crisps):
        basket = basket.add(p, p.price_minor)
    totals = basket.totals(promos)
    assert [(s.promo_id, s.amount_minor) for s in totals.savings] == [("P1", 699), ("P2", 798)]
    assert totals.total_minor == 4 * 699 + 2999 + 2799 - 699 - 798
    assert tax_table([(2300, 5000), (500, 3 * 699)]) == totals.tax_rows


def test_repeat_scans_bump_quantity_but_weighed_labels_do_not() -> None:
    milk = product(1, 349, 500)
    apples = Product("02100002000003", "Apples", 499, 500, weighed=True)
    basket = Basket().add(milk, 349).add(milk, 349).add(apples, 212).add(apples, 187)
    assert [(line.product.name, line.quantity) for line in basket.lines] == [
        ("item 1", 2),
        ("Apples", 1),
        ("Apples", 1),
    ]
    assert basket.item_count == 4
