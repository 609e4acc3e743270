"""The checkout machine, rule by rule (the rules are at the top of appliance/core/checkout.py).

Pure: every test feeds events to `step` and looks at the state and effects that come out.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from appliance.core import buttons as b
from appliance.core import checkout
from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.barcodes import parse
from appliance.core.interventions import Need
from appliance.core.products import Product
from appliance.core.records import SoldLine, SoldSale
from appliance.core.signals import Colour, Lamp, Signal, lamp_for, signal_for
from appliance.core.state import Checkout, KioskState, Rules

MILK = Product("05901234123457", "Milk", 349, 500)
BEER = Product("04006381333931", "Beer", 449, 2300, age_limit=18)
WHISKY = Product("09780306406157", "Whisky", 8999, 2300, age_limit=21)
PILLS = Product("00036000291452", "Paracetamol", 699, 800, quantity_limit=2)
BADGE = "STAFF-0042"


def run(state: KioskState, *events: ev.Event) -> tuple[KioskState, list[fx.Effect]]:
    out: list[fx.Effect] = []
    for event in events:
        state, effects = checkout.step(state, event)
        out.extend(effects)
    return state, out


def sell(
    state: KioskState,
    product: Product | None,
    code: str = "5901234123457",
    today: str = "2026-11-23",
) -> tuple[KioskState, list[fx.Effect]]:
    """A scan and the store's answer, as the shell delivers them."""
    state, effects = checkout.step(state, ev.BarcodeScanned(at=1, text=code))
    assert effects == [fx.LookUpItem(parse(code))], effects
    more: list[fx.Effect]
    state, more = checkout.step(
        state, ev.ItemLookedUp(at=1, scan=parse(code), product=product, today=today)
    )
    return state, more


def touch(button: str, arg: str = "") -> ev.Touched:
    return ev.Touched(at=1, button=button, arg=arg)


def staff_on(state: KioskState) -> KioskState:
    state, _ = run(
        state,
        ev.KeyTurned(at=1, position=ev.KeyPosition.STAFF),
        ev.BarcodeScanned(at=1, text=BADGE),
    )
    assert state.staff_id == "0042"
    return state


def staff_off(state: KioskState) -> KioskState:
    return run(state, ev.KeyTurned(at=1, position=ev.KeyPosition.NORMAL))[0]


def audits(effects: list[fx.Effect]) -> list[fx.Audit]:
    return [e for e in effects if isinstance(e, fx.Audit)]


# -- the sale ------------------------------------------------------------------------------


def test_a_whole_sale_commits_before_it_prints() -> None:
    """GIVEN a scanned item WHEN paid THEN commit first, print only after SaleCommitted."""
    state, _ = sell(KioskState(rules=Rules(currency="PLN")), MILK)
    assert state.checkout is Checkout.SCANNING
    state, effects = checkout.step(state, touch(b.PAY))
    assert effects == [fx.StartPayment(349, "PLN")]
    state, effects = checkout.step(state, ev.PaymentApproved(at=2, method="card", reference="R1"))
    assert state.checkout is Checkout.COMMITTING
    assert [type(e) for e in effects] == [fx.CommitSale]
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


def test_a_reprint_finishing_during_the_next_sale_does_not_end_it() -> None:
    state, _ = sell(KioskState(), MILK)
    state, _ = run(
        state,
        touch(b.PAY),
        ev.PaymentApproved(at=2, method="card", reference="R"),
        ev.SaleCommitted(at=3, sale_id="NEW", seq=2, wall_at=""),
    )
    state, _ = checkout.step(state, ev.ReceiptPrinted(at=4, sale_id="OLD"))
    assert state.checkout is Checkout.PRINTING


