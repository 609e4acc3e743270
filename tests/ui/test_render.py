"""Every screen draws in every language at every supported size without cut-off,
overlapping or tiny targets.

The view models come from real kiosk states (ui.shots.sample_states): a 12-line basket
whose newest line is a long Polish product name, priced in złoty. Every sample is drawn:
one per screen, the busy variants, and the staff input flows' own screens, in English,
Polish and German (the real catalogues, ui/locale). Every screen × language at 800×480 is
in the everyday suite; the other sizes and the simulator's strip in Polish and German are
`slow` (make test-slow).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from itertools import combinations
from pathlib import Path

import pygame
import pytest

from appliance.core import buttons
from ui import staff_input
from ui.i18n import LANGUAGES
from ui.render import BASKET_SCREENS, Renderer, hit_test, layout_for, strip_problems
from ui.render_rows import ROW_BUTTONS
from ui.shots import (
    LONG_NAME,
    SAMPLES,
    render_png,
    sample_states,
    sample_view_models,
    variant_states,
)
from ui.staff_input import INPUT_SCREENS
from ui.theme import CALM, HIGH_CONTRAST, Palette, Theme, contrast_ratio
from ui.view import SCREENS, ViewModel, screen_for, view_model
from ui.widgets import ELLIPSIS, Fonts, ellipsize, wrap

# the 7" display, a 10" tablet-sized panel, portrait, and the largest landscape (issue 6)
SIZES = [(800, 480), (1280, 800), (1080, 1920), (1920, 1080)]
STRIP_PAIR = "strip"  # the simulator's key help: small on purpose, never shown to shoppers
PAGING = frozenset({staff_input.PAGE_BACK, staff_input.PAGE_ON})
# one-line lists that may end in "…" (each item is whole in the staff status list):
# the shoppers' problem strip, the pending checks' note, the simulator's key help
LISTS = frozenset({"problem", "pending", STRIP_PAIR})


def draw(vm: ViewModel, size: tuple[int, int], *, high_contrast: bool = False) -> Renderer:
    surface = pygame.Surface(size)
    renderer = Renderer(surface, high_contrast=high_contrast)
    renderer.draw(vm)
    return renderer


def test_there_is_a_sample_state_for_every_screen() -> None:
    """GIVEN the sample states WHEN each is shown THEN it is the screen it is named after."""
    states = sample_states()
    assert set(states) == set(SCREENS)
    for name, state in states.items():
        assert screen_for(state) == name
    assert len(states["scanning"].basket.lines) == 12
    for name, state in variant_states().items():
        assert screen_for(state) == name.split("-")[0]
    assert set(INPUT_SCREENS) <= set(SAMPLES)
    assert set(sample_view_models()) == set(SAMPLES)


@cache
def samples(sim: bool = False, language: str = "en") -> dict[str, ViewModel]:
    """ui.shots.sample_view_models, made once per (sim, language) for the whole matrix."""
    return sample_view_models(sim=sim, language=language)


def _matrix() -> Iterator[object]:
    """(language, size, sim): English everywhere as before; Polish and German at 800×480
    on the kiosk in the everyday suite, the rest marked slow."""
    for language in LANGUAGES:
        for size in SIZES:
            for sim in (False, True):
                slow = language != "en" and (size != SIZES[0] or sim)
                name = f"{language}-{size[0]}x{size[1]}-{'sim' if sim else 'kiosk'}"
                marks = [pytest.mark.slow] if slow else []
                yield pytest.param(language, size, sim, marks=marks, id=name)


@pytest.mark.parametrize(("language", "size", "sim"), list(_matrix()))
@pytest.mark.parametrize("screen", SAMPLES)
def test_screen_draws_within_its_boxes(
    screen: str, language: str, size: tuple[int, int], sim: bool, tmp_path: Path
) -> None:
    """GIVEN a sample screen in a language WHEN drawn at a size THEN every button is whole,
    big enough, in the lower two thirds and apart; every text is inside its box, on screen,
    over no other text; nothing is cut with "…" but a product's name (its row has no
    room) or the problem strip's list; the title is shown whole."""
    vm = samples(sim, language)[screen]
    assert vm.language == language
    width, height = size
    path = tmp_path / f"{screen}-{width}x{height}.png"
    boxes = render_png(vm, size, path)
    assert path.stat().st_size > 0

    renderer = draw(vm, size)
    theme = renderer.theme
    # buttons: all there (line rows: the page's), big enough, in the lower two thirds,
    # apart, on screen
    offered = {(b.button_id, b.arg) for b in vm.buttons}
    drawn = [(b.button_id, b.arg) for b in boxes]
    assert len(drawn) == len(set(drawn))
    assert all(d in offered or d[0] in PAGING for d in drawn), drawn
    paged = {o for o in offered if o[0] in ROW_BUTTONS or (o[0] == buttons.LOOK_UP and o[1])}
    assert offered - paged <= set(drawn)
    screen_rect = pygame.Rect(0, 0, width, height)
    for box in boxes:
        assert box.rect.height >= theme.touch_px and box.rect.width >= theme.touch_px
        if size == (800, 480):
            assert box.rect.height >= 64, box
        assert box.rect.top >= height / 3, f"{box.button_id} is in the top third"
        assert screen_rect.contains(box.rect)
        assert hit_test(boxes, box.rect.center) == box.button_id
    for a, b in combinations(boxes, 2):
        assert not a.rect.colliderect(b.rect), (a, b)

    # text: every string inside its box and on screen, none over another
    texts = renderer.texts
    assert texts
    names = {line.name for line in vm.lines} | {b.label for b in vm.buttons if b.picture}
    names |= {b.label for b in vm.buttons if b.button_id in ROW_BUTTONS}
    for t in texts:
        assert t.box.contains(t.rect), t
        assert screen_rect.contains(t.rect), t
        if size == (800, 480) and t.pair != STRIP_PAIR:
            assert t.size_px >= 24, t
        if t.text.endswith(ELLIPSIS) and t.pair not in LISTS:
            # only data may be cut (a product's name, or its second line); words must fit
            assert any(t.text[:-1] in name for name in names), (language, t)
    for first, second in combinations(texts, 2):
        assert not first.rect.colliderect(second.rect), (first, second)
    # no button covers a text that is not its own label
    for t in texts:
        inside = [hit for hit in boxes if hit.rect.colliderect(t.rect)]
        assert all(hit.rect.contains(t.rect) for hit in inside), t

    shown = [t.text for t in texts]
    if screen in BASKET_SCREENS or (screen == "scanner-lost" and vm.lines):
        newest = vm.lines[-1]
        assert newest.amount in shown, "the newest line must be visible"
        assert any(_is_start_of(s, newest.name) for s in shown)
        assert vm.total in shown, "the total must stay visible"
    joined = " ".join(shown)
    assert all(word in joined for word in vm.title.split()), "the title must be shown in full"
    if vm.notice:
        assert vm.notice.split()[0] in joined, "the notice must be shown"
    problems = strip_problems(vm)
    if problems and layout_for(vm) in ("basket", "message"):
        assert any(problems[0].startswith(s.rstrip(ELLIPSIS)) for s in shown if s)


