"""Idle timeouts (appliance/core/idle.py): an abandoned basket is asked "Still there?",
then handed to staff; no timer ever drops it. Pure: time arrives only in the events."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.core import buttons as b
from appliance.core import checkout, snapshot
from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.barcodes import parse
from appliance.core.interventions import Need
from appliance.core.products import Product
from appliance.core.signals import Signal, signal_for
from appliance.core.state import Checkout, KioskState, Rules

MILK = Product("05901234123457", "Milk", 349, 500)
CODE = "5901234123457"
RULES = Rules(idle_prompt_s=60, idle_staff_s=45)


def step(state: KioskState, event: ev.Event) -> tuple[KioskState, list[fx.Effect]]:
    return checkout.step(state, event)


def scanned(at: float, state: KioskState | None = None) -> KioskState:
    """A milk scanned at `at` (the scan and the store's answer)."""
    state = state or KioskState(rules=RULES)
    state, _ = step(state, ev.BarcodeScanned(at=at, text=CODE))
    state, _ = step(state, ev.ItemLookedUp(at=at, scan=parse(CODE), product=MILK, today=""))
    assert state.checkout is Checkout.SCANNING
    return state


def tick(state: KioskState, at: float) -> tuple[KioskState, list[fx.Effect]]:
    return step(state, ev.Tick(at=at))


def staff(state: KioskState, at: float) -> KioskState:
    state, _ = step(state, ev.KeyTurned(at=at, position=ev.KeyPosition.STAFF))
    state, _ = step(state, ev.BarcodeScanned(at=at, text="STAFF-0042"))
    return state


def test_the_prompt_comes_after_idle_prompt_s_with_one_problem_sound() -> None:
    """GIVEN an item scanned at 10 WHEN nothing happens THEN the loop is woken at 70, and
    only then is "Still there?" asked, with one problem sound."""
    state = scanned(10)
    assert checkout.next_deadline(state) == 70
    state, effects = tick(state, 69.9)
    assert state.still_there_since is None and effects == []
    state, effects = tick(state, 70)
    assert state.still_there_since == 70 and state.checkout is Checkout.SCANNING
    assert effects == [fx.PlaySound(fx.Sound.PROBLEM)]
    assert checkout.next_deadline(state) == 70 + 45
    state, effects = tick(state, 80)
    assert effects == [], "the prompt never nags again"


def test_an_answer_or_a_scan_clears_the_prompt_and_restarts_the_clock() -> None:
    asked, _ = tick(scanned(10), 70)
    state, effects = step(asked, ev.Touched(at=75, button=b.STILL_HERE))
    assert effects == [] and state.still_there_since is None
    assert checkout.next_deadline(state) == 75 + 60
    state = scanned(76, asked)
    assert state.still_there_since is None and state.basket.item_count == 2
    assert checkout.next_deadline(state) == 76 + 60
    helped, _ = step(asked, ev.HelpButtonPressed(at=77))
    assert helped.still_there_since is None


def test_a_touch_the_ui_handles_itself_restarts_the_clock_and_changes_nothing_else() -> None:
    """GIVEN a shopper typing a name in the look-up (touches the UI keeps) WHEN each reaches
    the core as ShopperActive THEN the idle clock restarts, and nothing else changes."""
    state = scanned(10)
    typing, effects = step(state, ev.ShopperActive(at=50))
    assert effects == [] and checkout.next_deadline(typing) == 50 + 60
    assert replace(typing, last_input_at=state.last_input_at) == state
    asked, _ = tick(state, 70)
    answered, _ = step(asked, ev.ShopperActive(at=71))
    assert answered.still_there_since is None


def test_nobody_answering_calls_staff_quietly_and_keeps_the_basket() -> None:
    """GIVEN the prompt at 70 WHEN nobody answers for idle_staff_s THEN the lane is blocked
    on an abandoned basket: amber, audited, silent (the prompt sounded), basket intact."""
    asked, _ = tick(scanned(10), 70)
    state, effects = tick(asked, 114.9)
    assert state.checkout is Checkout.SCANNING
    state, effects = tick(asked, 115)
    assert state.checkout is Checkout.BLOCKED and state.blocking is not None
    assert state.blocking.need is Need.ABANDONED_BASKET
    assert state.basket == asked.basket
    assert effects == [fx.Audit("abandoned-basket", "1 item, no answer for 105 s")]
    assert signal_for(state) is Signal.ASSIST
    assert checkout.next_deadline(state) is None
    later, effects = tick(state, 100_000)
    assert later == state and effects == []


def test_staff_resume_or_cancel_an_abandoned_basket() -> None:
    asked, _ = tick(scanned(10), 70)
    abandoned, _ = tick(asked, 115)
    resumed, effects = step(staff(abandoned, 200), ev.Touched(at=201, button=b.STAFF_APPROVE))
    assert resumed.checkout is Checkout.SCANNING and resumed.basket == abandoned.basket
    assert [e.action for e in effects if isinstance(e, fx.Audit)] == ["approve"]
    back, _ = step(resumed, ev.KeyTurned(at=202, position=ev.KeyPosition.NORMAL))
    assert checkout.next_deadline(back) == 202 + 60, "the clock runs again for the customer"
    cancelled, effects = step(staff(abandoned, 200), ev.Touched(at=201, button=b.STAFF_CANCEL_SALE))
    assert cancelled.checkout is Checkout.WELCOME and cancelled.basket.is_empty
    assert [e.action for e in effects if isinstance(e, fx.Audit)] == ["cancel-sale"]


def test_the_clock_does_not_run_without_a_basket_waiting_on_the_customer() -> None:
    """Nothing is asked on the welcome screen, with staff at the lane, while help is on
    its way, while the customer waits at Pay for a check, or while a payment runs."""
    state = scanned(10)
    quiet = {
        "welcome": KioskState(rules=RULES, last_input_at=10),
        "staff key": staff(state, 10),
        "help asked": step(state, ev.HelpButtonPressed(at=10))[0],
        "waiting to pay": replace(state, waiting_to_pay=True),
        "paying": step(state, ev.Touched(at=10, button=b.PAY))[0],
    }
    for name, idle in quiet.items():
        assert checkout.next_deadline(idle) is None, name
        after, effects = tick(idle, 10_000)
        assert after.still_there_since is None and effects == [], name


def test_a_declined_card_left_behind_is_asked_too_and_comes_back_to_its_screen() -> None:
    state, _ = step(scanned(10), ev.Touched(at=20, button=b.PAY))
    state, _ = step(state, ev.PaymentDeclined(at=21, reason="declined"))
    assert state.checkout is Checkout.PAYMENT_DECLINED
    asked, effects = tick(state, 80)
    assert asked.still_there_since == 80 and effects == [fx.PlaySound(fx.Sound.PROBLEM)]
    back, _ = step(asked, ev.Touched(at=81, button=b.STILL_HERE))
    assert back.checkout is Checkout.PAYMENT_DECLINED and back.still_there_since is None


def test_still_here_is_refused_when_nobody_asked() -> None:
    try:
        step(scanned(10), ev.Touched(at=11, button=b.STILL_HERE))
    except checkout.IllegalTransition as refused:
        assert "nobody asked" in refused.why
    else:
        raise AssertionError("still-here was taken without a prompt")


def test_an_abandoned_basket_survives_a_restart_still_waiting_for_staff() -> None:
    asked, _ = tick(scanned(10), 70)
    abandoned, _ = tick(asked, 115)
    saved = snapshot.open_sale(abandoned)
    assert saved is not None
    restored = snapshot.restore(KioskState(), saved)
    assert restored.checkout is Checkout.BLOCKED and restored.blocking is not None
    assert restored.blocking.need is Need.ABANDONED_BASKET and restored.basket == asked.basket


INPUTS = st.sampled_from(["tick", "scan", "still-here", "help", "pay"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(INPUTS, st.floats(0, 500)), max_size=30))
def test_no_tick_ever_drops_or_changes_a_basket(moves: list[tuple[str, float]]) -> None:
    state, at = scanned(0), 0.0
    for kind, gap in moves:
        at += gap
        event: ev.Event = {
            "tick": ev.Tick(at=at),
            "scan": ev.BarcodeScanned(at=at, text=CODE),
            "still-here": ev.Touched(at=at, button=b.STILL_HERE),
            "help": ev.HelpButtonPressed(at=at),
            "pay": ev.Touched(at=at, button=b.PAY),
        }[kind]
        try:
            after, effects = step(state, event)
        except checkout.IllegalTransition:
            continue
        if kind == "tick":
            assert after.basket == state.basket
            assert after.checkout in (state.checkout, Checkout.BLOCKED)
            sounds = [e for e in effects if isinstance(e, fx.PlaySound)]
            assert len(sounds) <= 1
        state = after
