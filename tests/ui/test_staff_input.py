"""The staff input flows, touch by touch, without pygame: what staff pick and type becomes
exactly the one Touched event the core takes, and the core takes it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from appliance.core import buttons
from appliance.core.basket import Basket
from appliance.core.checkout import step
from appliance.core.events import KeyPosition, Touched
from appliance.core.interventions import Intervention, Need
from appliance.core.products import Product
from appliance.core.state import Checkout, KioskState, Rules
from ui import staff_input as si
from ui.staff_input import StaffInput, Step, follow, present, touch
from ui.view import ViewModel, view_model

AT = 12.5
MILK = Product("05900012345074", "Whole milk 1 l", 349, 500)
BUTTER = Product("05900012345081", "Butter 200 g", 799, 500)
WINE = Product("05900012348013", "Red wine 0.75 l", 2999, 2300, age_limit=18)


def staff_state() -> KioskState:
    """GIVEN a three-line sale with a price check pending, staff signed in."""
    basket = Basket()
    for product in (MILK, BUTTER, WINE):
        basket = basket.add(product, product.price_minor)
    return KioskState(
        rules=Rules(store_name="Sklep", currency="PLN"),
        checkout=Checkout.SCANNING,
        basket=basket,
        key=KeyPosition.STAFF,
        staff_id="0042",
        deferred=(Intervention(Need.PRICE_CHECK, "Price check requested", 2),),
    )


def menu_vm(state: KioskState | None = None) -> ViewModel:
    return view_model(state or staff_state(), locale="pl_PL")


def run(
    vm: ViewModel, touches: list[tuple[str, str]], state: StaffInput | None = None
) -> tuple[StaffInput, list[Touched]]:
    """Feed touches (button, arg) through the flow as the app does each frame."""
    current = follow(state or StaffInput(), vm)
    sent: list[Touched] = []
    for button, arg in touches:
        current = follow(current, vm)
        current, event = touch(current, vm, button, arg, at=AT)
        if event is not None:
            sent.append(event)
    return current, sent


def keys(text: str) -> list[tuple[str, str]]:
    return [(si.KEY, d) for d in text]


def price_flow(line: str, digits: str) -> list[tuple[str, str]]:
    """Change a price, touch `line`, type `digits`, OK: up to the reasons."""
    return [(buttons.STAFF_OVERRIDE_PRICE, ""), (si.LINE, line), *keys(digits), (si.OK, "")]


def test_override_price_picks_a_line_types_a_price_and_a_reason() -> None:
    """GIVEN the staff menu WHEN staff touch Change a price, line 2, type 2 9 9, OK and
    "Damaged" THEN exactly one event goes to the core, with the arg it parses."""
    vm = menu_vm()
    state, sent = run(
        vm,
        [*price_flow("2", "299"), (si.REASON, "Damaged")],
    )
    assert sent == [Touched(at=AT, button=buttons.STAFF_OVERRIDE_PRICE, arg="2 299 Damaged")]
    assert state.step is Step.MENU


def test_the_core_takes_the_override_and_lowers_the_price() -> None:
    base = staff_state()
    _, sent = run(
        menu_vm(base),
        [*price_flow("2", "599"), (si.REASON, "Shelf label price")],
    )
    (event,) = sent
    after, effects = step(base, event)
    assert after.basket.lines[1].unit_price_minor == 599
    assert after.deferred == ()  # the price check is done
    assert any(getattr(e, "reason", "") == "Shelf label price" for e in effects)


def test_each_screen_of_the_override_flow_shows_what_is_typed() -> None:
    vm = menu_vm()
    state, _ = run(vm, [(buttons.STAFF_OVERRIDE_PRICE, "")])
    picker = present(state, vm)
    assert picker.screen == "staff-pick-line"
    rows = [(b.button_id, b.arg) for b in picker.buttons if b.button_id == si.LINE]
    assert rows == [(si.LINE, "1"), (si.LINE, "2"), (si.LINE, "3")]
    assert [line.name for line in picker.lines][:2] == ["1. Whole milk 1 l", "2. Butter 200 g"]

    state, _ = run(vm, [(si.LINE, "2"), *keys("2")], state)
    pad = present(state, vm)
    assert pad.screen == "staff-price"
    assert pad.total == "0,02\xa0zł" and pad.lines[0].unit_price == "7,99\xa0zł"
    state, _ = run(vm, keys("99"), state)
    assert present(state, vm).total == "2,99\xa0zł"

    state, _ = run(vm, [(si.OK, "")], state)
    reasons = present(state, vm)
    assert reasons.screen == "staff-reason"
    assert [b.arg for b in reasons.buttons if b.button_id == si.REASON] == list(si.REASONS)
    assert reasons.total == "2,99\xa0zł"


def test_a_price_keeps_no_leading_zeros_and_backspace_takes_the_last_digit() -> None:
    vm = menu_vm()
    flow = [(buttons.STAFF_OVERRIDE_PRICE, ""), (si.LINE, "1")]
    state, _ = run(vm, [*flow, *keys("0050"), (si.BACKSPACE, "")])
    assert state.digits == "5"
    state, _ = run(vm, [(si.BACKSPACE, ""), (si.BACKSPACE, "")], state)
    assert state.digits == ""
    state, _ = run(vm, keys("1234567890"), state)
    assert state.digits == "1234567"  # at most 99 999,99


def test_ok_without_a_price_or_with_a_higher_one_stays_on_the_keypad() -> None:
    """GIVEN the keypad for the milk (3,49) WHEN OK comes with nothing typed, then with 3,50
    THEN staff stay on the keypad, told why, and nothing is sent; a lower price goes on."""
    vm = menu_vm()
    state, sent = run(vm, [(buttons.STAFF_OVERRIDE_PRICE, ""), (si.LINE, "1"), (si.OK, "")])
    assert state.step is Step.PRICE and state.refused == si.NO_PRICE
    state, sent = run(vm, [*keys("350"), (si.OK, "")], state)
    assert state.step is Step.PRICE and "3,49" in state.refused and sent == []
    assert present(state, vm).notice == state.refused
    state, _ = run(vm, [(si.BACKSPACE, ""), (si.OK, "")], state)  # 0,35
    assert state.step is Step.REASON


def test_void_sends_the_touched_line_number() -> None:
    _, sent = run(menu_vm(), [(buttons.STAFF_VOID_LINE, ""), (si.LINE, "3")])
    assert sent == [Touched(at=AT, button=buttons.STAFF_VOID_LINE, arg="3")]


def test_card_was_charged_sends_the_reference_or_none() -> None:
    """GIVEN a lane waiting for staff to check the terminal after a restart."""
    uncertain = replace(
        staff_state(),
        checkout=Checkout.BLOCKED,
        blocking=Intervention(Need.PAYMENT_UNCERTAIN, "Check the card terminal"),
    )
    vm = menu_vm(uncertain)
    state, sent = run(vm, [(buttons.STAFF_PAYMENT_TAKEN, ""), *keys("0048213"), (si.OK, "")])
    assert sent == [Touched(at=AT, button=buttons.STAFF_PAYMENT_TAKEN, arg="0048213")]
    state, sent = run(vm, [(buttons.STAFF_PAYMENT_TAKEN, "")], state)
    assert present(state, vm).screen == "staff-reference"
    _, sent = run(vm, [(si.OK, "")], state)
    assert sent == [Touched(at=AT, button=buttons.STAFF_PAYMENT_TAKEN, arg="")]


@pytest.mark.parametrize(
    "touches",
    [
        [(buttons.STAFF_VOID_LINE, "")],
        [(buttons.STAFF_OVERRIDE_PRICE, ""), (si.LINE, "2"), *keys("12")],
        [(buttons.STAFF_OVERRIDE_PRICE, ""), (si.LINE, "2"), *keys("12"), (si.OK, "")],
    ],
    ids=["pick-line", "keypad", "reason"],
)
def test_cancel_always_goes_back_to_the_staff_menu(touches: list[tuple[str, str]]) -> None:
    vm = menu_vm()
    state, sent = run(vm, [*touches, (si.CANCEL, "")])
    assert state.step is Step.MENU and state.digits == "" and sent == []
    assert present(state, vm) == replace(vm, page=0)


def test_turning_the_key_back_ends_the_flow() -> None:
    vm = menu_vm()
    state, _ = run(vm, [(buttons.STAFF_OVERRIDE_PRICE, ""), (si.LINE, "2"), *keys("1")])
    signed_out = menu_vm(replace(staff_state(), key=KeyPosition.NORMAL, staff_id=""))
    assert not signed_out.staff
    assert follow(state, signed_out).step is Step.MENU
    assert present(follow(state, signed_out), signed_out).screen == "scanning"


def test_the_flow_ends_when_its_line_or_its_button_goes_away() -> None:
    base = staff_state()
    vm = menu_vm(base)
    state, _ = run(vm, [(buttons.STAFF_OVERRIDE_PRICE, ""), (si.LINE, "2")])
    voided, _ = step(base, Touched(at=AT, button=buttons.STAFF_VOID_LINE, arg="2"))
    assert follow(state, menu_vm(voided)).step is Step.MENU
    paying = menu_vm(replace(base, checkout=Checkout.PAYING))  # no staff menu while paying
    assert follow(state, paying).step is Step.MENU


def test_other_touches_pass_through_and_ui_leftovers_do_not() -> None:
    vm = menu_vm()
    _, sent = run(vm, [(buttons.STAFF_SUSPEND, ""), (buttons.STAFF_REFUND_LINE, "4")])
    assert sent == [
        Touched(at=AT, button=buttons.STAFF_SUSPEND),
        Touched(at=AT, button=buttons.STAFF_REFUND_LINE, arg="4"),
    ]
    _, sent = run(vm, [(si.OK, ""), (si.KEY, "5"), (si.CANCEL, "")])
    assert sent == []


def test_pages_turn_and_start_again_on_another_screen() -> None:
    vm = menu_vm()
    state, _ = run(vm, [(si.PAGE_ON, ""), (si.PAGE_ON, ""), (si.PAGE_BACK, "")])
    assert state.page == 1 and present(state, vm).page == 1
    state, _ = run(vm, [(si.PAGE_BACK, ""), (si.PAGE_BACK, "")], state)
    assert state.page == 0
    state, _ = run(vm, [(si.PAGE_ON, "")], state)
    assert follow(state, replace(vm, screen="refund")).page == 0


def test_the_state_machine_needs_no_pygame() -> None:
    code = "import sys, ui.staff_input, ui.view; sys.exit('pygame' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
