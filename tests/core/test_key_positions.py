"""The key switch's positions in the core: NORMAL, STAFF and (three-position switch) SERVICE.

SERVICE closes the lane to shoppers while the key is there and gives no staff rights;
turning the key back opens the lane as it was.
"""

from __future__ import annotations

import pytest

from appliance.core import buttons as b
from appliance.core import checkout
from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.barcodes import parse
from appliance.core.products import Product
from appliance.core.state import Checkout, KioskState

MILK = Product("05901234123457", "Milk", 349, 500)
MILK_CODE = "5901234123457"


def turn(state: KioskState, position: ev.KeyPosition, at: float = 1.0) -> KioskState:
    state, _ = checkout.step(state, ev.KeyTurned(at=at, position=position))
    return state


def with_milk() -> KioskState:
    state, _ = checkout.step(KioskState(), ev.BarcodeScanned(at=1, text=MILK_CODE))
    state, _ = checkout.step(
        state, ev.ItemLookedUp(at=1, scan=parse(MILK_CODE), product=MILK, today="2026-11-23")
    )
    assert state.checkout is Checkout.SCANNING
    return state


def test_booting_with_the_key_in_staff_starts_in_staff_mode() -> None:
    """GIVEN the key switch reads STAFF at start THEN staff mode, and the turn is audited."""
    state, effects = checkout.step(KioskState(), ev.KeyTurned(at=0, position=ev.KeyPosition.STAFF))
    assert state.key is ev.KeyPosition.STAFF
    assert effects == [fx.Audit("key", "staff", "")]


def test_the_service_position_takes_no_scan_and_no_payment_but_keeps_the_sale() -> None:
    state = turn(with_milk(), ev.KeyPosition.SERVICE)
    with pytest.raises(checkout.IllegalTransition, match="closed for service"):
        checkout.step(state, ev.BarcodeScanned(at=2, text=MILK_CODE))
    with pytest.raises(checkout.IllegalTransition, match="turn the staff key back"):
        checkout.step(state, ev.Touched(at=2, button=b.PAY))
    back = turn(state, ev.KeyPosition.NORMAL)
    assert back.basket == state.basket and back.checkout is Checkout.SCANNING


def test_the_service_position_gives_no_staff_rights() -> None:
    state = turn(KioskState(), ev.KeyPosition.SERVICE)
    state, _ = checkout.step(state, ev.BarcodeScanned(at=2, text="STAFF-0042"))
    assert state.staff_id == "", "a badge needs the STAFF position"
    with pytest.raises(checkout.IllegalTransition, match="staff key"):
        checkout.step(state, ev.Touched(at=2, button=b.STAFF_OPEN_DRAWER))


def test_turning_from_staff_to_service_signs_staff_out_and_is_audited() -> None:
    state = turn(KioskState(), ev.KeyPosition.STAFF)
    state, _ = checkout.step(state, ev.BarcodeScanned(at=2, text="STAFF-0042"))
    state, effects = checkout.step(state, ev.KeyTurned(at=3, position=ev.KeyPosition.SERVICE))
    assert state.staff_id == ""
    assert effects == [fx.Audit("key", "service", "0042")]
