"""The basket: lines, savings, totals and the VAT table (pure, integer minor units)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from appliance.core import promotion_hints, promotions, tax
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

    def units(self) -> list[promotions.PricedUnit]:
        """Every unit sold, one per item: what the promotion engine shares out."""
        return [
            promotions.PricedUnit(line.line_no, line.product.gtin, line.unit_price_minor)
            for line in self.lines
            if not line.voided
            for _ in range(line.quantity)
        ]

    def totals(self, promos: Sequence[promotions.Rule]) -> Totals:
        savings = promotions.apply(promos, self.units())
        subtotal = sum(line.total_minor for line in self.lines)
        total = subtotal - sum(s.amount_minor for s in savings)
        return Totals(subtotal, savings, total, tax.tax_table(self._gross_by_rate(savings)))

    def _gross_by_rate(self, savings: Sequence[promotions.Saving]) -> list[tuple[int, int]]:
        """Each line's gross after its share of savings, by VAT rate."""
        by_no = {line.line_no: line for line in self.lines}
        return [(by_no[no].product.vat_rate_bp, g) for no, g in self.paid_by_line(savings).items()]

    def hints(
        self,
        promos: Sequence[promotions.Rule],
        shelf_prices: Mapping[str, int] | None = None,
        touching: str | None = None,
    ) -> tuple[promotion_hints.Hint, ...]:
        """Deals one more item would complete (promotion_hints.hints). Showing each hint
        once, and never in the way, is the caller's job."""
        return promotion_hints.hints(promos, self.units(), shelf_prices, touching)

    def paid_by_line(self, savings: Sequence[promotions.Saving]) -> dict[int, int]:
        """What the customer pays for each line once its share of savings is taken off.

        A saving is shared among the lines it was taken from in proportion to the value of
        the units taken, by largest remainder (ties to the lower line number): the shares
        sum exactly, and none exceeds the value it was taken from, so no line goes below 0
        (the engine never takes more than a unit's price). Refunds give back these
        amounts, never the shelf price.
        """
        gross = {line.line_no: line.total_minor for line in self.lines}
        price = {line.line_no: line.unit_price_minor for line in self.lines}
        for s in savings:
            value = {no: units * price[no] for no, units in s.taken_from}
            whole = sum(value.values())
            if whole == 0:
                continue
            share = {no: divmod(s.amount_minor * v, whole) for no, v in value.items()}
            left = s.amount_minor - sum(q for q, _ in share.values())
            for i, no in enumerate(sorted(share, key=lambda no: (-share[no][1], no))):
                gross[no] -= share[no][0] + (1 if i < left else 0)
        return gross