def test_paper_out_commits_but_does_not_queue_a_receipt() -> None:
    state, _ = sell(KioskState(), MILK)
    state, _ = run(
        state,
        ev.PrinterStatusChanged(at=1, online=True, paper=ev.PaperState.OUT),
        touch(b.PAY),
        ev.PaymentApproved(at=2, method="card", reference="R"),
    )
    state, effects = checkout.step(state, ev.SaleCommitted(at=3, sale_id="S", seq=1, wall_at=""))
    assert effects == []
    assert state.checkout is Checkout.THANK_YOU and "no paper receipt" in state.notice


def test_commit_failure_takes_the_lane_out_of_service() -> None:
    state, _ = sell(KioskState(), MILK)
    state, _ = run(state, touch(b.PAY), ev.PaymentApproved(at=2, method="card", reference="R"))
    state, _ = checkout.step(state, ev.SaleCommitFailed(at=3, reason="disk full"))
    assert state.checkout is Checkout.OUT_OF_SERVICE
    assert "disk full" in state.out_of_service_reason
    assert signal_for(state) is Signal.OUT_OF_SERVICE


# -- blocking interventions -----------------------------------------------------------------


def test_unknown_item_blocks_until_staff_with_a_badge_approve() -> None:
    state, effects = sell(KioskState(), None)
    assert state.checkout is Checkout.BLOCKED and state.blocking is not None
    assert state.blocking.need is Need.UNKNOWN_ITEM
    assert fx.PlaySound(fx.Sound.PROBLEM) in effects
    assert lamp_for(state) == Lamp(Colour.RED)
    with pytest.raises(checkout.IllegalTransition, match="staff key"):
        checkout.step(state, touch(b.STAFF_APPROVE))
    keyed, _ = checkout.step(state, ev.KeyTurned(at=1, position=ev.KeyPosition.STAFF))
    with pytest.raises(checkout.IllegalTransition, match="badge"):
        checkout.step(keyed, touch(b.STAFF_APPROVE))
    state, effects = checkout.step(staff_on(state), touch(b.STAFF_APPROVE))
    assert state.checkout is Checkout.WELCOME and state.blocking is None
    (record,) = audits(effects)
    assert record.action == "approve" and record.staff_id == "0042"
    assert "unknown-item" in record.detail


def test_the_customer_cannot_scan_past_a_block() -> None:
    state, _ = sell(KioskState(), None)
    with pytest.raises(checkout.IllegalTransition, match="not taken while blocked"):
        checkout.step(state, ev.BarcodeScanned(at=1, text="5901234123457"))


@pytest.mark.parametrize(
    ("code", "reason"),
    [("5901234123458", "check digit"), ("abc", "digits"), ("", "empty")],
)
def test_unreadable_barcodes_block_without_a_lookup(code: str, reason: str) -> None:
    state, effects = checkout.step(KioskState(), ev.BarcodeScanned(at=1, text=code))
    assert state.checkout is Checkout.BLOCKED and reason in state.notice
    assert not any(isinstance(e, fx.LookUpItem) for e in effects)


def test_an_expired_item_blocks_and_is_not_sold() -> None:
    """GS1 DataBar with AI 17: expired yesterday → blocked, not in the basket."""
    code = "(01)09501101530003(17)261122"
    product = Product("09501101530003", "Yoghurt", 199, 500)
    state, _ = sell(KioskState(), product, code=code, today="2026-11-23")
    assert state.checkout is Checkout.BLOCKED and state.blocking is not None
    assert state.blocking.need is Need.EXPIRED_ITEM
    assert state.basket.is_empty
    fresh, _ = sell(KioskState(), product, code=code, today="2026-11-22")
    assert fresh.checkout is Checkout.SCANNING and fresh.basket.item_count == 1