def _is_start_of(shown: str, full: str) -> bool:
    return shown == full or (shown.endswith(ELLIPSIS) and full.startswith(shown[:-1]))


def test_the_long_polish_name_is_cut_with_an_ellipsis_on_the_small_screen() -> None:
    vm = sample_view_models()["scanning"]
    texts = [t.text for t in draw(vm, (800, 480)).texts]
    cut = [s for s in texts if s.endswith(ELLIPSIS) and LONG_NAME.name.startswith(s[:-1])]
    assert cut, texts
    assert cut[0].startswith("Żubrówka Biała")


def test_a_long_basket_scrolls_to_its_newest_line_and_says_how_many_are_above() -> None:
    vm = sample_view_models()["scanning"]
    texts = [t.text for t in draw(vm, (800, 480)).texts]
    assert any("earlier item" in s for s in texts)
    assert vm.lines[-1].amount in texts


@pytest.mark.parametrize("screen", SAMPLES)
def test_high_contrast_draws_every_screen(screen: str, tmp_path: Path) -> None:
    vm = sample_view_models(sim=True)[screen]
    render_png(vm, (800, 480), tmp_path / f"{screen}-hc.png", high_contrast=True)
    renderer = draw(vm, (800, 480), high_contrast=True)
    assert all(t.box.contains(t.rect) for t in renderer.texts)


