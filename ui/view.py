"""Kiosk state → what the screen shows (pure; no pygame). The UI draws this and decides nothing.

`screen` ids are stable: scenarios assert them (`expect screen=scanning`) and the
renderer picks a layout by them. docs/scenarios.md lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from appliance.core import buttons, idle
from appliance.core.events import KeyPosition, PaperState
from appliance.core.interventions import Need
from appliance.core.promotion_hints import ADD_ITEM, Hint
from appliance.core.receipts import ereceipt_link
from appliance.core.signals import Lamp, lamp_for
from appliance.core.staff import report_document
from appliance.core.state import PAYMENT_STATES, Checkout, KioskState
from appliance.core.text import Text
from appliance.money import format_minor
from ui.i18n import LANGUAGE_BUTTON, LANGUAGES, N_, N_plural, Words, words

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
DRAWER_ALARM = N_("Cash drawer open – please close it")

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
    # the language every word above is in (ui.i18n.LANGUAGES); the renderer's own words
    # follow it
    language: str = "en"
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
STILL_THERE = N_plural(
    "Your basket is kept ({n} item). Touch the button or scan to carry on.",
    "Your basket is kept ({n} items). Touch the button or scan to carry on.",
)

TITLES = {
    "welcome": N_("Scan your first item to start"),
    "scanning": N_("Scan your next item, or pay"),
    "item-unknown": N_("Please wait: a member of staff is coming"),
    "assist": N_("Please wait: a member of staff is coming"),
    "paying": N_("Follow the instructions on the card terminal"),
    "payment-declined": N_("Payment did not go through"),
    "thank-you": N_("Thank you!"),
    "receipt-choice": N_("How would you like your receipt?"),
    "ereceipt": N_("Scan the code with your phone for your receipt"),
    "out-of-service": N_("This checkout is closed"),
    "scanner-lost": N_("The scanner is not working: staff have been told"),
    "staff": N_("Staff menu"),
    "refund": N_("Refund: choose the items coming back"),
    "report": N_("Report"),
    "still-there": N_("Are you still there?"),
}


def view_model(
    state: KioskState, *, locale: str = "en_GB", sim: bool = False, language: str = "en"
) -> ViewModel:
    """What the screen shows, every word in `language` (a ui.i18n.LANGUAGES code), money in
    `locale`."""
    tr = words(language)
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
    notice = tr.text(state.notice)
    title = tr(TITLES[screen])
    total_minor = totals.total_minor
    if screen == "out-of-service":
        service = N_("Closed for service") if state.key is KeyPosition.SERVICE else ""
        notice = tr.text(state.out_of_service_reason or service) or notice
    elif screen == "staff" and not state.staff_id:
        title = tr(N_("Staff: scan your badge"))
    elif screen == "still-there":
        notice = tr.plural(*STILL_THERE, state.basket.item_count)
    elif screen == "refund" and state.refund is not None:
        lines = _refund_lines(state, locale)
        total_minor = state.refund.total_minor
    elif screen == "report" and state.report is not None:
        doc = report_document(state.report)
        lines = tuple(
            LineView(
                readable_times(tr.text(ln.text)),
                "",
                ""
                if ln.amount_minor is None
                else format_minor(ln.amount_minor, doc.currency, locale),
            )
            for ln in doc.lines
        )
        title = tr.text(doc.title)
        total_minor = state.report.net_minor
    return ViewModel(
        screen=screen,
        title=title,
        lines=lines,
        total=format_minor(total_minor, currency, locale),
        total_minor=total_minor,
        savings=tr.format(N_("You saved {amount}"), amount=format_minor(saved, currency, locale))
        if saved
        else "",
        notice=notice,
        buttons=tuple(
            b if b.button_id == LANGUAGE_BUTTON else replace(b, label=tr.text(b.label))
            for b in _buttons(state, screen)
        ),
        problems=tuple(tr.text(p) for p in _problems(state)),
        lamp=lamp_for(state),
        staff=state.key is KeyPosition.STAFF,
        help_strip=SIM_HELP if sim else (),
        store_name=state.rules.store_name,
        pending=tuple(tr.text(i.detail) for i in state.deferred),
        hint=""
        if state.hint is None or screen != "scanning"
        else _hint(state.hint, tr, format_minor(state.hint.saving_minor, currency, locale)),
        currency=currency,
        locale=locale,
        qr=_ereceipt_link(state) if screen == "ereceipt" else "",
        language=language,
    )


def _hint(hint: Hint, tr: Words, saving: str) -> str:
    """ "Add a drink and save 2,98 zł": the deal's wording; its group or promotion name is
    catalog data and stays as the catalog says it."""
    if hint.text_key == ADD_ITEM:
        vowel = hint.missing[:1].lower() in ("a", "e", "i", "o", "u")
        msgid = (
            N_("Add an {missing} and save {saving}")
            if vowel
            else N_("Add a {missing} and save {saving}")
        )
    else:
        msgid = N_("Add one more ({missing}) and save {saving}")
    return tr.format(msgid, missing=hint.missing, saving=saving)


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


WAITING_FOR = N_("To check: {detail}")


def waiting_for(detail: str) -> str:
    """How a pending check reads in the problem list (the staff screen's status); the
    detail's words are translated with it (ui.i18n.Words.text)."""
    return Text(WAITING_FOR, detail=detail)


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
LOOK_UP_BUTTON = ButtonView(buttons.LOOK_UP, N_("Look up item"), needs_input=True)
# the welcome's language choice: each language named in itself, never translated
LANGUAGE_BUTTONS = tuple(
    ButtonView(LANGUAGE_BUTTON, name, arg=code) for code, name in LANGUAGES.items()
)


def _buttons(state: KioskState, screen: str) -> tuple[ButtonView, ...]:
    b = ButtonView
    if screen == "scanning":
        return (
            b(buttons.HELP, N_("Help")),
            b(buttons.REMOVE_ITEM, N_("Remove item")),
            b(buttons.PRICE_CHECK, N_("Wrong price?")),
            LOOK_UP_BUTTON,
            b(buttons.PAY, N_("Pay"), primary=True),
        )
    if screen == "payment-declined":
        return (
            b(buttons.CANCEL_PAYMENT, N_("Back to basket")),
            b(buttons.RETRY_PAYMENT, N_("Try again"), primary=True),
        )
    if screen == "thank-you":
        return (b(buttons.DONE, N_("Done"), primary=True),)
    if screen == "still-there":
        return (
            b(buttons.HELP, N_("Help")),
            b(buttons.STILL_HERE, N_("I'm still here"), primary=True),
        )
    if screen == "receipt-choice":
        return (
            b(buttons.NO_RECEIPT, N_("No receipt")),
            b(buttons.ERECEIPT, N_("E-receipt (QR)")),
            b(buttons.PRINT_RECEIPT, N_("Print"), primary=True),
        )
    if screen == "ereceipt":
        return (b(buttons.DONE, N_("Done"), primary=True),)
    if screen == "welcome":
        return (b(buttons.HELP, N_("Help")), LOOK_UP_BUTTON, *LANGUAGE_BUTTONS)
    if screen in ("item-unknown", "assist", "scanner-lost"):
        return (b(buttons.HELP, N_("Help")),)
    if screen == "staff":
        return _staff_buttons(state) if state.staff_id else ()
    if screen == "refund" and state.staff_id and state.refund is not None:
        return (
            *(
                b(
                    buttons.STAFF_REFUND_LINE,
                    Text("+1 line {n}", n=line.line_no),
                    arg=str(line.line_no),
                )
                for line in state.refund.sale.lines
                if line.refundable > state.refund.units_for(line.line_no)
            ),
            b(buttons.STAFF_REFUND_CANCEL, N_("Cancel")),
            b(buttons.STAFF_REFUND_CONFIRM, N_("Refund"), primary=True),
        )
    if screen == "report" and state.staff_id:
        return (b(buttons.STAFF_CLOSE_REPORT, N_("Close"), primary=True),)
    return ()


def _staff_buttons(state: KioskState) -> tuple[ButtonView, ...]:
    """What staff can do here and now; the core refuses anything else anyway."""
    b = ButtonView
    c = state.checkout
    out = [b(buttons.STAFF_OPEN_DRAWER, N_("Open drawer"))]
    if state.help_requested:
        out.append(b(buttons.STAFF_HELP_GIVEN, N_("Help given"), primary=True))
    blocking = state.blocking
    if c is Checkout.BLOCKED and blocking is not None:
        if blocking.need is Need.PAYMENT_UNCERTAIN:
            out.append(b(buttons.STAFF_PAYMENT_TAKEN, N_("Card was charged"), needs_input=True))
            out.append(b(buttons.STAFF_PAYMENT_NOT_TAKEN, N_("Not charged"), primary=True))
        else:
            label = N_("Resume sale") if blocking.need is Need.ABANDONED_BASKET else N_("Approve")
            out.append(b(buttons.STAFF_APPROVE, label, primary=True))
    if any(i.need is Need.AGE_CHECK for i in state.deferred) and c in (
        Checkout.SCANNING,
        Checkout.BLOCKED,
    ):
        age = max(i.age or 0 for i in state.deferred if i.need is Need.AGE_CHECK)
        out.append(b(buttons.STAFF_APPROVE_AGE, Text("Customer is {age}+", age=age), primary=True))
    if c in (Checkout.SCANNING, Checkout.BLOCKED) and not state.basket.is_empty:
        out.append(b(buttons.STAFF_VOID_LINE, N_("Void a line"), needs_input=True))
        out.append(b(buttons.STAFF_OVERRIDE_PRICE, N_("Change a price"), needs_input=True))
        out.append(b(buttons.STAFF_SUSPEND, N_("Suspend sale")))
        out.append(b(buttons.STAFF_CANCEL_SALE, N_("Cancel sale")))
    if c in (Checkout.WELCOME, Checkout.THANK_YOU) and state.receipt is not None:
        out.append(b(buttons.STAFF_REPRINT, N_("Reprint receipt")))
    if c in (Checkout.WELCOME, Checkout.OUT_OF_SERVICE):
        out.append(b(buttons.STAFF_X_REPORT, N_("X report")))
        out.append(b(buttons.STAFF_Z_REPORT, N_("Close day (Z)")))
    if c is Checkout.OUT_OF_SERVICE:
        out.append(b(buttons.STAFF_BACK_IN_SERVICE, N_("Back in service"), primary=True))
    elif c in (Checkout.WELCOME, Checkout.THANK_YOU):
        out.append(b(buttons.STAFF_OUT_OF_SERVICE, N_("Out of service")))
    return tuple(out)


def _ereceipt_link(state: KioskState) -> str:
    if state.receipt is None or not state.rules.ereceipt_url:
        return ""
    return ereceipt_link(state.rules.ereceipt_url, state.receipt.sale_id)


def _problems(state: KioskState) -> tuple[str, ...]:
    d = state.devices
    out: list[str] = []
    if not d.scanner_ok:
        out.append(Text("Scanner: {reason}", reason=d.scanner_reason or "not connected"))
    if not d.printer_online:
        out.append(Text("Printer: {reason}", reason=d.printer_reason or "offline"))
    elif d.paper is PaperState.OUT:
        out.append(N_("Printer: out of paper"))
    elif d.paper is PaperState.LOW:
        out.append(N_("Printer: paper low"))
    if d.drawer_alarm:
        out.append(DRAWER_ALARM)
    elif d.drawer_open:
        out.append(N_("Drawer: open"))
    if state.help_requested:
        out.append(N_("Help requested"))
    out.extend(waiting_for(i.detail) for i in state.deferred)
    return tuple(out)