def test_a_quantity_limit_blocks_then_staff_allow_or_void() -> None:
    state = KioskState()
    for _ in range(2):
        state, _ = sell(state, PILLS, code="036000291452")
    assert state.checkout is Checkout.SCANNING
    state, _ = sell(state, PILLS, code="036000291452")
    assert state.checkout is Checkout.BLOCKED and state.blocking is not None
    assert state.blocking.need is Need.QUANTITY_LIMIT and "at most 2" in state.notice
    allowed, _ = checkout.step(staff_on(state), touch(b.STAFF_APPROVE))
    assert allowed.checkout is Checkout.SCANNING and allowed.basket.item_count == 3
    voided, effects = checkout.step(staff_on(state), touch(b.STAFF_VOID_LINE, "1"))
    assert voided.checkout is Checkout.WELCOME and voided.basket.item_count == 0
    assert audits(effects)[0].detail == "line 1: 3 × Paracetamol"


def test_customers_ask_staff_to_remove_an_item() -> None:
    state, _ = sell(KioskState(), MILK)
    state, _ = sell(state, BEER, code="4006381333931")
    state, _ = checkout.step(state, touch(b.REMOVE_ITEM))
    assert state.checkout is Checkout.BLOCKED and state.blocking is not None
    assert state.blocking.need is Need.VOID_REQUEST
    state, _effects = checkout.step(staff_on(state), touch(b.STAFF_VOID_LINE, "2"))
    assert state.checkout is Checkout.SCANNING
    assert [ln.voided for ln in state.basket.lines] == [False, True]
    assert state.deferred == (), "the age check went with the beer"
    with pytest.raises(checkout.IllegalTransition, match="no line 2"):
        checkout.step(state, touch(b.STAFF_VOID_LINE, "2"))


def test_three_declines_send_the_customer_to_a_staffed_till() -> None:
    state, _ = sell(KioskState(rules=Rules(max_payment_attempts=3)), MILK)
    for attempt in (1, 2):
        state, _ = run(
            state,
            touch(b.PAY if attempt == 1 else b.RETRY_PAYMENT),
            ev.PaymentDeclined(at=2, reason="declined"),
        )
        assert state.checkout is Checkout.PAYMENT_DECLINED
    state, _ = run(state, touch(b.RETRY_PAYMENT), ev.PaymentDeclined(at=3, reason="declined"))
    assert state.checkout is Checkout.BLOCKED and state.blocking is not None
    assert state.blocking.need is Need.PAYMENT_FAILED and "staffed till" in state.notice
    state, _ = checkout.step(staff_on(state), touch(b.STAFF_APPROVE))
    assert state.checkout is Checkout.SCANNING and state.payment_attempts == 0


# -- deferred interventions -------------------------------------------------------------------


def test_one_age_check_covers_the_sale_and_a_higher_age_asks_again() -> None:
    state, _ = sell(KioskState(), BEER, code="4006381333931")
    assert state.checkout is Checkout.SCANNING, "deferred: the customer keeps scanning"
    assert [i.age for i in state.deferred] == [18]
    assert lamp_for(state) == Lamp(Colour.AMBER)
    state, _ = sell(state, BEER, code="4006381333931")
    assert [i.age for i in state.deferred] == [18], "still one check"
    state, effects = checkout.step(staff_on(state), touch(b.STAFF_APPROVE_AGE))
    assert state.deferred == () and state.age_verified == 18
    assert audits(effects)[0].detail == "18+"
    state = staff_off(state)
    state, _ = sell(state, BEER, code="4006381333931")
    assert state.deferred == (), "covered by the check already made"
    state, _ = sell(state, WHISKY, code="9780306406157")
    assert [i.age for i in state.deferred] == [21]


def test_paying_waits_for_a_pending_check_and_the_tower_blinks() -> None:
    state, _ = sell(KioskState(), BEER, code="4006381333931")
    state, effects = checkout.step(state, touch(b.PAY))
    assert state.checkout is Checkout.SCANNING and state.waiting_to_pay
    assert effects == [fx.PlaySound(fx.Sound.PROBLEM)], "one problem sound as the wait starts"
    assert checkout.step(state, touch(b.PAY))[1] == [], "touching Pay again does not repeat it"
    assert "before you pay" in state.notice
    assert lamp_for(state) == Lamp(Colour.AMBER, blinking=True)
    state, _ = checkout.step(staff_on(state), touch(b.STAFF_APPROVE_AGE))
    assert "you can pay now" in state.notice and not state.waiting_to_pay
    state, effects = checkout.step(staff_off(state), touch(b.PAY))
    assert state.checkout is Checkout.PAYING


