"""Kiosk state → what the screen shows (pure; no pygame). The UI draws this and decides nothing.

`screen` ids are stable: scenarios assert them (`expect screen=scanning`) and the
renderer picks a layout by them. docs/scenarios.md lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from appliance.core import buttons, idle
from appliance.core.events import KeyPosition, PaperState
from appliance.core.interventions import Need
from appliance.core.receipts import ereceipt_link
from appliance.core.signals import Lamp, lamp_for
from appliance.core.staff import report_document
from appliance.core.state import PAYMENT_STATES, Checkout, KioskState
from appliance.money import format_minor

SCREENS = (
    "welcome",
    "scanning",
    "still-there",
    "item-unknown",
    "assist",
    "paying",
    "payment-declined",
    "thank-you",
    "receipt-choice",
    "ereceipt",
    "out-of-service",
    "scanner-lost",
    "staff",
    "refund",
    "report",
)

# the drawer alarm's words on every screen (shoppers' problem strip, staff status list)
DRAWER_ALARM = "Cash drawer open – please close it"

SIM_HELP = (
    "digits+Enter scan",
    "F2 staff key",
    "F3 drawer",
    "F4 paper",
    "F5 scanner",
    "F6 help button",
)


@dataclass(frozen=True, slots=True)
class LineView:
    """One row. `line_no` is the basket's (or the sold sale's) line number, 0 for a row that
    is not a line (report figures); `unit_price` is the price of one unit, where it is one;
    `marked` says the row is picked (a refund line with units chosen)."""

    name: str
    quantity: str
    amount: str
    line_no: int = 0
    unit_price: str = ""
    unit_price_minor: int = 0
    marked: bool = False


@dataclass(frozen=True, slots=True)
class ButtonView:
    """A button. `arg` is what it acts on (a line number); a button that needs input from
    staff (which line to void, the new price) carries `needs_input` and no arg."""

    button_id: str
    label: str
    primary: bool = False
    arg: str = ""
    needs_input: bool = False
    # a picture tile's (the lookup screen's items): its price line and picture file, or ""
    detail: str = ""
    picture: str = ""


@dataclass(frozen=True, slots=True)
class ViewModel:
    screen: str
    title: str
    lines: tuple[LineView, ...]
    total: str
    total_minor: int
    savings: str
    notice: str
    buttons: tuple[ButtonView, ...]
    problems: tuple[str, ...]
    lamp: Lamp
    staff: bool
    help_strip: tuple[str, ...]
    # shown in the top bar of the message screens (welcome, thank-you, closed)
    store_name: str = ""
    # deferred checks the customer is told about while scanning ("Age check: 18+")
    pending: tuple[str, ...] = ()
    # a gentle promotion hint ("Add a drink and save 1,20 zł"), shown once, never blocking
    hint: str = ""
    # what the amounts are in, so the UI can format what staff type (a new price)
    currency: str = ""
    locale: str = ""
    # the link an on-screen QR code carries (the e-receipt), or ""
    qr: str = ""
    # which page of a long list (refund lines, the line picker) is shown: the UI's own
    # state, set by ui.staff_input.present(); view_model() always says the first
    page: int = 0


def screen_for(state: KioskState) -> str:
    """Which screen the state shows. Staff mode and device loss cover the selling screens."""
    c = state.checkout
    if c is Checkout.REFUND:
        return "refund"
    if c is Checkout.REPORT:
        return "report"
    if state.key is KeyPosition.STAFF and c not in PAYMENT_STATES:
        return "staff"
    if c is Checkout.OUT_OF_SERVICE or (
        state.key is KeyPosition.SERVICE and c not in PAYMENT_STATES
    ):
        return "out-of-service"
    if not state.devices.scanner_ok and c in (Checkout.WELCOME, Checkout.SCANNING):
        return "scanner-lost"
    if idle.asking(state):
        return "still-there"
    if c is Checkout.BLOCKED:
        unknown = state.blocking is not None and state.blocking.need in ITEM_PROBLEMS
        return "item-unknown" if unknown else "assist"
    if c in (Checkout.COMMITTING, Checkout.PRINTING):
        return "paying"
    return c.value


ITEM_PROBLEMS = frozenset({Need.UNKNOWN_ITEM, Need.EXPIRED_ITEM})
STILL_THERE = "Your basket is kept ({n} {items}). Touch the button or scan to carry on."

TITLES = {
    "welcome": "Scan your first item to start",
    "scanning": "Scan your next item, or pay",
    "item-unknown": "Please wait: a member of staff is coming",
    "assist": "Please wait: a member of staff is coming",
    "paying": "Follow the instructions on the card terminal",
    "payment-declined": "Payment did not go through",
    "thank-you": "Thank you!",
    "receipt-choice": "How would you like your receipt?",
    "ereceipt": "Scan the code with your phone for your receipt",
    "out-of-service": "This checkout is closed",
    "scanner-lost": "The scanner is not working: staff have been told",
    "staff": "Staff menu",
    "refund": "Refund: choose the items coming back",
    "report": "Report",
    "still-there": "Are you still there?",
}


def view_model(state: KioskState, *, locale: str = "en_GB", sim: bool = False) -> ViewModel:
    screen = screen_for(state)
    currency = state.rules.currency
    totals = state.basket.totals(state.rules.promotions)
    lines = tuple(
        LineView(
            line.product.name,
            f"{line.quantity}×" if line.quantity > 1 else "",
            format_minor(line.total_minor, currency, locale),
            line_no=line.line_no,
            unit_price=format_minor(line.unit_price_minor, currency, locale),
            unit_price_minor=line.unit_price_minor,
        )
        for line in state.basket.lines
        if not line.voided
    )
    saved = totals.saved_minor
    notice = state.notice
    title = TITLES[screen]
    total_minor = totals.total_minor
    if screen == "out-of-service":
        service = "Closed for service" if state.key is KeyPosition.SERVICE else ""
        notice = state.out_of_service_reason or service or notice
    elif screen == "staff" and not state.staff_id:
        title = "Staff: scan your badge"
    elif screen == "still-there":
        items = state.basket.item_count
        notice = STILL_THERE.format(n=items, items="item" if items == 1 else "items")
    elif screen == "refund" and state.refund is not None:
        lines = _refund_lines(state, locale)
        total_minor = state.refund.total_minor
    elif screen == "report" and state.report is not None:
        doc = report_document(state.report)
        lines = tuple(
            LineView(
                readable_times(ln.text),
                "",
                ""
                if ln.amount_minor is None
                else format_minor(ln.amount_minor, doc.currency, locale),
            )
            for ln in doc.lines
        )
        title = doc.title
        total_minor = state.report.net_minor
    return ViewModel(
        screen=screen,
        title=title,
        lines=lines,
        total=format_minor(total_minor, currency, locale),
        total_minor=total_minor,
        savings=f"You saved {format_minor(saved, currency, locale)}" if saved else "",
        notice=notice,
        buttons=_buttons(state, screen),
        problems=_problems(state),
        lamp=lamp_for(state),
        staff=state.key is KeyPosition.STAFF,
        help_strip=SIM_HELP if sim else (),
        store_name=state.rules.store_name,
        pending=tuple(i.detail for i in state.deferred),
        hint=""
        if state.hint is None or screen != "scanning"
        else state.hint.text(lambda minor: format_minor(minor, currency, locale)),
        currency=currency,
        locale=locale,
        qr=_ereceipt_link(state) if screen == "ereceipt" else "",
    )


# an ISO 8601 timestamp as the store writes them: 2026-11-22T21:58:03+00:00
_ISO_TIME = re.compile(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d):\d\d(?:\.\d+)?(Z|[+-]\d\d:\d\d)?")


def readable_times(text: str) -> str:
    """'From 2026-11-22T21:58:03+00:00' → 'From 2026-11-22 21:58 UTC': the screen has no
    room for seconds, and staff read a date and a time, not ISO 8601."""

    def one(match: re.Match[str]) -> str:
        zone = match.group(3) or ""
        zone = " UTC" if zone in ("Z", "+00:00", "-00:00") else f" {zone}" if zone else ""
        return f"{match.group(1)} {match.group(2)}{zone}"

    return _ISO_TIME.sub(one, text)


def waiting_for(detail: str) -> str:
    """How a pending check reads in the problem list (the staff screen's status)."""
    return f"Waiting for staff: {detail}"


def _refund_lines(state: KioskState, locale: str) -> tuple[LineView, ...]:
    assert state.refund is not None
    draft = state.refund
    # a line with nothing chosen shows no amount: "0,00" on every row would hide the few
    # that count, and leave the names less room
    return tuple(
        LineView(
            f"{line.line_no}. {line.name}",
            f"{units}/{line.refundable}",
            format_minor(line.refund_minor(units), draft.sale.currency, locale) if units else "",
            line_no=line.line_no,
            marked=units > 0,
        )
        for line in draft.sale.lines
        for units in (draft.units_for(line.line_no),)
    )


# opens the lookup screen (ui.lookup_input); its tiles send look-up with the item's GTIN
LOOK_UP_BUTTON = ButtonView(buttons.LOOK_UP, "Look up item", needs_input=True)


def _buttons(state: KioskState, screen: str) -> tuple[ButtonView, ...]:
    b = ButtonView
    if screen == "scanning":
        return (
            b(buttons.HELP, "Help"),
            b(buttons.REMOVE_ITEM, "Remove item"),
            b(buttons.PRICE_CHECK, "Wrong price?"),
            LOOK_UP_BUTTON,
            b(buttons.PAY, "Pay", primary=True),
        )
    if screen == "payment-declined":
        return (
            b(buttons.CANCEL_PAYMENT, "Back to basket"),
            b(buttons.RETRY_PAYMENT, "Try again", primary=True),
        )
    if screen == "thank-you":
        return (b(buttons.DONE, "Done", primary=True),)
    if screen == "still-there":
        return (b(buttons.HELP, "Help"), b(buttons.STILL_HERE, "I'm still here", primary=True))
    if screen == "receipt-choice":
        return (
            b(buttons.NO_RECEIPT, "No receipt"),
            b(buttons.ERECEIPT, "E-receipt (QR)"),
            b(buttons.PRINT_RECEIPT, "Print", primary=True),
        )
    if screen == "ereceipt":
        return (b(buttons.DONE, "Done", primary=True),)
    if screen == "welcome":
        return (b(buttons.HELP, "Help"), LOOK_UP_BUTTON)
    if screen in ("item-unknown", "assist", "scanner-lost"):
        return (b(buttons.HELP, "Help"),)
    if screen == "staff":
        return _staff_buttons(state) if state.staff_id else ()
    if screen == "refund" and state.staff_id and state.refund is not None:
        return (
            *(
                b(buttons.STAFF_REFUND_LINE, f"+1 line {line.line_no}", arg=str(line.line_no))
                for line in state.refund.sale.lines
                if line.refundable > state.refund.units_for(line.line_no)
            ),
            b(buttons.STAFF_REFUND_CANCEL, "Cancel"),
            b(buttons.STAFF_REFUND_CONFIRM, "Refund", primary=True),
        )
    if screen == "report" and state.staff_id:
        return (b(buttons.STAFF_CLOSE_REPORT, "Close", primary=True),)
    return ()


def _staff_buttons(state: KioskState) -> tuple[ButtonView, ...]:
    """What staff can do here and now; the core refuses anything else anyway."""
    b = ButtonView
    c = state.checkout
    out = [b(buttons.STAFF_OPEN_DRAWER, "Open drawer")]
    if state.help_requested:
        out.append(b(buttons.STAFF_HELP_GIVEN, "Help given", primary=True))
    blocking = state.blocking
    if c is Checkout.BLOCKED and blocking is not None:
        if blocking.need is Need.PAYMENT_UNCERTAIN:
            out.append(b(buttons.STAFF_PAYMENT_TAKEN, "Card was charged", needs_input=True))
            out.append(b(buttons.STAFF_PAYMENT_NOT_TAKEN, "Not charged", primary=True))
        else:
            label = "Resume sale" if blocking.need is Need.ABANDONED_BASKET else "Approve"
            out.append(b(buttons.STAFF_APPROVE, label, primary=True))
    if any(i.need is Need.AGE_CHECK for i in state.deferred) and c in (
        Checkout.SCANNING,
        Checkout.BLOCKED,
    ):
        age = max(i.age or 0 for i in state.deferred if i.need is Need.AGE_CHECK)
        out.append(b(buttons.STAFF_APPROVE_AGE, f"Customer is {age}+", primary=True))
    if c in (Checkout.SCANNING, Checkout.BLOCKED) and not state.basket.is_empty:
        out.append(b(buttons.STAFF_VOID_LINE, "Void a line", needs_input=True))
        out.append(b(buttons.STAFF_OVERRIDE_PRICE, "Change a price", needs_input=True))
        out.append(b(buttons.STAFF_SUSPEND, "Suspend sale"))
        out.append(b(buttons.STAFF_CANCEL_SALE, "Cancel sale"))
    if c in (Checkout.WELCOME, Checkout.THANK_YOU) and state.receipt is not None:
        out.append(b(buttons.STAFF_REPRINT, "Reprint receipt"))
    if c in (Checkout.WELCOME, Checkout.OUT_OF_SERVICE):
        out.append(b(buttons.STAFF_X_REPORT, "X report"))
        out.append(b(buttons.STAFF_Z_REPORT, "Close day (Z)"))
    if c is Checkout.OUT_OF_SERVICE:
        out.append(b(buttons.STAFF_BACK_IN_SERVICE, "Back in service", primary=True))
    elif c in (Checkout.WELCOME, Checkout.THANK_YOU):
        out.append(b(buttons.STAFF_OUT_OF_SERVICE, "Out of service"))
    return tuple(out)


def _ereceipt_link(state: KioskState) -> str:
    if state.receipt is None or not state.rules.ereceipt_url:
        return ""
    return ereceipt_link(state.rules.ereceipt_url, state.receipt.sale_id)


def _problems(state: KioskState) -> tuple[str, ...]:
    d = state.devices
    out = []
    if not d.scanner_ok:
        out.append(f"Scanner: {d.scanner_reason or 'not connected'}")
    if not d.printer_online:
        out.append(f"Printer: {d.printer_reason or 'offline'}")
    elif d.paper is PaperState.OUT:
        out.append("Printer: out of paper")
    elif d.paper is PaperState.LOW:
        out.append("Printer: paper low")
    if d.drawer_alarm:
        out.append(DRAWER_ALARM)
    elif d.drawer_open:
        out.append("Drawer: open")
    if state.help_requested:
        out.append("Help requested")
    out.extend(waiting_for(i.detail) for i in state.deferred)
    return tuple(out)
