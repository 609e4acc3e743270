"""The open (unpaid) sale as plain data, and how it comes back after a restart (pure).

The shell saves `open_sale(state)` whenever it changes and clears it in the same
transaction that commits the sale; at start it hands the saved data to `restore`.
Rule: a sale restored in the middle of payment cannot know whether the card was
charged, so it comes back BLOCKED until staff check the terminal (payment-uncertain).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from appliance.core.basket import Basket, Line
from appliance.core.interventions import Intervention, Need
from appliance.core.products import Product
from appliance.core.remote import CLOSED_BY_HEAD_OFFICE
from appliance.core.state import PAYMENT_STATES, Checkout, KioskState
from appliance.core.text import Text

VERSION = 1
_KEPT = frozenset({Checkout.SCANNING, Checkout.BLOCKED, Checkout.OUT_OF_SERVICE}) | (
    PAYMENT_STATES - {Checkout.PRINTING}
)


def product_to_dict(p: Product) -> dict[str, Any]:
    return {
        "gtin": p.gtin,
        "name": p.name,
        "price_minor": p.price_minor,
        "vat_rate_bp": p.vat_rate_bp,
        "age_limit": p.age_limit,
        "weighed": p.weighed,
        "quantity_limit": p.quantity_limit,
        "plu": p.plu,
    }


def product_from_dict(d: dict[str, Any]) -> Product:
    return Product(
        gtin=str(d["gtin"]),
        name=str(d["name"]),
        price_minor=int(d["price_minor"]),
        vat_rate_bp=int(d["vat_rate_bp"]),
        age_limit=None if d.get("age_limit") is None else int(d["age_limit"]),
        weighed=bool(d.get("weighed", False)),
        quantity_limit=None if d.get("quantity_limit") is None else int(d["quantity_limit"]),
        plu=None if d.get("plu") is None else str(d["plu"]),
    )


def basket_to_dict(basket: Basket) -> list[dict[str, Any]]:
    return [
        {
            "line_no": line.line_no,
            "product": product_to_dict(line.product),
            "quantity": line.quantity,
            "unit_price_minor": line.unit_price_minor,
            "voided": line.voided,
        }
        for line in basket.lines
    ]


def basket_from_dict(rows: list[dict[str, Any]]) -> Basket:
    return Basket(
        tuple(
            Line(
                line_no=int(r["line_no"]),
                product=product_from_dict(r["product"]),
                quantity=int(r["quantity"]),
                unit_price_minor=int(r["unit_price_minor"]),
                voided=bool(r.get("voided", False)),
            )
            for r in rows
        )
    )


def _intervention_to_dict(i: Intervention) -> dict[str, Any]:
    return {"need": i.need.value, "detail": i.detail, "line_no": i.line_no, "age": i.age}


def _intervention_from_dict(d: dict[str, Any]) -> Intervention:
    return Intervention(Need(d["need"]), str(d["detail"]), d.get("line_no"), d.get("age"))


def open_sale(state: KioskState) -> dict[str, Any] | None:
    """What must survive a restart now, or None when no unpaid sale is open."""
    if state.checkout not in _KEPT or state.basket.is_empty:
        return None
    return {
        "v": VERSION,
        "checkout": state.checkout.value,
        "basket": basket_to_dict(state.basket),
        "blocking": None if state.blocking is None else _intervention_to_dict(state.blocking),
        "deferred": [_intervention_to_dict(i) for i in state.deferred],
        "age_verified": state.age_verified,
        "payment_attempts": state.payment_attempts,
        "payment_reference": state.payment_reference,
    }


def restore(state: KioskState, data: dict[str, Any]) -> KioskState:
    """Bring a saved open sale back on screen. Raises ValueError on data it cannot read."""
    if data.get("v") != VERSION:
        raise ValueError(f"unknown open-sale version {data.get('v')!r}")
    try:
        checkout = Checkout(data["checkout"])
        basket = basket_from_dict(data["basket"])
        blocking = None if data["blocking"] is None else _intervention_from_dict(data["blocking"])
        deferred = tuple(_intervention_from_dict(d) for d in data["deferred"])
        restored = replace(
            state,
            checkout=checkout,
            basket=basket,
            blocking=blocking,
            deferred=deferred,
            age_verified=int(data["age_verified"]),
            payment_attempts=int(data["payment_attempts"]),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"open sale unreadable: {exc}") from None
    if checkout is Checkout.PAYMENT_DECLINED:
        # the last attempt was declined and no new one had started: nothing was charged
        restored = replace(restored, checkout=Checkout.SCANNING)
    elif checkout in PAYMENT_STATES or checkout is Checkout.OUT_OF_SERVICE:
        # a lane closed with a basket is one whose paid sale could not be saved
        reference = data.get("payment_reference") or ""
        detail = (
            Text(
                "The kiosk restarted during payment: check the card terminal"
                " (the terminal's reference was {reference}).",
                reference=reference,
            )
            if reference
            else Text("The kiosk restarted during payment: check the card terminal.")
        )
        return replace(
            restored,
            checkout=Checkout.BLOCKED,
            blocking=Intervention(Need.PAYMENT_UNCERTAIN, detail),
            notice=detail,
        )
    return replace(restored, notice=Text("Your shopping is still here: carry on scanning."))


# closures a person or head office made: they outlive a restart, and only a person (or head
# office, for its own) opens the lane again. A store fault or a full outbox is found anew
# at start, so it is not kept.
KEPT_CLOSURES = ("Closed by staff", CLOSED_BY_HEAD_OFFICE)
LANE_VERSION = 1


def lane(state: KioskState) -> dict[str, Any] | None:
    """What of the lane itself must survive a restart (its closure, head office's request
    waiting for the sale in hand to end), or None when nothing does."""
    reason = state.out_of_service_reason
    closed = reason if state.checkout is Checkout.OUT_OF_SERVICE else ""
    if not closed.startswith(KEPT_CLOSURES):
        closed = ""
    request = state.service_request
    if not closed and request is None:
        return None
    return {
        "v": LANE_VERSION,
        "closed": closed,
        "service_request": None if request is None else [request[0], request[1]],
    }


def restore_lane(state: KioskState, data: dict[str, Any]) -> KioskState:
    """The lane as it was: closed again when it was closed (if no sale came back with it),
    and head office's waiting request. Raises ValueError on data it cannot read."""
    if data.get("v") != LANE_VERSION:
        raise ValueError(f"unknown lane version {data.get('v')!r}")
    closed, request = data.get("closed"), data.get("service_request")
    if not isinstance(closed, str) or (closed and not closed.startswith(KEPT_CLOSURES)):
        raise ValueError(f"lane closure unreadable: {closed!r}")
    waiting: tuple[bool, str] | None = None
    if request is not None:
        if not (
            isinstance(request, list)
            and len(request) == 2
            and isinstance(request[0], bool)
            and isinstance(request[1], str)
        ):
            raise ValueError(f"head office's request unreadable: {request!r}")
        waiting = (request[0], request[1])
    state = replace(state, service_request=waiting)
    if closed and state.checkout is Checkout.WELCOME:
        state = replace(state, checkout=Checkout.OUT_OF_SERVICE, out_of_service_reason=closed)
    return state
