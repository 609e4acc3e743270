"""What of the lane outlives a restart: a closure by staff or head office, and head office's
request waiting for the sale in hand (snapshot.lane / restore_lane, pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from appliance.core import snapshot
from appliance.core.remote import closed_reason
from appliance.core.selling import OUTBOX_FULL
from appliance.core.staff import CLOSED_BY_STAFF
from appliance.core.state import Checkout, KioskState

FRESH = KioskState()


def closed(reason: str) -> KioskState:
    return replace(FRESH, checkout=Checkout.OUT_OF_SERVICE, out_of_service_reason=reason)


@pytest.mark.parametrize("reason", [CLOSED_BY_STAFF, closed_reason("stocktake")])
def test_a_closure_by_a_person_or_head_office_comes_back_closed(reason: str) -> None:
    body = snapshot.lane(closed(reason))
    assert body is not None
    back = snapshot.restore_lane(FRESH, body)
    assert (back.checkout, back.out_of_service_reason) == (Checkout.OUT_OF_SERVICE, reason)


@pytest.mark.parametrize("reason", [OUTBOX_FULL, "Sale could not be saved: disk full"])
def test_a_closure_the_kiosk_finds_again_at_start_is_not_kept(reason: str) -> None:
    assert snapshot.lane(closed(reason)) is None
    assert snapshot.lane(FRESH) is None


def test_head_offices_waiting_request_is_kept_with_an_open_sale_and_the_sale_wins() -> None:
    """GIVEN a sale in hand and head office's out-of-service waiting WHEN restarted THEN
    the request still waits (taken after that sale) and the lane shows the sale."""
    waiting = replace(FRESH, checkout=Checkout.SCANNING, service_request=(True, "stocktake"))
    body = snapshot.lane(waiting)
    assert body == {"v": 1, "closed": "", "service_request": [True, "stocktake"]}
    restarted = replace(FRESH, checkout=Checkout.SCANNING)  # the open sale came back
    back = snapshot.restore_lane(restarted, body)
    assert back.service_request == (True, "stocktake") and back.checkout is Checkout.SCANNING


@pytest.mark.parametrize(
    "body",
    [
        {"v": 2, "closed": "", "service_request": None},
        {"v": 1, "closed": "Closed because I said so", "service_request": None},
        {"v": 1, "closed": 7, "service_request": None},
        {"v": 1, "closed": "", "service_request": ["yes", "x"]},
        {"v": 1, "closed": "", "service_request": [True]},
    ],
)
def test_a_lane_record_it_cannot_read_is_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        snapshot.restore_lane(FRESH, body)
