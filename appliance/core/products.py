"""What the core knows about a product: a snapshot handed in by the store, never fetched."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Product:
    """One sellable item as the store describes it at the moment of the scan.

    gtin: 14-digit GTIN (the lookup key), or the zeroed lookup key of a variable-measure item.
    price_minor: shelf price including VAT, in minor units of the store currency; for a
        weighed item this is the price per kilogram (labels from the scale carry the price).
    vat_rate_bp: VAT rate in basis points (2300 = 23 %).
    age_limit: minimum age in years, or None.
    weighed: priced by a certified scale's label, never by the kiosk.
    quantity_limit: most units one customer may buy in a sale (staff may allow more), or None.
    plu: the IFPS price look-up code of loose produce (4011 bananas), or None.
    """

    gtin: str
    name: str
    price_minor: int
    vat_rate_bp: int
    age_limit: int | None = None
    weighed: bool = False
    quantity_limit: int | None = None
    plu: str | None = None