def test_a_price_check_is_resolved_by_an_override_with_a_reason() -> None:
    state, _ = sell(KioskState(), MILK)
    state, _ = checkout.step(state, touch(b.PRICE_CHECK))
    assert [i.need for i in state.deferred] == [Need.PRICE_CHECK]
    staff = staff_on(state)
    for arg, why in [
        ("1 299", "reason"),
        ("1 999 shelf", "only lower"),
        ("9 1 x", "no line 9"),
        ("x", "line number"),
    ]:
        with pytest.raises(checkout.IllegalTransition, match=why):
            checkout.step(staff, touch(b.STAFF_OVERRIDE_PRICE, arg))
    state, effects = checkout.step(staff, touch(b.STAFF_OVERRIDE_PRICE, "1 299 shelf label 2.99"))
    assert state.basket.lines[0].unit_price_minor == 299 and state.deferred == ()
    (record,) = audits(effects)
    assert record.reason == "shelf label 2.99" and "349 → 299" in record.detail


# -- staff: the sale as a whole ------------------------------------------------------------


def test_a_paying_sale_cannot_be_dropped_by_staff() -> None:
    state, _ = sell(KioskState(), MILK)
    state, _ = checkout.step(state, touch(b.PAY))
    state = staff_on(state)
    for button in (b.STAFF_CANCEL_SALE, b.STAFF_SUSPEND, b.STAFF_OUT_OF_SERVICE, b.STAFF_VOID_LINE):
        with pytest.raises(checkout.IllegalTransition):
            checkout.step(state, touch(button, "1"))


def test_suspend_prints_a_slip_and_resume_brings_the_basket_back() -> None:
    state, _ = sell(KioskState(), MILK)
    state, _ = sell(state, BEER, code="4006381333931")
    state = staff_on(state)
    state, effects = checkout.step(state, touch(b.STAFF_SUSPEND))
    assert effects == [fx.SuspendSale(state.basket, "0042")]
    basket = state.basket
    state, effects = checkout.step(state, ev.SaleSuspended(at=2, number=7))
    assert state.checkout is Checkout.WELCOME and state.basket.is_empty
    slip = next(e for e in effects if isinstance(e, fx.PrintDocument)).document
    assert slip.barcode == "SUSP-7" and slip.amount("1 × Milk") == 349
    state, effects = checkout.step(state, ev.BarcodeScanned(at=3, text="SUSP-7"))
    assert effects == [fx.LoadSuspended(7)]
    state, effects = checkout.step(state, ev.SuspendedLoaded(at=3, number=7, basket=basket))
    assert state.checkout is Checkout.SCANNING and state.basket == basket
    assert [i.age for i in state.deferred] == [18], "the age is checked again"
    gone, _ = checkout.step(staff_on(KioskState()), ev.SuspendedLoaded(at=3, number=8, basket=None))
    assert "already resumed" in gone.notice
    with pytest.raises(checkout.IllegalTransition, match="no longer signed in"):
        checkout.step(KioskState(), ev.SuspendedLoaded(at=3, number=8, basket=basket))


def test_a_customer_scanning_a_slip_or_receipt_is_told_to_ask_staff() -> None:
    for code in ("SUSP-7", "S41-3B2E0C1A", "STAFF-0042"):
        state, effects = checkout.step(KioskState(), ev.BarcodeScanned(at=1, text=code))
        assert state.checkout is Checkout.WELCOME
        assert effects == [fx.PlaySound(fx.Sound.PROBLEM)], "a refused scan sounds the problem"
        assert "staff" in state.notice.lower()


