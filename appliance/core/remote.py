"""Head office's out-of-service requests (a verified `out-of-service` command), decided here.

Rules:
1. A request never interrupts a sale: it waits in `service_request` and is taken between
   sales (welcome or out-of-service), like a new catalog (selling.between_sales).
2. `on` closes the lane with head office's reason; a lane already closed (by staff, a
   store fault, a full outbox) stays closed for its own reason and by its own rule.
3. `off` opens only a lane head office closed: a lane staff closed is staff's to open, and
   one the kiosk closed (store fault, full outbox, a sale not saved) opens by its own rule.
4. Every request taken is audited as remote, with head office's reason.
"""

from __future__ import annotations

from dataclasses import replace

from appliance.core import effects as fx
from appliance.core.state import Checkout, KioskState
from appliance.core.text import Text

HEAD_OFFICE = "head-office"  # the `staff_id` of what head office did, in the audit log
CLOSED_BY_HEAD_OFFICE = "Closed by head office"
# not THANK_YOU: that screen ends by itself and leads to WELCOME, where the request is taken
BETWEEN_SALES = frozenset({Checkout.WELCOME, Checkout.OUT_OF_SERVICE})


def closed_reason(reason: str) -> str:
    if not reason:
        return Text(CLOSED_BY_HEAD_OFFICE)
    return Text("Closed by head office: {reason}", reason=reason)


def take_service_request(state: KioskState) -> tuple[KioskState, list[fx.Effect]]:
    """Between sales: carry out a waiting request (rule 1); otherwise leave it waiting."""
    request = state.service_request
    if request is None or state.checkout not in BETWEEN_SALES:
        return state, []
    on, reason = request
    state = replace(state, service_request=None)
    closed = state.checkout is Checkout.OUT_OF_SERVICE
    by_head_office = state.out_of_service_reason.startswith(CLOSED_BY_HEAD_OFFICE)
    if on:
        if closed and not by_head_office:
            why = f"remote: already closed ({state.out_of_service_reason})"
            return state, [_audit("out-of-service", why, reason)]
        new = replace(
            state, checkout=Checkout.OUT_OF_SERVICE, out_of_service_reason=closed_reason(reason)
        )
        return new, [_audit("out-of-service", "remote", reason)]
    if not (closed and by_head_office):
        return state, [_audit("back-in-service", "remote: not closed by head office", reason)]
    new = replace(state, checkout=Checkout.WELCOME, out_of_service_reason="")
    return new, [_audit("back-in-service", "remote", reason)]


def _audit(action: str, detail: str, reason: str) -> fx.Audit:
    return fx.Audit(action, detail, HEAD_OFFICE, reason)
