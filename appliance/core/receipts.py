"""The receipt after a paid sale: printed, an e-receipt QR code, or none (pure handlers).

Rules (the rows are in checkout.py's table):
1. Only a committed sale gets here: SaleCommitted has come back from the store, so
   nothing on this path can lose the sale.
2. Without e-receipts (Rules.ereceipt_url empty) the receipt prints at once, as before
   (selling.committed): no question is asked.
3. With e-receipts the customer chooses Print, E-receipt or No receipt. No answer within
   Rules.receipt_choice_s prints: a customer who walks away without touching anything
   still gets the paper most expect (and may have to be offered by law).
4. A printer that cannot print, known before (paper out, off-line) or learnt while
   printing (PrintFailed: the paper ran out mid-receipt), offers the e-receipt instead.
   Staff are told by the tower (the printer's assist signal); the receipt stays in the
   state for a reprint from the staff menu; nothing is queued to print later.
5. The e-receipt screen ends on Done or after Rules.ereceipt_s; then the thank-you screen.
6. Every receipt outcome is audited: action "receipt", detail print | ereceipt | none,
   reason the sale ("sale 12") and why when the customer did not choose it.
"""

from __future__ import annotations

from dataclasses import replace

from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core import selling
from appliance.core.selling import Result
from appliance.core.state import Checkout, KioskState
from appliance.core.text import Text

PRINT, ERECEIPT, NONE = "print", "ereceipt", "none"
# the states whose deadline (Tick) is handled by timed_out()
TIMED = frozenset({Checkout.RECEIPT_CHOICE, Checkout.ERECEIPT})

# what the customer is told (state.notice); staff are told by the tower
CHOOSE = Text("Payment complete. If you choose nothing, your receipt prints.")
PRINTER_CANNOT = Text("The printer is not working: your purchase is complete.")
PRINT_FAILED = "The receipt did not print ({reason}): your purchase is complete."


def ereceipt_link(base_url: str, sale_id: str) -> str:
    """Where the e-receipt QR code points: `<base_url>/<sale_id>` (screen and paper)."""
    return f"{base_url.rstrip('/')}/{sale_id}"


def committed(state: KioskState, event: ev.Event) -> Result:
    assert isinstance(event, ev.SaleCommitted)
    if not state.rules.ereceipt_url:
        return selling.committed(state, event)
    new = selling.sale_done(state, event)
    if not selling.can_print(state):
        return _offer_ereceipt(new, event.at, PRINTER_CANNOT, _printer_problem(state))
    deadline = event.at + state.rules.receipt_choice_s
    choice = replace(new, checkout=Checkout.RECEIPT_CHOICE, deadline_at=deadline, notice=CHOOSE)
    return choice, []


def choose_print(state: KioskState, event: ev.Event) -> Result:
    return _print(state, event.at, "")


def choose_ereceipt(state: KioskState, event: ev.Event) -> Result:
    return _offer_ereceipt(state, event.at, "", "")


def choose_none(state: KioskState, event: ev.Event) -> Result:
    new, effects = selling.thank_you(state, event.at, "")
    return new, [_audit(state, NONE, ""), *effects]


def ereceipt_done(state: KioskState, event: ev.Event) -> Result:
    return selling.thank_you(state, event.at, "")


def print_failed(state: KioskState, event: ev.Event) -> Result:
    """The receipt did not print (torn mid-way, printer gone): offer the e-receipt."""
    assert isinstance(event, ev.PrintFailed)
    if not state.rules.ereceipt_url:
        return selling.print_failed(state, event)
    notice = Text(PRINT_FAILED, reason=event.reason)
    return _offer_ereceipt(state, event.at, notice, f"print failed: {event.reason}")


def timed_out(state: KioskState, at: float) -> Result:
    """The screen's deadline passed: no choice prints; the QR code gives way to thanks."""
    if state.checkout is Checkout.RECEIPT_CHOICE:
        return _print(state, at, f"no choice in {state.rules.receipt_choice_s:g} s")
    return selling.thank_you(state, at, "")


def _print(state: KioskState, at: float, why: str) -> Result:
    receipt = state.receipt
    assert receipt is not None
    if not selling.can_print(state):
        return _offer_ereceipt(state, at, PRINTER_CANNOT, _printer_problem(state))
    new = replace(state, checkout=Checkout.PRINTING, deadline_at=None, notice="")
    return new, [_audit(state, PRINT, why), fx.PrintReceipt(receipt)]


def _offer_ereceipt(state: KioskState, at: float, notice: str, why: str) -> Result:
    deadline = at + state.rules.ereceipt_s
    new = replace(state, checkout=Checkout.ERECEIPT, notice=notice, deadline_at=deadline)
    return new, [_audit(state, ERECEIPT, why)]


def _printer_problem(state: KioskState) -> str:
    d = state.devices
    if not d.printer_online:
        return f"printer: {d.printer_reason or 'offline'}"
    return "printer: paper out"


def _audit(state: KioskState, choice: str, why: str) -> fx.Audit:
    sale = f"sale {state.receipt.seq}" if state.receipt is not None else ""
    return fx.Audit("receipt", choice, "", ", ".join(part for part in (sale, why) if part))
