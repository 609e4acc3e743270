"""Records the store hands to the core and back: sold sales (for refunds), refunds,
suspended baskets, X/Z reports, and plain printable documents (pure data)."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.core.tax import TaxRow


@dataclass(frozen=True, slots=True)
class SoldLine:
    """One line of a committed sale as the store knows it now.

    paid_minor: what the customer paid for the whole line, savings taken off.
    refunded: units already refunded (a refund can never exceed quantity - refunded).
    """

    line_no: int
    gtin: str
    name: str
    quantity: int
    paid_minor: int
    vat_rate_bp: int
    refunded: int = 0

    @property
    def refundable(self) -> int:
        return self.quantity - self.refunded

    def refund_minor(self, units: int) -> int:
        """Money back for `units` more units: the paid amount shared out per unit, the
        remainder going with the last unit, so refunding everything returns exactly
        what was paid."""
        if not 0 <= units <= self.refundable:
            raise ValueError(f"line {self.line_no}: {units} units cannot be refunded")
        return self._paid_for_first(self.refunded + units) - self._paid_for_first(self.refunded)

    def _paid_for_first(self, units: int) -> int:
        if units == self.quantity:
            return self.paid_minor
        return units * (self.paid_minor // self.quantity)


@dataclass(frozen=True, slots=True)
class SoldSale:
    sale_id: str
    seq: int
    currency: str
    payment_method: str
    lines: tuple[SoldLine, ...]


@dataclass(frozen=True, slots=True)
class RefundLine:
    line_no: int
    gtin: str
    name: str
    units: int
    amount_minor: int
    vat_rate_bp: int


@dataclass(frozen=True, slots=True)
class RefundDraft:
    """A refund being put together by staff: the sale, and how many units of each line."""

    sale: SoldSale
    units: tuple[tuple[int, int], ...] = ()  # (line_no, units)

    def units_for(self, line_no: int) -> int:
        return dict(self.units).get(line_no, 0)

    def lines(self) -> tuple[RefundLine, ...]:
        by_no = {line.line_no: line for line in self.sale.lines}
        return tuple(
            RefundLine(
                no,
                by_no[no].gtin,
                by_no[no].name,
                n,
                by_no[no].refund_minor(n),
                by_no[no].vat_rate_bp,
            )
            for no, n in self.units
            if n > 0
        )

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines())


@dataclass(frozen=True, slots=True)
class Report:
    """An X report (so far today) or a Z report (the day closed; numbered, immutable)."""

    kind: str  # "X" or "Z"
    number: int | None
    currency: str
    period_from: str
    period_to: str
    sales_count: int
    sales_minor: int
    refunds_count: int
    refunds_minor: int
    tax_rows: tuple[TaxRow, ...]
    by_payment: tuple[tuple[str, int], ...]
    cancelled_sales: int
    voided_lines: int

    @property
    def net_minor(self) -> int:
        return self.sales_minor - self.refunds_minor


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """A line of text, with an amount (minor units of the document's currency) to show
    right-aligned: the printer and the screen format it for their locale."""

    text: str
    amount_minor: int | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """Anything printed that is not a sale receipt: slips, refunds, reports."""

    title: str
    lines: tuple[DocumentLine, ...]
    currency: str = ""
    barcode: str = ""

    def texts(self) -> tuple[str, ...]:
        return tuple(line.text for line in self.lines)

    def amount(self, text: str) -> int | None:
        """The amount on the line that reads `text` (tests and the screen use it)."""
        return next((ln.amount_minor for ln in self.lines if ln.text == text), None)
