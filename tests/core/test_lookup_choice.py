"""An item chosen on the lookup screen (Touched look-up <gtin>) sells exactly as a scan does.

Pure: the store's answer (ItemLookedUp) is fed back by hand, as the runner would.
"""

from __future__ import annotations

import pytest

from appliance.core import buttons as b
from appliance.core import checkout
from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.barcodes import parse
from appliance.core.interventions import Need
from appliance.core.products import Product
from appliance.core.state import Checkout, KioskState

LEMON = Product("02000011000004", "Lemons, each", 99, 500, plu="4053")
BANANAS = Product("02100001000004", "Bananas", 699, 500, weighed=True, plu="4011")
WINE = Product("05900012347870", "Red wine", 2999, 2300, age_limit=18, plu="84001")
LIMES = Product("02000012000003", "Limes, each", 79, 500, plu="4048", quantity_limit=2)


def choose(
    state: KioskState, product: Product | None, gtin: str = ""
) -> tuple[KioskState, list[fx.Effect]]:
    """The touch, then the store's answer to the lookup it asked for."""
    code = gtin or (product.gtin if product else "")
    state, effects = checkout.step(state, ev.Touched(at=1, button=b.LOOK_UP, arg=code))
    assert effects == [fx.LookUpItem(parse(code), chosen=True)], effects
    answer = ev.ItemLookedUp(at=1, scan=parse(code), product=product, chosen=True)
    return checkout.step(state, answer)


def test_a_chosen_item_goes_into_the_basket_like_a_scanned_one() -> None:
    """GIVEN the welcome screen WHEN lemons are chosen twice THEN the sale starts, the basket
    holds two units at the catalog price, and each beeps like a scan."""
    state, effects = choose(KioskState(), LEMON)
    assert state.checkout is Checkout.SCANNING
    assert effects == [fx.PlaySound(fx.Sound.ITEM)]
    state, _ = choose(state, LEMON)
    assert state.basket.totals(()).total_minor == 2 * 99


def test_a_weighed_item_chosen_by_touch_is_refused_with_a_reason_and_no_staff_call() -> None:
    """GIVEN no certified scale WHEN bananas (priced per kg) are chosen THEN nothing is added,
    the customer is told to weigh them and scan the label, and the lane is not blocked."""
    state, _ = choose(KioskState(), LEMON)
    state, effects = choose(state, BANANAS)
    assert state.checkout is Checkout.SCANNING and state.blocking is None
    assert len(state.basket.lines) == 1
    assert "Bananas is sold by weight" in state.notice and "scan the label" in state.notice
    assert effects == [fx.PlaySound(fx.Sound.PROBLEM)]
    # on the welcome screen it stays the welcome screen
    state, _ = choose(KioskState(), BANANAS)
    assert state.checkout is Checkout.WELCOME and "weigh" in state.notice


def test_a_scanned_weighed_code_still_calls_staff() -> None:
    """The refusal above is only for touches: a scanned bare code still blocks (unchanged)."""
    state, _ = checkout.step(KioskState(), ev.BarcodeScanned(at=1, text=BANANAS.gtin))
    answer = ev.ItemLookedUp(at=1, scan=parse(BANANAS.gtin), product=BANANAS)
    state, _ = checkout.step(state, answer)
    assert state.checkout is Checkout.BLOCKED


def test_a_chosen_age_restricted_item_asks_for_the_same_age_check() -> None:
    state, _ = choose(KioskState(), WINE)
    assert [i.need for i in state.deferred] == [Need.AGE_CHECK]


def test_a_chosen_item_counts_against_its_quantity_limit() -> None:
    state = KioskState()
    for _ in range(3):
        state, _ = choose(state, LIMES)
    assert state.checkout is Checkout.BLOCKED
    assert state.blocking is not None and state.blocking.need is Need.QUANTITY_LIMIT


def test_an_item_gone_from_the_catalog_is_not_added_and_nobody_is_called() -> None:
    state, _ = choose(KioskState(), None, gtin=LEMON.gtin)
    assert state.checkout is Checkout.WELCOME and state.blocking is None
    assert "not sold here" in state.notice


@pytest.mark.parametrize("arg", ["", "4011", "12345", "lemons"])
def test_a_touch_without_an_item_code_changes_nothing(arg: str) -> None:
    with pytest.raises(checkout.IllegalTransition):
        checkout.step(KioskState(), ev.Touched(at=1, button=b.LOOK_UP, arg=arg))


def test_nothing_is_chosen_while_paying_or_closed_for_service() -> None:
    paying = KioskState(checkout=Checkout.PAYING)
    with pytest.raises(checkout.IllegalTransition):
        checkout.step(paying, ev.Touched(at=1, button=b.LOOK_UP, arg=LEMON.gtin))
    service = KioskState(key=ev.KeyPosition.SERVICE)
    with pytest.raises(checkout.IllegalTransition):
        checkout.step(service, ev.Touched(at=1, button=b.LOOK_UP, arg=LEMON.gtin))
