"""The shopper's lookup flow (pure): what each touch does, and what reaches the core.

A fake finder stands in for the store (appliance.shell.lookup is tested against SQLite in
tests/shell/test_lookup.py); the view models come from real kiosk states.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pygame
import pytest

from appliance.core import buttons
from appliance.core.events import Touched
from appliance.shell.lookup import LooseItem
from ui import lookup_input
from ui.lookup_input import BACK, LETTER, PLU, SEARCH, LookupInput, Step
from ui.render import Renderer
from ui.shots import sample_view_models
from ui.staff_input import BACKSPACE, KEY, OK, PAGE_BACK, PAGE_ON
from ui.view import ViewModel

LEMONS = LooseItem("02000011000004", "Lemons, each", 99, False, "4053")
BANANAS = LooseItem("02100001000004", "Bananas", 699, True, "4011")
APPLES = LooseItem("02100002000003", "Apples", 499, True, "4131")


class FakeFinder:
    def __init__(self, *items: LooseItem) -> None:
        self.items = items
        self.asked: list[str] = []

    def loose_items(self) -> Sequence[LooseItem]:
        return self.items

    def search(self, query: str) -> Sequence[LooseItem]:
        self.asked.append(query)
        return [i for i in self.items if query.strip() and query.strip() in i.name.lower()]

    def by_plu(self, plu: str) -> LooseItem | None:
        return next((i for i in self.items if i.plu == plu), None)


FINDER = FakeFinder(LEMONS, BANANAS, APPLES)


@pytest.fixture
def scanning() -> ViewModel:
    return sample_view_models()["scanning"]


def press(
    state: LookupInput, vm: ViewModel, *touches: tuple[str, str]
) -> tuple[LookupInput, list[Touched]]:
    sent = []
    for button, arg in touches:
        state = lookup_input.follow(state, vm)
        state, event = lookup_input.touch(state, vm, button, arg, at=5.0, finder=FINDER)
        if event is not None:
            sent.append(event)
    return state, sent


def opened(vm: ViewModel) -> LookupInput:
    state, sent = press(LookupInput(), vm, (buttons.LOOK_UP, ""))
    assert state.step is Step.GRID and not sent
    return state


def test_look_up_item_is_offered_on_welcome_and_scanning_and_opens_the_tiles(
    scanning: ViewModel,
) -> None:
    welcome = sample_view_models()["welcome"]
    for vm in (welcome, scanning):
        offered = [b for b in vm.buttons if b.button_id == buttons.LOOK_UP]
        assert len(offered) == 1 and offered[0].needs_input and not offered[0].arg
    state = opened(scanning)
    shown = lookup_input.present(state, scanning, FINDER.loose_items())
    assert shown.screen == "lookup"
    tiles = [b for b in shown.buttons if lookup_input.is_tile(b)]
    assert [(t.label, t.arg, t.detail) for t in tiles] == [
        ("Lemons, each", LEMONS.gtin, "0,99\u00a0zł"),
        ("Bananas", BANANAS.gtin, "6,99\u00a0zł/kg"),
        ("Apples", APPLES.gtin, "4,99\u00a0zł/kg"),
    ]


def test_touching_a_tile_sends_its_gtin_to_the_core_and_closes_the_screen(
    scanning: ViewModel,
) -> None:
    state, sent = press(opened(scanning), scanning, (buttons.LOOK_UP, LEMONS.gtin))
    assert sent == [Touched(at=5.0, button=buttons.LOOK_UP, arg=LEMONS.gtin)]
    assert state.step is Step.OFF


def test_a_plu_typed_on_the_keypad_adds_its_item(scanning: ViewModel) -> None:
    """GIVEN the keypad WHEN 4, 0, 1, 2, ⌫, 1 and Add are touched THEN PLU 4011 is looked
    up and the bananas' GTIN goes to the core (which refuses a weighed item itself)."""
    keys = [(KEY, d) for d in "4012"] + [(BACKSPACE, ""), (KEY, "1"), (OK, "")]
    state, sent = press(opened(scanning), scanning, (PLU, ""), *keys)
    assert [e.arg for e in sent] == [BANANAS.gtin] and state.step is Step.OFF


@pytest.mark.parametrize(
    ("digits", "refused"),
    [("401", lookup_input.PLU_LENGTH), ("4012", lookup_input.NO_PLU.format(plu="4012"))],
)
def test_a_wrong_plu_is_refused_on_the_keypad_and_nothing_is_sent(
    scanning: ViewModel, digits: str, refused: str
) -> None:
    keys = [(KEY, d) for d in digits]
    state, sent = press(opened(scanning), scanning, (PLU, ""), *keys, (OK, ""))
    assert not sent and state.step is Step.PLU and state.refused == refused
    shown = lookup_input.present(state, scanning, ())
    assert shown.screen == "lookup-plu" and shown.notice == refused and shown.total == digits
    # typing again clears the refusal; more than five digits are not taken
    state, _ = press(state, scanning, *[(KEY, "9")] * 4)
    assert state.refused == "" and len(state.digits) == 5


