"""Kiosk state → what the screen shows (pure; no pygame). The UI draws this and decides nothing.

`screen` ids are stable: scenarios assert them (`expect screen=scanning`) and the
renderer picks a layout by them. docs/scenarios.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.core import buttons
from appliance.core.events import KeyPosition, PaperState
from appliance.core.signals import Lamp, lamp_for
from appliance.core.state import PAYMENT_STATES, Checkout, KioskState
from appliance.money import format_minor

SCREENS = (
    "welcome",
    "scanning",
    "item-unknown",
    "paying",
    "payment-declined",
    "thank-you",
    "out-of-service",
    "scanner-lost",
    "staff",
)

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
    name: str
    quantity: str
    amount: str


@dataclass(frozen=True, slots=True)
class ButtonView:
    button_id: str
    label: str
    primary: bool = False


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


def screen_for(state: KioskState) -> str:
    """Which screen the state shows. Staff mode and device loss cover the selling screens."""
    selling = state.checkout in (Checkout.WELCOME, Checkout.SCANNING, Checkout.ITEM_UNKNOWN)
    if state.key is KeyPosition.STAFF and state.checkout not in PAYMENT_STATES:
        return "staff"
    if state.checkout is Checkout.OUT_OF_SERVICE:
        return "out-of-service"
    if not state.devices.scanner_ok and selling:
        return "scanner-lost"
    if state.checkout in (Checkout.COMMITTING, Checkout.PRINTING):
        return "paying"
    return state.checkout.value


TITLES = {
    "welcome": "Scan your first item to start",
    "scanning": "Scan your next item, or pay",
    "item-unknown": "Please wait: a member of staff is coming",
    "paying": "Follow the instructions on the card terminal",
    "payment-declined": "Payment did not go through",
    "thank-you": "Thank you!",
    "out-of-service": "This checkout is closed",
    "scanner-lost": "The scanner is not working: staff have been told",
    "staff": "Staff menu",
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
        )
        for line in state.basket.lines
        if not line.voided
    )
    saved = totals.saved_minor
    notice = state.notice
    if screen == "out-of-service":
        notice = state.out_of_service_reason or notice
    return ViewModel(
        screen=screen,
        title=TITLES[screen],
        lines=lines,
        total=format_minor(totals.total_minor, currency, locale),
        total_minor=totals.total_minor,
        savings=f"You saved {format_minor(saved, currency, locale)}" if saved else "",
        notice=notice,
        buttons=_buttons(state, screen),
        problems=_problems(state),
        lamp=lamp_for(state),
        staff=state.key is KeyPosition.STAFF,
        help_strip=SIM_HELP if sim else (),
        store_name=state.rules.store_name,
    )


def _buttons(state: KioskState, screen: str) -> tuple[ButtonView, ...]:
    b = ButtonView
    if screen == "scanning":
        return (b(buttons.HELP, "Help"), b(buttons.PAY, "Pay", primary=True))
    if screen == "payment-declined":
        return (
            b(buttons.CANCEL_PAYMENT, "Back to basket"),
            b(buttons.RETRY_PAYMENT, "Try again", primary=True),
        )
    if screen == "thank-you":
        return (b(buttons.DONE, "Done", primary=True),)
    if screen in ("welcome", "item-unknown", "scanner-lost"):
        return (b(buttons.HELP, "Help"),)
    if screen == "staff":
        return _staff_buttons(state)
    return ()


def _staff_buttons(state: KioskState) -> tuple[ButtonView, ...]:
    b = ButtonView
    out = [b(buttons.STAFF_OPEN_DRAWER, "Open drawer")]
    if state.help_requested:
        out.append(b(buttons.STAFF_HELP_GIVEN, "Help given", primary=True))
    if state.checkout is Checkout.ITEM_UNKNOWN:
        out.append(b(buttons.STAFF_APPROVE, "Approve", primary=True))
    if state.checkout in (Checkout.SCANNING, Checkout.ITEM_UNKNOWN):
        out.append(b(buttons.STAFF_CANCEL_SALE, "Cancel sale"))
    if state.checkout is Checkout.OUT_OF_SERVICE:
        out.append(b(buttons.STAFF_BACK_IN_SERVICE, "Back in service", primary=True))
    elif state.checkout in (Checkout.WELCOME, Checkout.SCANNING, Checkout.THANK_YOU):
        out.append(b(buttons.STAFF_OUT_OF_SERVICE, "Out of service"))
    return tuple(out)


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
    if d.drawer_open:
        out.append("Drawer: open")
    if state.help_requested:
        out.append("Help requested")
    return tuple(out)
