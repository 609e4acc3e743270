"""The basket: lines, savings, totals and the VAT table (pure, integer minor units)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from appliance.core import promotions, tax
from appliance.core.products import Product


@dataclass(frozen=True, slots=True)
class Line:
    """One basket line. A weighed item's label price is its unit price, quantity 1."""

    line_no: int
    product: Product
    quantity: int
    unit_price_minor: int
    voided: bool = False

    @property
    def total_minor(self) -> int:
        return 0 if self.voided else self.quantity * self.unit_price_minor


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal_minor: int
    savings: tuple[promotions.Saving, ...]
    total_minor: int
    tax_rows: tuple[tax.TaxRow, ...]

    @property
    def saved_minor(self) -> int:
        return sum(s.amount_minor for s in self.savings)


@dataclass(frozen=True, slots=True)
class Basket:
    lines: tuple[Line, ...] = ()

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines if not line.voided)

    @property
    def is_empty(self) -> bool:
        return self.item_count == 0

    def add(self, product: Product, unit_price_minor: int) -> Basket:
        """Add one unit; a repeat scan of a fixed-price item bumps the last line's quantity."""
        last = self.lines[-1] if self.lines else None
        if (
            last is not None
            and not last.voided
            and not product.weighed
            and last.product == product
            and last.unit_price_minor == unit_price_minor
        ):
            bumped = replace(last, quantity=last.quantity + 1)
            return Basket((*self.lines[:-1], bumped))
        line = Line(len(self.lines) + 1, product, 1, unit_price_minor)
        return Basket((*self.lines, line))

    def totals(self, promos: Sequence[promotions.Promotion]) -> Totals:
        units = [
            promotions.PricedUnit(line.line_no, line.product.gtin, line.unit_price_minor)
            for line in self.lines
            if not line.voided
            for _ in range(line.quantity)
        ]
        savings = promotions.apply(promos, units)
        subtotal = sum(line.total_minor for line in self.lines)
        total = subtotal - sum(s.amount_minor for s in savings)
        return Totals(subtotal, savings, total, tax.tax_table(self._gross_by_rate(savings)))

    def _gross_by_rate(self, savings: Sequence[promotions.Saving]) -> list[tuple[int, int]]:
        """Each line's gross after its share of savings, by VAT rate.

        A saving is spread over the lines it was taken from in proportion to their
        value, the remainder going to the last line, so the shares sum exactly.
        """
        gross = {line.line_no: line.total_minor for line in self.lines}
        by_no = {line.line_no: line for line in self.lines}
        for s in savings:
            value = {no: units * by_no[no].unit_price_minor for no, units in s.taken_from}
            whole = sum(value.values())
            left = s.amount_minor
            for i, (no, v) in enumerate(value.items()):
                share = left if i == len(value) - 1 else s.amount_minor * v // whole
                gross[no] -= share
                left -= share
        return [(by_no[no].product.vat_rate_bp, g) for no, g in gross.items()]
