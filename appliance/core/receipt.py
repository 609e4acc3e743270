"""A committed sale as a receipt model: what to print, with no ESC/POS bytes here."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.core.tax import TaxRow


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    name: str
    quantity: int
    unit_price_minor: int
    total_minor: int


@dataclass(frozen=True, slots=True)
class ReceiptSaving:
    name: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Receipt:
    store_name: str
    currency: str
    sale_id: str
    seq: int
    wall_at: str
    lines: tuple[ReceiptLine, ...]
    savings: tuple[ReceiptSaving, ...]
    tax_rows: tuple[TaxRow, ...]
    total_minor: int
    payment_method: str
    payment_reference: str
