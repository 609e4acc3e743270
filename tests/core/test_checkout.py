"""The checkout machine, step by step: the rules at the top of appliance/core/checkout.py."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.core import buttons, checkout
from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.barcodes import parse
from appliance.core.products import Product
from appliance.core.signals import Signal, signal_for
from appliance.core.state import Checkout, KioskState, Rules

MILK = Product("05901234123457", "Milk", 349, 500)


def run(state: KioskState, *events: ev.Event) -> tuple[KioskState, list[fx.Effect]]:
    out: list[fx.Effect] = []
    for event in events:
        state, effects = checkout.step(state, event)
        out.extend(effects)
    return state, out


def scanned(state: KioskState, code: str = "5901234123457", product: Product | None = MILK):
    state, effects = checkout.step(state, ev.BarcodeScanned(at=1, text=code))
    assert effects == [fx.LookUpItem(parse(code))]
    return checkout.step(state, ev.ItemLookedUp(at=1, scan=parse(code), product=product))


def touch(button: str, at: float = 1) -> ev.Touched:
    return ev.Touched(at=at, button=button)


def test_a_whole_sale_commits_before_it_prints() -> None:
    """GIVEN a scanned item WHEN paid THEN commit first, print only after SaleCommitted."""
    state, _ = scanned(KioskState(rules=Rules(currency="PLN")))
    assert state.checkout is Checkout.SCANNING
    state, effects = checkout.step(state, touch(buttons.PAY))
    assert effects == [fx.StartPayment(349, "PLN")]
    state, effects = checkout.step(state, ev.PaymentApproved(at=2, method="card", reference="R1"))
    assert state.checkout is Checkout.COMMITTING
    assert [type(e) for e in effects] == [fx.CommitSale]
    assert not any(isinstance(e, fx.PrintReceipt) for e in effects)
    state, effects = checkout.step(
        state, ev.SaleCommitted(at=3, sale_id="S1", seq=1, wall_at="2026-11-23T09:00:00Z")
    )
    assert state.checkout is Checkout.PRINTING and state.basket.is_empty
    (effect,) = effects
    assert isinstance(effect, fx.PrintReceipt)
    assert effect.receipt.total_minor == 349 and effect.receipt.seq == 1
    state, _ = checkout.step(state, ev.ReceiptPrinted(at=4, sale_id="S1"))
    assert state.checkout is Checkout.THANK_YOU
    state, _ = checkout.step(state, ev.Tick(at=4 + state.rules.thank_you_s))
    assert state.checkout is Checkout.WELCOME


def test_unknown_item_blocks_until_staff_approve() -> None:
    state, effects = scanned(KioskState(), product=None)
    assert state.checkout is Checkout.ITEM_UNKNOWN
    assert fx.PlaySound(fx.Sound.PROBLEM) in effects
    assert signal_for(state) is Signal.BLOCKED
    with pytest.raises(checkout.IllegalTransition, match="staff key"):
        checkout.step(state, touch(buttons.STAFF_APPROVE))
    state, effects = run(
        state, ev.KeyTurned(at=2, position=ev.KeyPosition.STAFF), touch(buttons.STAFF_APPROVE)
    )
    assert state.checkout is Checkout.WELCOME
    assert any(isinstance(e, fx.Audit) and e.action == "approve" for e in effects)


def test_misread_barcode_blocks_without_a_lookup() -> None:
    state, effects = checkout.step(KioskState(), ev.BarcodeScanned(at=1, text="5901234123458"))
    assert state.checkout is Checkout.ITEM_UNKNOWN
    assert "check digit" in state.notice
    assert not any(isinstance(e, fx.LookUpItem) for e in effects)


def test_declined_card_can_retry_or_go_back() -> None:
    state, _ = scanned(KioskState())
    state, _ = run(state, touch(buttons.PAY), ev.PaymentDeclined(at=2, reason="insufficient"))
    assert state.checkout is Checkout.PAYMENT_DECLINED and "insufficient" in state.notice
    retried, effects = checkout.step(state, touch(buttons.RETRY_PAYMENT))
    assert retried.checkout is Checkout.PAYING and isinstance(effects[0], fx.StartPayment)
    back, _ = checkout.step(state, touch(buttons.CANCEL_PAYMENT))
    assert back.checkout is Checkout.SCANNING and back.basket.item_count == 1


def test_paper_out_commits_but_does_not_queue_a_receipt() -> None:
    state, _ = scanned(KioskState())
    state, _ = run(
        state,
        ev.PrinterStatusChanged(at=1, online=True, paper=ev.PaperState.OUT),
        touch(buttons.PAY),
        ev.PaymentApproved(at=2, method="card", reference="R"),
    )
    state, effects = checkout.step(state, ev.SaleCommitted(at=3, sale_id="S", seq=1, wall_at=""))
    assert effects == []
    assert state.checkout is Checkout.THANK_YOU and "no paper receipt" in state.notice
    assert signal_for(state) is Signal.ASSIST


def test_commit_failure_takes_the_lane_out_of_service() -> None:
    state, _ = scanned(KioskState())
    state, _ = run(
        state, touch(buttons.PAY), ev.PaymentApproved(at=2, method="card", reference="R")
    )
    state, _ = checkout.step(state, ev.SaleCommitFailed(at=3, reason="disk full"))
    assert state.checkout is Checkout.OUT_OF_SERVICE
    assert "disk full" in state.out_of_service_reason
    assert signal_for(state) is Signal.OUT_OF_SERVICE


def test_a_paying_sale_cannot_be_cancelled_by_staff() -> None:
    state, _ = scanned(KioskState())
    state, _ = run(state, touch(buttons.PAY), ev.KeyTurned(at=2, position=ev.KeyPosition.STAFF))
    for button in (buttons.STAFF_CANCEL_SALE, buttons.STAFF_OUT_OF_SERVICE):
        with pytest.raises(checkout.IllegalTransition, match="cannot be dropped"):
            checkout.step(state, touch(button))


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (KioskState(), touch(buttons.PAY)),  # nothing to pay for
        (KioskState(), ev.PaymentApproved(at=1, method="card", reference="x")),
        (KioskState(), ev.SaleCommitted(at=1, sale_id="x", seq=1, wall_at="")),
        (KioskState(), touch("no-such-button")),
        (KioskState(checkout=Checkout.PAYING), ev.BarcodeScanned(at=1, text="5901234123457")),
    ],
)
def test_events_without_a_rule_are_illegal_and_change_nothing(
    state: KioskState, event: ev.Event
) -> None:
    with pytest.raises(checkout.IllegalTransition):
        checkout.step(state, event)


@pytest.mark.parametrize(
    ("change", "signal"),
    [
        ({}, Signal.AVAILABLE),
        ({"help_requested": True}, Signal.ASSIST),
        ({"checkout": Checkout.ITEM_UNKNOWN}, Signal.BLOCKED),
        ({"checkout": Checkout.OUT_OF_SERVICE, "help_requested": True}, Signal.OUT_OF_SERVICE),
    ],
)
def test_signal_priority(change: dict[str, object], signal: Signal) -> None:
    assert signal_for(replace(KioskState(), **change)) is signal  # type: ignore[arg-type]


EVENTS = st.one_of(
    st.builds(ev.BarcodeScanned, at=st.just(1.0), text=st.sampled_from(["5901234123457", "1"])),
    st.builds(
        ev.ItemLookedUp,
        at=st.just(1.0),
        scan=st.just(parse("5901234123457")),
        product=st.sampled_from([MILK, None]),
    ),
    st.builds(ev.Touched, at=st.just(1.0), button=st.sampled_from(sorted(buttons.ALL_BUTTONS))),
    st.builds(ev.KeyTurned, at=st.just(1.0), position=st.sampled_from(list(ev.KeyPosition))),
    st.builds(ev.PaymentApproved, at=st.just(1.0), method=st.just("card"), reference=st.just("r")),
    st.builds(ev.PaymentDeclined, at=st.just(1.0), reason=st.just("no")),
    st.builds(
        ev.SaleCommitted, at=st.just(1.0), sale_id=st.just("s"), seq=st.just(1), wall_at=st.just("")
    ),
    st.builds(ev.ReceiptPrinted, at=st.just(1.0), sale_id=st.just("s")),
    st.builds(ev.Tick, at=st.floats(0, 100)),
    st.builds(ev.HelpButtonPressed, at=st.just(1.0)),
)


@settings(max_examples=300)
@given(st.lists(EVENTS, max_size=40))
def test_no_path_opens_the_drawer_outside_staff_mode(events: list[ev.Event]) -> None:
    """Whatever arrives, OpenDrawer only ever comes while the key is in the staff position."""
    state = KioskState()
    for event in events:
        key_before = state.key
        try:
            state, effects = checkout.step(state, event)
        except checkout.IllegalTransition:
            continue
        if any(isinstance(e, fx.OpenDrawer) for e in effects):
            assert key_before is ev.KeyPosition.STAFF


@settings(max_examples=300)
@given(st.lists(EVENTS, max_size=40))
def test_a_paid_sale_is_never_dropped(events: list[ev.Event]) -> None:
    """Once payment is approved, the basket survives until the store has committed it."""
    state = KioskState()
    for event in events:
        try:
            new, _ = checkout.step(state, event)
        except checkout.IllegalTransition:
            continue
        if state.checkout is Checkout.COMMITTING and not isinstance(
            event, ev.SaleCommitted | ev.SaleCommitFailed
        ):
            assert new.basket == state.basket and new.checkout is Checkout.COMMITTING
        state = new