def test_the_keyboard_types_searches_and_shows_the_matches(scanning: ViewModel) -> None:
    """GIVEN the keyboard WHEN b, a, n, x, ⌫ and Show are touched THEN the results screen
    shows the bananas; Back returns to the keyboard with the letters kept, then to the tiles,
    then to the basket."""
    keys = [(LETTER, c) for c in "banx"] + [(BACKSPACE, ""), (OK, "")]
    state, sent = press(opened(scanning), scanning, (SEARCH, ""), *keys)
    assert not sent and state.step is Step.RESULTS and state.query == "ban"
    shown = lookup_input.present(state, scanning, lookup_input.items_for(state, FINDER))
    assert shown.screen == "lookup-results" and shown.total == "BAN"
    assert [b.label for b in shown.buttons if lookup_input.is_tile(b)] == ["Bananas"]
    state, _ = press(state, scanning, (BACK, ""))
    assert state.step is Step.SEARCH and state.query == "ban"
    state, _ = press(state, scanning, (BACK, ""))
    assert state.step is Step.GRID
    state, _ = press(state, scanning, (BACK, ""))
    assert state.step is Step.OFF


def test_the_keyboard_offers_every_letter_and_counts_matches_as_you_type(
    scanning: ViewModel,
) -> None:
    state, _ = press(opened(scanning), scanning, (SEARCH, ""), (LETTER, "a"))
    shown = lookup_input.present(state, scanning, lookup_input.items_for(state, FINDER))
    letters = [b.arg for b in shown.buttons if b.button_id == LETTER and b.arg != " "]
    assert "".join(letters) == "abcdefghijklmnopqrstuvwxyz"
    assert shown.hint == "3 found"
    assert [b.label for b in shown.buttons if b.button_id == OK] == ["Show 3"]


@pytest.mark.parametrize("typed", ["", "   ", "qq"])
def test_show_with_nothing_to_show_stays_on_the_keyboard_and_says_why(
    scanning: ViewModel, typed: str
) -> None:
    keys = [(LETTER, c) for c in typed]
    state, _ = press(opened(scanning), scanning, (SEARCH, ""), *keys, (OK, ""))
    assert state.step is Step.SEARCH and state.refused
    assert state.query == typed.lstrip()  # a leading space is not typed


def test_the_flow_ends_when_the_core_moves_on(scanning: ViewModel) -> None:
    """A scan while the tiles show (the basket changed), the staff key, or a block: the
    lookup screen gives way to what the core shows."""
    state = opened(scanning)
    assert lookup_input.follow(state, scanning) == state
    one_more = replace(scanning, lines=(*scanning.lines, scanning.lines[0]))
    assert lookup_input.follow(state, one_more).step is Step.OFF
    staff = sample_view_models()["staff"]
    assert lookup_input.follow(state, staff).step is Step.OFF
    blocked = replace(scanning, screen="item-unknown")
    assert lookup_input.follow(state, blocked).step is Step.OFF


def test_paging_moves_and_never_goes_below_the_first_page(scanning: ViewModel) -> None:
    state, _ = press(opened(scanning), scanning, (PAGE_ON, ""), (PAGE_ON, ""), (PAGE_BACK, ""))
    assert state.page == 1
    state, _ = press(state, scanning, (PAGE_BACK, ""), (PAGE_BACK, ""))
    assert state.page == 0


def test_only_the_opening_touch_is_the_flows_while_it_is_closed() -> None:
    closed = LookupInput()
    assert lookup_input.handles(closed, buttons.LOOK_UP, "")
    assert not lookup_input.handles(closed, buttons.PAY, "")
    assert not lookup_input.handles(closed, buttons.LOOK_UP, LEMONS.gtin)
    assert lookup_input.handles(LookupInput(Step.GRID), buttons.PAY, "")


@pytest.mark.parametrize("size", [(800, 480), (1280, 800), (1080, 1920)], ids=str)
def test_every_tile_is_reachable_exactly_once_by_paging(size: tuple[int, int]) -> None:
    """GIVEN the demo's fifteen loose items WHEN the shopper pages with Next THEN each tile
    is drawn once, carrying its GTIN, with its name and price inside it."""
    vm = sample_view_models()["lookup"]
    wanted = {b.arg: b for b in vm.buttons if lookup_input.is_tile(b)}
    seen: list[str] = []
    page = 0
    while True:
        renderer = Renderer(pygame.Surface(size))
        boxes = renderer.draw(replace(vm, page=page))
        for box in boxes:
            if box.button_id != buttons.LOOK_UP:
                continue
            seen.append(box.arg)
            inside = " ".join(t.text for t in renderer.texts if box.rect.contains(t.rect))
            assert wanted[box.arg].detail in inside
            assert wanted[box.arg].label.split()[0].rstrip(",") in inside
        if not any(b.button_id == PAGE_ON for b in boxes):
            break
        page += 1
        assert page < 10
    assert sorted(seen) == sorted(wanted)
