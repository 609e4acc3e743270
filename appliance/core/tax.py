"""VAT-inclusive prices split into net and tax per rate (pure, integer minor units).

Allocation rule: lines are summed per rate first (gross, after savings); each rate's tax
is computed once from that gross as gross * rate / (1 + rate), rounded half up to the
minor unit; net = gross - tax. The grosses therefore add up to the sale total exactly,
and the receipt's VAT table never disagrees with the total by a cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TaxRow:
    rate_bp: int
    gross_minor: int
    tax_minor: int

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.tax_minor


def tax_included(gross_minor: int, rate_bp: int) -> int:
    """Tax contained in a VAT-inclusive amount, rounded half up (half away from zero)."""
    num = gross_minor * rate_bp
    den = 10_000 + rate_bp
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q


def tax_table(lines: Iterable[tuple[int, int]]) -> tuple[TaxRow, ...]:
    """(rate_bp, gross_minor) pairs → one row per rate, highest rate first."""
    per_rate: dict[int, int] = {}
    for rate_bp, gross in lines:
        per_rate[rate_bp] = per_rate.get(rate_bp, 0) + gross
    return tuple(
        TaxRow(rate, gross, tax_included(gross, rate))
        for rate, gross in sorted(per_rate.items(), reverse=True)
    )
