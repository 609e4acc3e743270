"""Paid sales for tests: a basket through the real core types into a SaleDraft or a Store."""

from __future__ import annotations

from appliance import wire
from appliance.core.basket import Basket
from appliance.core.effects import SaleDraft
from appliance.core.products import Product
from appliance.shell.store import CommittedSale, Store, sale_body

MILK = Product("05000000000017", "Milk 1 l", 129, 600)
BREAD = Product("05000000000024", "Bread", 249, 600)
WALL_AT = "2026-11-23T10:00:00+00:00"


def sale_draft(*products: Product, currency: str = "EUR") -> SaleDraft:
    """A card-paid sale of one unit of each product (milk and bread when none are given)."""
    basket = Basket()
    for product in products or (MILK, BREAD):
        basket = basket.add(product, product.price_minor)
    return SaleDraft(
        currency=currency,
        lines=basket.lines,
        totals=basket.totals(()),
        payment_method="card",
        payment_reference="test-approval",
    )


def commit_sale(store: Store, kiosk_id: str, *products: Product) -> CommittedSale:
    return store.commit_sale(sale_draft(*products), kiosk_id, WALL_AT, clock_synced=True)


def sale_envelope(kiosk_id: str, seq: int, event_id: str | None = None) -> wire.Envelope:
    """A valid sale event as a kiosk would send it, without a kiosk store."""
    sale_id = f"sale-{kiosk_id}-{seq}"
    body = sale_body(sale_id, seq, sale_draft())
    return wire.Envelope(
        event_id=event_id or f"evt-{kiosk_id}-{seq}",
        kiosk_id=kiosk_id,
        stream=wire.STREAM_SALES,
        seq=seq,
        at=WALL_AT,
        clock_synced=True,
        body=body,
    )
