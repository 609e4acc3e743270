"""The shopper's lookup screen for items without a barcode (pure; no pygame, no SQL).

"Look up item" (welcome and scanning screens) opens a grid of picture tiles of the loose
items, best sellers first; from there "Search by name" opens a keyboard and "Type PLU code"
a keypad. What is typed and the page shown are the UI's own state, like ui.staff_input;
only the choice reaches the core, as `Touched(look-up, <gtin>)`, which sells the item
exactly as a scan of its code would (appliance/core/selling.py: chosen).

    lookup          tiles; touch one to add it     → look-up <gtin>, back to the basket
    lookup-search   keyboard A-Z; Show             → lookup-results (tiles of the matches)
    lookup-plu      keypad; Add                    → look-up <gtin> of that PLU
    Back            results → keyboard → tiles → the basket; keypad → tiles

The answers come from a `Finder` (appliance.shell.lookup.ProduceLookup over the store):
`items_for()` asks it for what a step shows, `touch()` for a typed PLU. The flow ends when
the core moves to another screen, stops offering "Look up item", or the basket changes
underneath (a scan while the tiles were shown): `follow()` checks each frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from appliance.core import buttons
from appliance.core.events import Touched
from appliance.core.text import Text
from appliance.money import format_minor
from appliance.shell.lookup import LooseItem
from ui.i18n import N_, Words, words
from ui.staff_input import BACKSPACE, KEY, OK, PAGE_BACK, PAGE_ON
from ui.view import ButtonView, ViewModel


class Step(StrEnum):
    """Where the flow is; each value but OFF is the screen id it shows."""

    OFF = "off"
    GRID = "lookup"
    SEARCH = "lookup-search"
    RESULTS = "lookup-results"
    PLU = "lookup-plu"


SCREENS = tuple(step.value for step in Step if step is not Step.OFF)

# the flow's own buttons: they never reach the core (KEY, BACKSPACE, OK, PAGE_* are
# ui.staff_input's, so the keypads share their ids)
SEARCH = "ui.lookup-search"
PLU = "ui.lookup-plu"
BACK = "ui.lookup-back"
LETTER = "ui.letter"  # arg: the letter, or " "

MAX_QUERY = 24
PLU_LENGTHS = (4, 5)
LETTERS = "abcdefghijklmnopqrstuvwxyz"

TITLES = {
    Step.GRID: N_("Look up an item: touch its picture"),
    Step.SEARCH: N_("Search: type the name"),
    Step.RESULTS: N_("Touch your item"),
    Step.PLU: N_("Type the PLU code from the sticker"),
}
BEST_FIRST = N_("Most bought first")
TYPE_LETTERS = N_("Type the first letters of the name")
FOUND = N_("{n} found")
FOUND_ONE = N_("1 found")
NOTHING = N_("Nothing found: try fewer letters")
NO_ITEMS = N_("No loose items in the catalog: please ask staff.")
PLU_LENGTH = N_("A PLU code has 4 or 5 digits.")
NO_PLU = N_("No item has PLU {plu}: check the number on the sticker.")
PER_KG = N_("{price}/kg")


class Finder(Protocol):
    """What the flow asks the shell (appliance.shell.lookup.ProduceLookup answers)."""

    def loose_items(self) -> Sequence[LooseItem]: ...

    def search(self, query: str) -> Sequence[LooseItem]: ...

    def by_plu(self, plu: str) -> LooseItem | None: ...


@dataclass(frozen=True, slots=True)
class LookupInput:
    """query: the letters typed; digits: the PLU typed; refused: why OK did nothing;
    page: the shown page of tiles; screen and lines: the core's screen and basket lines
    when the flow opened."""

    step: Step = Step.OFF
    query: str = ""
    digits: str = ""
    refused: str = ""  # English; shown translated
    page: int = 0
    screen: str = ""
    lines: int = 0


def handles(state: LookupInput, button: str, arg: str) -> bool:
    """Whether a touch is the flow's: every touch while it is open, and the button that
    opens it."""
    return state.step is not Step.OFF or (button == buttons.LOOK_UP and not arg)


def follow(state: LookupInput, vm: ViewModel) -> LookupInput:
    """The flow, or its end when what it was opened on has gone."""
    if state.step is Step.OFF:
        return state
    offered = any(b.button_id == buttons.LOOK_UP and b.needs_input for b in vm.buttons)
    if vm.screen != state.screen or not offered or len(vm.lines) != state.lines:
        return LookupInput()
    return state


def touch(
    state: LookupInput, vm: ViewModel, button: str, arg: str, *, at: float, finder: Finder
) -> tuple[LookupInput, Touched | None]:
    """One touch: the next flow state, and the event for the core if an item was chosen."""
    if state.step is Step.OFF:
        if button == buttons.LOOK_UP and not arg:
            return LookupInput(Step.GRID, screen=vm.screen, lines=len(vm.lines)), None
        return state, None
    if button in (PAGE_BACK, PAGE_ON):
        return replace(state, page=max(0, state.page + (1 if button == PAGE_ON else -1))), None
    if button == buttons.LOOK_UP and arg:
        return LookupInput(), Touched(at=at, button=buttons.LOOK_UP, arg=arg)
    if button == BACK:
        return _back(state), None
    if button == SEARCH:
        return replace(state, step=Step.SEARCH, refused="", page=0), None
    if button == PLU:
        return replace(state, step=Step.PLU, digits="", refused="", page=0), None
    if state.step is Step.SEARCH:
        return _typed_letter(state, button, arg, finder), None
    if state.step is Step.PLU:
        return _typed_digit(state, button, arg, at, finder)
    return state, None  # a stale touch: this step shows no such button


def _back(state: LookupInput) -> LookupInput:
    back = {Step.RESULTS: Step.SEARCH, Step.SEARCH: Step.GRID, Step.PLU: Step.GRID}
    if state.step not in back:
        return LookupInput()
    return replace(state, step=back[state.step], refused="", page=0)


def _typed_letter(state: LookupInput, button: str, arg: str, finder: Finder) -> LookupInput:
    if button == LETTER and len(arg) == 1 and (arg in LETTERS or arg == " "):
        if len(state.query) >= MAX_QUERY or (arg == " " and not state.query.strip()):
            return state
        return replace(state, query=state.query + arg, refused="")
    if button == BACKSPACE:
        return replace(state, query=state.query[:-1], refused="")
    if button == OK:
        if not state.query.strip():
            return replace(state, refused=TYPE_LETTERS)
        if not finder.search(state.query):
            return replace(state, refused=NOTHING)
        return replace(state, step=Step.RESULTS, refused="", page=0)
    return state


def _typed_digit(
    state: LookupInput, button: str, arg: str, at: float, finder: Finder
) -> tuple[LookupInput, Touched | None]:
    if button == KEY and arg.isdigit() and len(arg) == 1:
        if len(state.digits) >= max(PLU_LENGTHS):
            return state, None
        return replace(state, digits=state.digits + arg, refused=""), None
    if button == BACKSPACE:
        return replace(state, digits=state.digits[:-1], refused=""), None
    if button == OK:
        if len(state.digits) not in PLU_LENGTHS:
            return replace(state, refused=PLU_LENGTH), None
        item = finder.by_plu(state.digits)
        if item is None:
            return replace(state, refused=Text(NO_PLU, plu=state.digits)), None
        return LookupInput(), Touched(at=at, button=buttons.LOOK_UP, arg=item.gtin)
    return state, None


def items_for(state: LookupInput, finder: Finder) -> Sequence[LooseItem]:
    """What the step shows (or counts): every loose item, or the query's matches."""
    if state.step is Step.GRID:
        return finder.loose_items()
    if state.step in (Step.SEARCH, Step.RESULTS):
        return finder.search(state.query)
    return ()