SOLD = SoldSale(
    sale_id="3b2e0c1a-0000-4000-8000-000000000001",
    seq=41,
    currency="PLN",
    payment_method="card",
    lines=(
        SoldLine(1, MILK.gtin, "Milk", 2, 600, 500),
        SoldLine(2, BEER.gtin, "Beer", 1, 449, 2300, refunded=1),
    ),
)


def test_a_refund_is_capped_at_what_was_sold_and_pays_cash_from_the_drawer() -> None:
    state = staff_on(KioskState())
    state, effects = checkout.step(state, ev.BarcodeScanned(at=1, text="S41-3B2E0C1A"))
    assert effects == [fx.LookUpSale(41, "3b2e0c1a", "S41-3B2E0C1A")]
    state, _ = checkout.step(state, ev.SaleLookedUp(at=1, code="S41-3B2E0C1A", sale=SOLD))
    assert state.checkout is Checkout.REFUND
    with pytest.raises(checkout.IllegalTransition, match="only 0 of line 2"):
        checkout.step(state, touch(b.STAFF_REFUND_LINE, "2"))
    with pytest.raises(checkout.IllegalTransition, match="choose what"):
        checkout.step(state, touch(b.STAFF_REFUND_CONFIRM))
    state, _ = run(state, touch(b.STAFF_REFUND_LINE, "1"), touch(b.STAFF_REFUND_LINE, "1"))
    with pytest.raises(checkout.IllegalTransition, match="only 2 of line 1"):
        checkout.step(state, touch(b.STAFF_REFUND_LINE, "1"))
    assert state.refund is not None and state.refund.total_minor == 600
    state, effects = checkout.step(state, touch(b.STAFF_REFUND_CONFIRM))
    assert effects == [fx.CommitRefund(state.refund, "0042")]
    state, effects = checkout.step(
        state, ev.RefundCommitted(at=2, refund_id="R", seq=5, wall_at="2026-11-23T10:00Z")
    )
    assert state.checkout is Checkout.WELCOME and state.refund is None
    assert fx.OpenDrawer("refund") in effects
    assert audits(effects)[0].detail == "refund 5 of sale 41: 600"


def test_refund_lookups_that_find_nothing_only_say_so() -> None:
    state = staff_on(KioskState())
    state, _ = checkout.step(state, ev.SaleLookedUp(at=1, code="S9-00000000", sale=None))
    assert state.checkout is Checkout.WELCOME and "No sale matches" in state.notice
    done = replace(SOLD, lines=(replace(SOLD.lines[1]),))
    state, _ = checkout.step(state, ev.SaleLookedUp(at=1, code="S41-3B2E0C1A", sale=done))
    assert state.checkout is Checkout.WELCOME and "already fully refunded" in state.notice


def test_reports_are_asked_for_shown_printed_and_closed() -> None:
    from appliance.core.records import Report

    state = staff_on(KioskState())
    _, effects = checkout.step(state, touch(b.STAFF_X_REPORT))
    assert effects == [fx.MakeReport(fx.ReportKind.X, "0042")]
    _, effects = checkout.step(state, touch(b.STAFF_Z_REPORT))
    assert effects == [fx.MakeReport(fx.ReportKind.Z, "0042")]
    report = Report("Z", 3, "PLN", "a", "b", 2, 1000, 1, 100, (), (("card", 1000),), 0, 1)
    state, effects = checkout.step(state, ev.ReportReady(at=1, report=report))
    assert state.checkout is Checkout.REPORT
    doc = next(e for e in effects if isinstance(e, fx.PrintDocument)).document
    assert doc.title == "Z report 3" and doc.amount("Net") == 900 and doc.currency == "PLN"
    state, _ = checkout.step(state, touch(b.STAFF_CLOSE_REPORT))
    assert state.checkout is Checkout.WELCOME


