"""Head office's out-of-service requests: taken between sales, never under a sale in hand,
and never opening a lane that someone else closed (appliance/core/remote.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from appliance.core import checkout
from appliance.core import effects as fx
from appliance.core.events import RemoteServiceRequested
from appliance.core.state import Checkout, KioskState


def request(state: KioskState, on: bool) -> tuple[KioskState, list[fx.Effect]]:
    return checkout.step(state, RemoteServiceRequested(at=1.0, on=on, reason="cleaning"))


def test_an_idle_lane_closes_at_once_and_is_audited_as_remote() -> None:
    state, effects = request(KioskState(), True)
    assert state.checkout is Checkout.OUT_OF_SERVICE
    assert state.out_of_service_reason == "Closed by head office: cleaning"
    assert fx.Audit("out-of-service", "remote", "head-office", "cleaning") in effects
    state, _ = request(state, False)
    assert (state.checkout, state.out_of_service_reason) == (Checkout.WELCOME, "")


@pytest.mark.parametrize("busy", [Checkout.SCANNING, Checkout.PAYING, Checkout.THANK_YOU])
def test_a_sale_in_hand_is_never_interrupted(busy: Checkout) -> None:
    state, effects = request(replace(KioskState(), checkout=busy), True)
    assert state.checkout is busy and state.service_request == (True, "cleaning")
    assert not any(isinstance(e, fx.Audit) for e in effects)


@pytest.mark.parametrize("reason", ["Closed by staff", "The store cannot be used: x"])
def test_head_office_does_not_open_a_lane_it_did_not_close(reason: str) -> None:
    closed = replace(KioskState(), checkout=Checkout.OUT_OF_SERVICE, out_of_service_reason=reason)
    state, effects = request(closed, False)
    assert (state.checkout, state.out_of_service_reason) == (Checkout.OUT_OF_SERVICE, reason)
    assert state.service_request is None
    assert [e.detail for e in effects if isinstance(e, fx.Audit)] == [
        "remote: not closed by head office"
    ]
    state, _ = request(closed, True)  # and closing it again keeps its own reason
    assert state.out_of_service_reason == reason
