"""Fixtures for the driver ring: a sample receipt (three lines, a saving, two VAT rates)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from appliance.core.receipt import Receipt, ReceiptLine, ReceiptSaving
from appliance.core.tax import tax_table

SALE_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
MakeReceipt = Callable[..., Receipt]


def make_receipt(
    currency: str = "GBP", sale_id: str = SALE_ID, seq: int = 42, store_name: str = "Corner Shop"
) -> Receipt:
    """Żubrówka 49.99 at 23 %; Müsli 2 × 2.49 and apples 3 × 1.00 at 8 %, 0.50 off the Müsli."""
    lines = (
        ReceiptLine("Żubrówka 0,7 l", 1, 4999, 4999),
        ReceiptLine("Müsli", 2, 249, 498),
        ReceiptLine("Apples", 3, 100, 300),
    )
    saving = ReceiptSaving("Breakfast deal", 50)
    rows = tax_table([(2300, 4999), (800, 498 - saving.amount_minor), (800, 300)])
    return Receipt(
        store_name=store_name,
        currency=currency,
        sale_id=sale_id,
        seq=seq,
        wall_at="2026-11-23T09:15:00.000+00:00",
        lines=lines,
        savings=(saving,),
        tax_rows=rows,
        total_minor=sum(line.total_minor for line in lines) - saving.amount_minor,
        payment_method="card",
        payment_reference="SIM000042",
    )


@pytest.fixture
def receipt() -> Receipt:
    return make_receipt()


@pytest.fixture
def receipt_factory() -> MakeReceipt:
    return make_receipt


class FakeMonotonic:
    """A monotonic clock that moves 1 ms each time it is read (timestamps only)."""

    def __init__(self) -> None:
        self._ticks = itertools.count()

    def __call__(self) -> float:
        return 1000.0 + next(self._ticks) / 1000


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()