def test_turning_the_key_back_signs_staff_out() -> None:
    state = staff_off(staff_on(KioskState()))
    assert state.staff_id == ""
    state, _ = checkout.step(state, ev.KeyTurned(at=1, position=ev.KeyPosition.STAFF))
    with pytest.raises(checkout.IllegalTransition, match="badge"):
        checkout.step(state, touch(b.STAFF_OPEN_DRAWER))


def test_a_badge_without_the_key_only_explains() -> None:
    state, effects = checkout.step(KioskState(), ev.BarcodeScanned(at=1, text=BADGE))
    assert state.staff_id == "" and "staff key" in state.notice
    assert effects == [fx.PlaySound(fx.Sound.PROBLEM)], "the badge did not count: it says so"


@pytest.mark.parametrize(
    ("setup", "button", "arg"),
    [
        ("blocked", b.STAFF_APPROVE, ""),
        ("age", b.STAFF_APPROVE_AGE, ""),
        ("scanning", b.STAFF_VOID_LINE, "1"),
        ("scanning", b.STAFF_OVERRIDE_PRICE, "1 100 damaged"),
        ("scanning", b.STAFF_CANCEL_SALE, ""),
        ("welcome", b.STAFF_OPEN_DRAWER, ""),
        ("welcome", b.STAFF_OUT_OF_SERVICE, ""),
        ("welcome", b.STAFF_HELP_GIVEN, ""),
    ],
)
def test_every_staff_action_is_audited_with_the_badge(setup: str, button: str, arg: str) -> None:
    states = {
        "welcome": KioskState(),
        "scanning": sell(KioskState(), MILK)[0],
        "blocked": sell(KioskState(), None)[0],
        "age": sell(KioskState(), BEER, code="4006381333931")[0],
    }
    _, effects = checkout.step(staff_on(states[setup]), touch(button, arg))
    assert any(a.staff_id == "0042" for a in audits(effects))


# -- the signal table ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "signal"),
    [
        ({}, Signal.AVAILABLE),
        ({"help_requested": True}, Signal.ASSIST),
        ({"checkout": Checkout.BLOCKED}, Signal.BLOCKED),
        ({"checkout": Checkout.OUT_OF_SERVICE, "help_requested": True}, Signal.OUT_OF_SERVICE),
    ],
)
def test_signal_priority(change: dict[str, object], signal: Signal) -> None:
    assert signal_for(replace(KioskState(), **change)) is signal  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (KioskState(), touch(b.PAY)),
        (KioskState(), ev.PaymentApproved(at=1, method="card", reference="x")),
        (KioskState(), ev.SaleCommitted(at=1, sale_id="x", seq=1, wall_at="")),
        (KioskState(), touch("no-such-button")),
        (KioskState(checkout=Checkout.PAYING), ev.BarcodeScanned(at=1, text="5901234123457")),
    ],
)
def test_events_without_a_rule_are_illegal(state: KioskState, event: ev.Event) -> None:
    with pytest.raises(checkout.IllegalTransition):
        checkout.step(state, event)


def test_a_cash_refund_is_rounded_where_small_coins_are_gone() -> None:
    """GIVEN cash rounding to 0.05 WHEN 6.98 is refunded THEN 7.00 is paid out, and the
    refund document shows the rounding instead of hiding it."""
    state = staff_on(KioskState(rules=Rules(cash_rounding_minor=5)))
    sold = replace(SOLD, lines=(SoldLine(1, MILK.gtin, "Milk", 2, 698, 500),))
    state, _ = run(
        state,
        ev.SaleLookedUp(at=1, code="S41-3B2E0C1A", sale=sold),
        touch(b.STAFF_REFUND_LINE, "1"),
        touch(b.STAFF_REFUND_LINE, "1"),
        touch(b.STAFF_REFUND_CONFIRM),
    )
    state, effects = checkout.step(
        state, ev.RefundCommitted(at=2, refund_id="R", seq=1, wall_at="")
    )
    doc = next(e for e in effects if isinstance(e, fx.PrintDocument)).document
    assert doc.amount("Refund total") == 698
    assert doc.amount("Cash rounding") == 2 and doc.amount("Paid in cash") == 700
    assert "pay 700 in cash" in state.notice


