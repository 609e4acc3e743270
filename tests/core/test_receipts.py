"""The receipt after a paid sale (rules at the top of appliance/core/receipts.py).

Pure: every test feeds events to `step` and looks at the state and effects that come out.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from appliance.core import buttons as b
from appliance.core import checkout
from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.signals import Signal, signal_for
from appliance.core.state import Checkout, KioskState, Rules
from tests.core.test_checkout import MILK, audits, run, sell, staff_on, touch
from ui.view import view_model

URL = "https://receipts.example.com/r"
E_RECEIPTS = Rules(ereceipt_url=URL, receipt_choice_s=10.0, ereceipt_s=30.0)
PAPER_OUT = ev.PrinterStatusChanged(at=1, online=False, paper=ev.PaperState.OUT, reason="paper out")


def paid(rules: Rules = E_RECEIPTS, *before: ev.Event) -> tuple[KioskState, list[fx.Effect]]:
    """A sale of milk paid by card and committed by the store at t=3."""
    state, _ = sell(KioskState(rules=rules), MILK)
    state, _ = run(
        state, *before, touch(b.PAY), ev.PaymentApproved(at=2, method="card", reference="R")
    )
    return checkout.step(state, ev.SaleCommitted(at=3, sale_id="S-1", seq=7, wall_at=""))


def receipt_audit(effects: list[fx.Effect]) -> fx.Audit:
    (audit,) = [a for a in audits(effects) if a.action == "receipt"]
    return audit


def test_without_e_receipts_the_receipt_prints_at_once_as_before() -> None:
    """GIVEN no ereceipt_url WHEN the sale is committed THEN it prints, no question."""
    state, effects = paid(Rules())
    assert state.checkout is Checkout.PRINTING
    assert [type(e) for e in effects] == [fx.PrintReceipt]


def test_the_choice_is_asked_only_after_the_sale_is_committed() -> None:
    """GIVEN e-receipts WHEN paid THEN commit first; the choice comes after SaleCommitted,
    with nothing printed yet and the basket already gone (the sale is the store's)."""
    state, _ = sell(KioskState(rules=E_RECEIPTS), MILK)
    state, _ = run(state, touch(b.PAY), ev.PaymentApproved(at=2, method="card", reference="R"))
    assert state.checkout is Checkout.COMMITTING
    state, effects = checkout.step(state, ev.SaleCommitted(at=3, sale_id="S-1", seq=7, wall_at=""))
    assert state.checkout is Checkout.RECEIPT_CHOICE and effects == []
    assert state.deadline_at == 13.0 and state.basket.is_empty
    assert state.receipt is not None and state.receipt.sale_id == "S-1"
    assert view_model(state).screen == "receipt-choice"
    assert {v.button_id for v in view_model(state).buttons} == {
        b.PRINT_RECEIPT,
        b.ERECEIPT,
        b.NO_RECEIPT,
    }


def test_print_prints_and_is_audited() -> None:
    state, _ = paid()
    state, effects = checkout.step(state, touch(b.PRINT_RECEIPT))
    assert state.checkout is Checkout.PRINTING
    assert [e.receipt.sale_id for e in effects if isinstance(e, fx.PrintReceipt)] == ["S-1"]
    audit = receipt_audit(effects)
    assert (audit.detail, audit.reason) == ("print", "sale 7")
    state, _ = checkout.step(state, ev.ReceiptPrinted(at=4, sale_id="S-1"))
    assert state.checkout is Checkout.THANK_YOU and state.receipt_printed


def test_e_receipt_shows_the_sales_link_and_prints_nothing() -> None:
    """GIVEN the choice WHEN E-receipt THEN the QR screen links to <url>/<sale id>, nothing
    prints; Done (or the screen's time) leads to thank-you."""
    state, _ = paid()
    state, effects = checkout.step(state, touch(b.ERECEIPT))
    assert state.checkout is Checkout.ERECEIPT
    assert not any(isinstance(e, fx.PrintReceipt) for e in effects)
    assert receipt_audit(effects).detail == "ereceipt"
    vm = view_model(state)
    assert vm.screen == "ereceipt" and vm.qr == f"{URL}/S-1"
    assert [v.button_id for v in vm.buttons] == [b.DONE]
    done, _ = checkout.step(state, touch(b.DONE))
    assert done.checkout is Checkout.THANK_YOU
    timed, _ = checkout.step(state, ev.Tick(at=1 + 30))
    assert timed.checkout is Checkout.THANK_YOU


def test_no_receipt_goes_straight_to_thank_you() -> None:
    state, _ = paid()
    state, effects = checkout.step(state, touch(b.NO_RECEIPT))
    assert state.checkout is Checkout.THANK_YOU
    assert not any(isinstance(e, fx.PrintReceipt) for e in effects)
    assert receipt_audit(effects).detail == "none"


def test_no_choice_in_time_prints() -> None:
    """GIVEN the choice WHEN nothing is touched for receipt_choice_s THEN it prints."""
    state, _ = paid()
    early, effects = checkout.step(state, ev.Tick(at=12.9))
    assert early.checkout is Checkout.RECEIPT_CHOICE and effects == []
    state, effects = checkout.step(state, ev.Tick(at=13))
    assert state.checkout is Checkout.PRINTING
    assert any(isinstance(e, fx.PrintReceipt) for e in effects)
    audit = receipt_audit(effects)
    assert audit.detail == "print" and "no choice in 10 s" in audit.reason


def test_paper_out_before_the_sale_offers_the_e_receipt_and_tells_staff() -> None:
    """GIVEN the paper is out WHEN a sale is committed THEN no question and no print: the
    e-receipt is offered, the sale is kept for a reprint, and the tower asks for staff."""
    state, effects = paid(E_RECEIPTS, PAPER_OUT)
    assert state.checkout is Checkout.ERECEIPT
    assert "printer is not working" in state.notice
    assert not any(isinstance(e, fx.PrintReceipt) for e in effects)
    assert receipt_audit(effects).reason == "sale 7, printer: paper out"
    assert signal_for(state) is Signal.ASSIST
    assert state.sales_committed == 1 and state.receipt is not None


def test_paper_running_out_mid_receipt_offers_the_e_receipt_then_staff_reprint() -> None:
    """GIVEN the customer chose Print WHEN the paper runs out mid-receipt THEN the e-receipt
    is offered (the sale stays committed), nothing is queued, and once paper is back staff
    reprint that receipt from the staff menu."""
    state, _ = paid()
    state, _ = run(
        state,
        touch(b.PRINT_RECEIPT),
        PAPER_OUT,
        ev.PrintFailed(at=4, sale_id="S-1", reason="paper out"),
    )
    assert state.checkout is Checkout.ERECEIPT
    assert "did not print (paper out)" in state.notice
    assert view_model(state).qr == f"{URL}/S-1"
    paper_back = ev.PrinterStatusChanged(at=5, online=True, paper=ev.PaperState.OK)
    state, effects = run(state, touch(b.DONE), paper_back, ev.Tick(at=100))
    assert state.checkout is Checkout.WELCOME
    assert not any(isinstance(e, fx.PrintReceipt) for e in effects), "no stale receipt"
    state, effects = checkout.step(staff_on(state), touch(b.STAFF_REPRINT))
    assert [e.receipt.sale_id for e in effects if isinstance(e, fx.PrintReceipt)] == ["S-1"]


def test_paper_running_out_while_the_customer_chooses_offers_the_e_receipt() -> None:
    state, _ = paid()
    state, effects = run(state, PAPER_OUT, touch(b.PRINT_RECEIPT))
    assert state.checkout is Checkout.ERECEIPT
    assert not any(isinstance(e, fx.PrintReceipt) for e in effects)


def test_without_e_receipts_a_failed_print_still_only_says_so() -> None:
    state, _ = paid(Rules())
    state, _ = checkout.step(state, ev.PrintFailed(at=4, sale_id="S-1", reason="paper out"))
    assert state.checkout is Checkout.THANK_YOU and "did not print" in state.notice


@pytest.mark.parametrize("button", [b.PRINT_RECEIPT, b.ERECEIPT, b.NO_RECEIPT])
def test_receipt_buttons_count_only_on_the_choice(button: str) -> None:
    state, _ = sell(KioskState(rules=E_RECEIPTS), MILK)
    with pytest.raises(checkout.IllegalTransition):
        checkout.step(state, touch(button))
    done, _ = run(paid()[0], touch(b.NO_RECEIPT))
    with pytest.raises(checkout.IllegalTransition):
        checkout.step(done, touch(button))


def test_the_choice_screens_leave_the_sale_and_the_lane_alone() -> None:
    """A key turned on the choice shows the staff menu; the deadline still runs."""
    state, _ = paid()
    state = staff_on(state)
    assert view_model(state).screen == "staff"
    state, _ = checkout.step(replace(state, key=ev.KeyPosition.NORMAL), ev.Tick(at=13))
    assert state.checkout is Checkout.PRINTING
