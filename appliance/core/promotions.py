"""Promotions as data, applied to a basket's lines (pure).

Skeleton engine: multi-buy ("3 for 2", "2 for 5.00"). Each promotion groups qualifying
units, dearest first, into bundles of `quantity`; a bundle is discounted only when that
lowers its price, so a promotion never raises a price. Promotions are applied in id
order and a unit counts towards at most one promotion, which keeps the result
deterministic. (The best-total search over overlapping deals comes with issue 3.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Promotion:
    """A multi-buy over a set of GTINs.

    quantity: units that make one bundle.
    bundle_price_minor: the bundle's price ("2 for 5.00" → 500), or None.
    free_units: the cheapest units in a bundle that are free ("3 for 2" → 1), or 0.
    """

    promo_id: str
    name: str
    gtins: frozenset[str]
    quantity: int
    bundle_price_minor: int | None = None
    free_units: int = 0


@dataclass(frozen=True, slots=True)
class Saving:
    promo_id: str
    name: str
    amount_minor: int
    # the (line_no, units) the saving was taken from, to spread it back for VAT
    taken_from: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class PricedUnit:
    line_no: int
    gtin: str
    unit_price_minor: int


def apply(promotions: Sequence[Promotion], units: Sequence[PricedUnit]) -> tuple[Saving, ...]:
    """Every saving the basket earns, in promotion id order."""
    used: set[int] = set()
    savings: list[Saving] = []
    for promo in sorted(promotions, key=lambda p: p.promo_id):
        pool = [(i, u) for i, u in enumerate(units) if i not in used and u.gtin in promo.gtins]
        pool.sort(key=lambda iu: (-iu[1].unit_price_minor, iu[1].line_no, iu[0]))
        for start in range(0, len(pool) - promo.quantity + 1, promo.quantity):
            bundle = pool[start : start + promo.quantity]
            full = sum(u.unit_price_minor for _, u in bundle)
            if promo.bundle_price_minor is not None:
                saving = full - promo.bundle_price_minor
            else:
                saving = sum(u.unit_price_minor for _, u in bundle[-promo.free_units :])
            if saving <= 0:
                continue
            used.update(i for i, _ in bundle)
            per_line: dict[int, int] = {}
            for _, u in bundle:
                per_line[u.line_no] = per_line.get(u.line_no, 0) + 1
            savings.append(
                Saving(promo.promo_id, promo.name, saving, tuple(sorted(per_line.items())))
            )
    return tuple(savings)