def test_a_full_outbox_closes_the_lane_between_sales_and_reopens_it() -> None:
    """GIVEN head office unreachable WHEN the outbox reaches its limit THEN the sale in hand
    finishes, the lane closes before the next one, and opens again below 90 %."""
    rules = Rules(outbox_limit=10)
    state, _ = sell(KioskState(rules=rules), MILK)
    state, _ = checkout.step(state, ev.OutboxDepthChanged(at=1, depth=10))
    assert state.checkout is Checkout.SCANNING, "the customer in front of the kiosk finishes"
    state, _ = run(
        state,
        touch(b.PAY),
        ev.PaymentApproved(at=2, method="card", reference="R"),
        ev.SaleCommitted(at=3, sale_id="S", seq=1, wall_at=""),
        ev.ReceiptPrinted(at=4, sale_id="S"),
    )
    state, _ = checkout.step(state, ev.Tick(at=100))
    assert (
        state.checkout is Checkout.OUT_OF_SERVICE and "head office" in state.out_of_service_reason
    )
    state, _ = checkout.step(state, ev.OutboxDepthChanged(at=101, depth=9))
    assert state.checkout is Checkout.OUT_OF_SERVICE, "no flapping just under the limit"
    state, _ = checkout.step(state, ev.OutboxDepthChanged(at=102, depth=8))
    assert state.checkout is Checkout.WELCOME


def test_a_lane_closed_by_staff_is_not_reopened_by_the_outbox() -> None:
    state = staff_on(KioskState())
    state, _ = checkout.step(state, touch(b.STAFF_OUT_OF_SERVICE))
    state, _ = checkout.step(state, ev.OutboxDepthChanged(at=1, depth=0))
    assert state.checkout is Checkout.OUT_OF_SERVICE


def test_a_new_catalog_is_applied_between_sales_never_during_one() -> None:
    """GIVEN a sale in progress WHEN a new catalog version is staged THEN nothing changes
    until the sale is over; then it is applied once, and its promotions take effect."""
    from appliance.core.promotions import MultiBuy

    state, _ = sell(KioskState(), MILK)
    state, effects = checkout.step(state, ev.CatalogWaiting(at=1, version=2))
    assert effects == [] and state.catalog_waiting == 2
    state, _ = run(
        state,
        touch(b.PAY),
        ev.PaymentApproved(at=2, method="card", reference="R"),
        ev.SaleCommitted(at=3, sale_id="S", seq=1, wall_at=""),
        ev.ReceiptPrinted(at=4, sale_id="S"),
    )
    state, effects = checkout.step(state, ev.Tick(at=100))
    assert state.checkout is Checkout.WELCOME and effects == [fx.ApplyCatalog(2)]
    deal = MultiBuy("P", "2 for 5", frozenset({MILK.gtin}), 2, 500)
    state, effects = checkout.step(
        state, ev.CatalogApplied(at=101, version=2, promotions=(deal,), shelf_prices=())
    )
    assert state.catalog_version == 2 and state.catalog_waiting is None
    assert state.rules.promotions == (deal,)
    state, effects = checkout.step(state, ev.CatalogWaiting(at=102, version=2))
    assert effects == [], "an old or repeated version is not applied again"


def test_an_idle_lane_applies_a_new_catalog_at_once() -> None:
    _, effects = checkout.step(KioskState(), ev.CatalogWaiting(at=1, version=5))
    assert effects == [fx.ApplyCatalog(5)]