def present(state: LookupInput, vm: ViewModel, items: Sequence[LooseItem]) -> ViewModel:
    """The view model of the flow's screen, built from the core's and the finder's
    answer; the core's own when the flow is not open."""
    if state.step is Step.OFF:
        return vm
    b = ButtonView
    tr = words(vm.language)
    common = replace(
        vm,
        screen=state.step.value,
        title=tr(TITLES[state.step]),
        lines=(),
        savings="",
        pending=(),
        notice=tr.text(state.refused),
        page=state.page,
    )
    back = b(BACK, tr(N_("Back")))
    if state.step is Step.PLU:
        keys = (
            *(b(KEY, d, arg=d) for d in "123456789"),
            b(BACKSPACE, "⌫"),
            b(KEY, "0", arg="0"),
            b(OK, tr(N_("Add")), primary=True),
        )
        return replace(common, total=state.digits, hint="", buttons=(*keys, back))
    shown = state.query.upper()
    if state.step is Step.SEARCH:
        letters = (b(LETTER, letter.upper(), arg=letter) for letter in LETTERS)
        count = len(items)
        hint = "" if not state.query.strip() else _found(tr, count)
        show_label = tr.format(N_("Show {n}"), n=count) if count else tr(N_("Show"))
        show = b(OK, show_label, primary=True)
        actions = (back, b(LETTER, tr(N_("Space")), arg=" "), b(BACKSPACE, "⌫"), show)
        return replace(
            common, total=shown, hint=hint or tr(TYPE_LETTERS), buttons=(*letters, *actions)
        )
    tiles = tuple(_tile(item, vm) for item in items)
    if state.step is Step.RESULTS:
        return replace(common, total=shown, hint=_found(tr, len(items)), buttons=(*tiles, back))
    ways = (back, b(SEARCH, tr(N_("Search by name"))), b(PLU, tr(N_("Type PLU code"))))
    notice = common.notice or ("" if items else tr(NO_ITEMS))
    return replace(common, total="", hint=tr(BEST_FIRST), notice=notice, buttons=(*tiles, *ways))


def _found(tr: Words, count: int) -> str:
    return tr(FOUND_ONE) if count == 1 else tr.format(FOUND, n=count)


def _tile(item: LooseItem, vm: ViewModel) -> ButtonView:
    locale = vm.locale or "en_GB"
    price = format_minor(item.price_minor, vm.currency, locale) if vm.currency else ""
    detail = words(vm.language).format(PER_KG, price=price) if item.weighed and price else price
    return ButtonView(
        buttons.LOOK_UP, item.name, arg=item.gtin, detail=detail, picture=item.picture
    )


def is_tile(view: ButtonView) -> bool:
    return view.button_id == buttons.LOOK_UP and bool(view.arg)
