"""What staff are typing or choosing before a staff action can be sent (pure; no pygame).

The core takes a staff action as one `Touched(button, arg)`. A menu button that needs
input (`ButtonView.needs_input`) starts a flow here instead, and the flow's last touch
makes the event:

    Void a line     pick the line                        staff.void-line "<line>"
    Change a price  pick the line, type the unit price,  staff.override-price
                    choose a reason                        "<line> <price_minor> <reason>"
    Card charged    type the terminal's reference        staff.payment-taken "<reference>"
                    (OK with nothing typed sends none)

Cancel always goes back to the staff menu. Leaving staff mode (the key turned back), the
core moving to another screen, the action leaving the menu (the sale was paid) or the
picked line going away (voided) all end the flow too: `follow()` checks each frame.
`present()` turns a flow into the view model of its screen, so the renderer draws it like
any other. Long lists are paged: the page number lives here too, for every list screen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from appliance.core import buttons
from appliance.core.events import Touched
from appliance.core.text import Text
from appliance.money import format_minor
from ui.i18n import N_, words
from ui.view import ButtonView, LineView, ViewModel


class Step(StrEnum):
    """Where a flow is; each value but MENU is the screen id the flow shows."""

    MENU = "menu"
    PICK_LINE = "staff-pick-line"
    PRICE = "staff-price"
    REASON = "staff-reason"
    REFERENCE = "staff-reference"


INPUT_SCREENS = (Step.PICK_LINE.value, Step.PRICE.value, Step.REASON.value, Step.REFERENCE.value)

# the UI's own buttons: the flow consumes them, they never reach the core
KEY = "ui.key"  # arg: the digit
BACKSPACE = "ui.backspace"
OK = "ui.ok"
CANCEL = "ui.cancel"
LINE = "ui.line"  # arg: the line number
REASON = "ui.reason"  # arg: the reason
PAGE_BACK = "ui.page-back"
PAGE_ON = "ui.page-on"

# the menu buttons that start a flow, and the step each starts with
FLOWS = {
    buttons.STAFF_VOID_LINE: Step.PICK_LINE,
    buttons.STAFF_OVERRIDE_PRICE: Step.PICK_LINE,
    buttons.STAFF_PAYMENT_TAKEN: Step.REFERENCE,
}
# the audit log keeps the reason; a fixed list spares staff a keyboard
# (the English reason is what the core and the audit log get; the button shows it translated)
REASONS = (N_("Shelf label price"), N_("Damaged"), N_("Manager's decision"), N_("Price match"))
MAX_PRICE_DIGITS = 7  # 99 999.99 in a two-decimal currency
MAX_REFERENCE_DIGITS = 16

TITLES = {
    (buttons.STAFF_VOID_LINE, Step.PICK_LINE): N_("Void: touch the line to remove"),
    (buttons.STAFF_OVERRIDE_PRICE, Step.PICK_LINE): N_("New price: touch the line"),
    (buttons.STAFF_OVERRIDE_PRICE, Step.PRICE): N_("New price: type the price of one"),
    (buttons.STAFF_OVERRIDE_PRICE, Step.REASON): N_("New price: why is it changing?"),
    (buttons.STAFF_PAYMENT_TAKEN, Step.REFERENCE): N_("Card was charged: the reference"),
}
REFERENCE_HELP = N_("Type the reference on the terminal's slip, or touch OK without one.")
NO_PRICE = N_("Type the new price first.")
NOT_LOWER = N_("A price can only go down: it is {price} now.")


@dataclass(frozen=True, slots=True)
class StaffInput:
    """action: the core button the flow ends in. line_no: the picked line. digits: typed.
    refused: why OK did nothing (English; shown translated). page: the shown page of a long
    list on `screen`."""

    step: Step = Step.MENU
    action: str = ""
    line_no: int = 0
    digits: str = ""
    refused: str = ""
    page: int = 0
    screen: str = ""


def follow(state: StaffInput, vm: ViewModel) -> StaffInput:
    """The input state that still makes sense for what the core shows now."""
    if not vm.staff or vm.screen != state.screen:
        return StaffInput(screen=vm.screen)
    if state.step is Step.MENU:
        return state
    offered = any(b.button_id == state.action for b in vm.buttons)
    if not offered or (state.line_no and _line(vm, state.line_no) is None):
        return StaffInput(screen=vm.screen)
    return state


def touch(
    state: StaffInput, vm: ViewModel, button: str, arg: str, *, at: float
) -> tuple[StaffInput, Touched | None]:
    """One touch: the next input state, and the event for the core if there is one."""
    menu = StaffInput(screen=state.screen)
    if button in (PAGE_BACK, PAGE_ON):
        return replace(state, page=max(0, state.page + (1 if button == PAGE_ON else -1))), None
    if state.step is Step.MENU:
        if button in FLOWS and not arg:
            return StaffInput(step=FLOWS[button], action=button, screen=state.screen), None
        if button.startswith("ui."):
            return state, None  # a touch left over from a flow's screen
        return state, Touched(at=at, button=button, arg=arg)
    if button == CANCEL:
        return menu, None
    if state.step is Step.PICK_LINE and button == LINE:
        if state.action == buttons.STAFF_VOID_LINE:
            return menu, Touched(at=at, button=state.action, arg=arg)
        return replace(state, step=Step.PRICE, line_no=int(arg), page=0), None
    if state.step in (Step.PRICE, Step.REFERENCE) and button in (KEY, BACKSPACE):
        return replace(state, digits=_typed(state, button, arg), refused=""), None
    if state.step is Step.PRICE and button == OK:
        return _price_entered(state, vm), None
    if state.step is Step.REASON and button == REASON:
        price = int(state.digits)
        return menu, Touched(at=at, button=state.action, arg=f"{state.line_no} {price} {arg}")
    if state.step is Step.REFERENCE and button == OK:
        return menu, Touched(at=at, button=state.action, arg=state.digits)
    return state, None  # a core button or a stale touch: a flow's screen shows neither


def _typed(state: StaffInput, button: str, digit: str) -> str:
    if button == BACKSPACE:
        return state.digits[:-1]
    if state.step is Step.PRICE:
        if len(state.digits) >= MAX_PRICE_DIGITS:
            return state.digits
        # a price has no leading zeros: "0" then "5" is 5, not "05"
        return (state.digits + digit).lstrip("0") or "0"
    if len(state.digits) >= MAX_REFERENCE_DIGITS:
        return state.digits
    return state.digits + digit


def _price_entered(state: StaffInput, vm: ViewModel) -> StaffInput:
    """OK on the keypad: on to the reason, unless the price is missing or not lower (the
    core would refuse a higher one; saying so here keeps staff on the keypad)."""
    line = _line(vm, state.line_no)
    if not state.digits:
        return replace(state, refused=NO_PRICE)
    if line is not None and int(state.digits) > line.unit_price_minor:
        return replace(state, refused=Text(NOT_LOWER, price=line.unit_price))
    return replace(state, step=Step.REASON, refused="")


def _line(vm: ViewModel, line_no: int) -> LineView | None:
    return next((line for line in vm.lines if line.line_no == line_no), None)


def present(state: StaffInput, vm: ViewModel) -> ViewModel:
    """The view model to draw: the core's own, or the flow's screen built from it."""
    if state.step is Step.MENU:
        return replace(vm, page=state.page)
    b = ButtonView
    tr = words(vm.language)
    cancel = b(CANCEL, tr(N_("Cancel")))
    title = (
        tr(TITLES[state.action, state.step]) if (state.action, state.step) in TITLES else vm.title
    )
    common = replace(vm, screen=state.step.value, title=title, page=state.page, notice="")
    if state.step is Step.PICK_LINE:
        lines = tuple(replace(line, name=f"{line.line_no}. {line.name}") for line in vm.lines)
        picks = (b(LINE, line.name, arg=str(line.line_no)) for line in lines)
        return replace(common, lines=lines, buttons=(*picks, cancel))
    picked = _line(vm, state.line_no)
    lines = () if picked is None else (replace(picked, name=f"{picked.line_no}. {picked.name}"),)
    if state.step is Step.REASON:
        reasons = (b(REASON, tr(reason), arg=reason) for reason in REASONS)
        price = int(state.digits or "0")
        return replace(
            common,
            lines=lines,
            total=_money(vm, price),
            total_minor=price,
            savings="",
            buttons=(*reasons, cancel),
        )
    keys = (
        *(b(KEY, d, arg=d) for d in "123456789"),
        b(BACKSPACE, "⌫"),
        b(KEY, "0", arg="0"),
        b(OK, tr(N_("OK")), primary=True),
        cancel,
    )
    if state.step is Step.PRICE:
        price = int(state.digits or "0")
        return replace(
            common,
            lines=lines,
            total=_money(vm, price),
            total_minor=price,
            savings="",
            notice=tr.text(state.refused),
            buttons=keys,
        )
    return replace(
        common,
        lines=(),
        total=state.digits,
        total_minor=0,
        savings="",
        notice=tr(REFERENCE_HELP),
        buttons=keys,
    )


def _money(vm: ViewModel, minor: int) -> str:
    if not vm.currency:
        return str(minor)
    return format_minor(minor, vm.currency, vm.locale or "en_GB")