def test_a_scanned_item_changes_the_view_model_and_a_repeat_does_not() -> None:
    """The app redraws only when the view model changes: equal states give equal models."""
    state = sample_states()["scanning"]
    assert view_model(state) == view_model(state)
    assert view_model(state) != view_model(sample_states()["item-unknown"])


@pytest.mark.parametrize("palette", [CALM, HIGH_CONTRAST], ids=["calm", "high-contrast"])
def test_every_text_colour_meets_wcag_aa(palette: Palette) -> None:
    for name, (fg, bg) in palette.text_pairs().items():
        assert contrast_ratio(fg, bg) >= 4.5, name
    for name, (fg, bg) in palette.edge_pairs().items():
        assert contrast_ratio(fg, bg) >= 3.0, name


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((255, 255, 255), (255, 255, 255)) == pytest.approx(1.0)
    # #767676 on white is the well-known lightest grey that passes AA (4.54:1)
    assert contrast_ratio((0x76, 0x76, 0x76), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


def test_sizes_scale_from_the_7_inch_display() -> None:
    small = Theme.for_size(800, 480)
    assert small.body_px >= 24 and small.touch_px >= 64 and small.button_h >= 64
    big = Theme.for_size(1920, 1080)
    assert small.body_px < big.body_px < small.body_px * 1920 / 800
    tall = Theme.for_size(1080, 1920)
    assert tall.portrait and tall.body_px >= small.body_px


def test_bundled_font_has_polish_and_german_letters() -> None:
    """Every letter renders as itself, not as the font's 'missing glyph' box."""
    font = Fonts().get(24)
    missing = pygame.image.tobytes(font.render("\ue123", True, (0, 0, 0)), "RGBA")
    for letter in "ąćęłńóśźżĄĆĘŁŃÓŚŹŻäöüßÄÖÜ€×…↑":
        image = pygame.image.tobytes(font.render(letter, True, (0, 0, 0)), "RGBA")
        assert image != missing, letter


def test_text_helpers_never_return_wider_text_than_asked() -> None:
    font = Fonts().get(24)
    name = LONG_NAME.name
    for width in (0, 5, 40, 120, 300, 2000):
        cut = ellipsize(font, name, width)
        assert font.size(cut)[0] <= width or cut == ""
    lines = wrap(font, name, 200, 2)
    assert len(lines) == 2 and lines[-1].endswith(ELLIPSIS)
    assert all(font.size(line)[0] <= 200 for line in lines)
    assert wrap(font, "short", 200, 0) == []


def _pages(vm: ViewModel, size: tuple[int, int]) -> list[Renderer]:
    """Every page of a paged list, as staff would see them touching Next."""
    renderers = [draw(vm, size)]
    while any(b.button_id == staff_input.PAGE_ON for b in renderers[-1].hit_boxes):
        renderers.append(draw(replace(vm, page=len(renderers)), size))
        assert len(renderers) < 20
    return renderers


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", ["refund", "staff-pick-line"])
def test_each_line_row_carries_its_line_number(screen: str, size: tuple[int, int]) -> None:
    """GIVEN a sale's lines as touch rows WHEN staff page through them THEN every touchable
    line is a row exactly once, its hit box sends that line's number, and the row shows
    that line's number and name."""
    vm = sample_view_models()[screen]
    row_id = buttons.STAFF_REFUND_LINE if screen == "refund" else staff_input.LINE
    wanted = sorted(b.arg for b in vm.buttons if b.button_id == row_id)
    seen: list[str] = []
    for renderer in _pages(vm, size):
        for box in renderer.hit_boxes:
            if box.button_id != row_id:
                continue
            seen.append(box.arg)
            (line,) = [ln for ln in vm.lines if str(ln.line_no) == box.arg]
            inside = [t.text for t in renderer.texts if box.rect.contains(t.rect)]
            assert any(_is_start_of(text, line.name) for text in inside), (box.arg, inside)
            assert any(text.startswith(f"{box.arg}. ") for text in inside)
    assert sorted(seen) == wanted
    # the first page starts at line 1; the refund's total stays visible on every page
    first = _pages(vm, size)[0]
    rows = [b for b in first.hit_boxes if b.button_id == row_id]
    assert min(rows, key=lambda b: (b.rect.x, b.rect.y)).arg == "1"
    assert vm.total in [t.text for t in first.texts]


def test_a_refund_line_chosen_as_often_as_it_can_be_is_shown_but_not_touchable() -> None:
    vm = sample_view_models()["refund"]
    butter = vm.lines[1]
    assert butter.quantity == "1/1" and butter.marked
    renderer = draw(vm, (800, 480))
    assert "2" not in [b.arg for b in renderer.hit_boxes]
    assert butter.name in [t.text for t in renderer.texts]


@pytest.mark.parametrize("size", [*SIZES, (1920, 1080)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", ["staff", "staff-many", "staff-all-buttons", "scanning"])
def test_button_labels_are_never_cut(screen: str, size: tuple[int, int]) -> None:
    """GIVEN up to twelve staff buttons, or the shopper's four WHEN drawn THEN every label
    is shown whole (on two lines if it must), never with "…"."""
    vm = sample_view_models()[screen]
    renderer = draw(vm, size)
    for box in renderer.hit_boxes:
        label = " ".join(t.text for t in renderer.texts if box.rect.contains(t.rect))
        (view,) = [b for b in vm.buttons if b.button_id == box.button_id]
        assert label == view.label, (label, view.label)


def test_the_staff_menu_keeps_its_status_and_sale_with_twelve_buttons() -> None:
    vm = sample_view_models()["staff-all-buttons"]
    assert len(vm.buttons) == 12
    shown = [t.text for t in draw(vm, (800, 480)).texts]
    assert "Status" in shown and vm.problems[0] in shown
    assert vm.total in shown


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_hint_and_pending_checks_are_calm_notes_by_the_total(size: tuple[int, int]) -> None:
    """GIVEN a basket with a meal-deal hint and two checks pending WHEN drawn THEN the hint
    is in the savings colour and the checks in the amber note; neither is a problem, and
    the red strip leaves them out."""
    vm = sample_view_models()["scanning-hint"]
    assert vm.hint.startswith("Add a drink") and len(vm.pending) == 2
    texts = draw(vm, size).texts
    hint = [t for t in texts if t.text in vm.hint or vm.hint.startswith(t.text)]
    assert hint and {t.pair for t in hint} == {"savings"}
    pending = [t for t in texts if t.pair == "pending"]
    joined = " ".join(t.text for t in pending)
    assert "Age check: 18+" in joined and "Price check" in joined
    assert not any("Age check" in t.text for t in texts if t.pair == "problem")


def test_the_report_shows_every_line_whole_on_the_small_screen() -> None:
    vm = sample_view_models()["report"]
    shown = [t.text for t in draw(vm, (800, 480)).texts]
    for line in vm.lines:
        assert line.name in shown
        if line.amount:
            assert line.amount in shown
    assert "From 2026-11-22 21:58 UTC" in shown


@pytest.mark.parametrize("screen", INPUT_SCREENS)
def test_the_keypad_and_pickers_take_touches_where_they_are_drawn(screen: str) -> None:
    """Every key of the keypad is its own target carrying its digit."""
    vm = sample_view_models()[screen]
    boxes = draw(vm, (800, 480)).hit_boxes
    digits = sorted(b.arg for b in boxes if b.button_id == staff_input.KEY)
    if screen in ("staff-price", "staff-reference"):
        assert digits == list("0123456789")
        assert {staff_input.OK, staff_input.BACKSPACE, staff_input.CANCEL} <= {
            b.button_id for b in boxes
        }
    assert any(b.button_id == staff_input.CANCEL for b in boxes)
