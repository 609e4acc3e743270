"""The "Still there?" prompt on screen, and what staff are offered for an abandoned basket.
(test_render.py draws it with every other sample; these are its own promises.)"""

from __future__ import annotations

from dataclasses import replace

import pygame
import pytest

from appliance.core import buttons
from appliance.core.interventions import Intervention, Need
from appliance.core.signals import Colour
from ui.render import Renderer
from ui.shots import sample_states, sample_view_models
from ui.view import view_model
from ui.widgets import ELLIPSIS

SIZES = [(800, 480), (1280, 800), (1080, 1920)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_prompt_reads_whole_with_a_big_answer_button(size: tuple[int, int]) -> None:
    """GIVEN the prompt on a 12-line basket WHEN drawn THEN the question and the notice are
    whole, nothing spills or is cut, and "I'm still here" is the primary button, bottom
    right, at least a finger wide and tall."""
    vm = sample_view_models()["still-there"]
    surface = pygame.Surface(size)
    renderer = Renderer(surface)
    boxes = renderer.draw(vm)
    screen = surface.get_rect()
    for text in renderer.texts:
        assert text.box.contains(text.rect) and screen.contains(text.rect), text
        assert not text.text.endswith(ELLIPSIS), text
    joined = " ".join(t.text for t in renderer.texts)
    assert " ".join(joined.split()).count("Are you still there?") == 1
    assert all(word in joined for word in vm.notice.split())
    (answer,) = [box for box in boxes if box.button_id == buttons.STILL_HERE]
    theme = renderer.theme
    assert answer.rect.height >= theme.touch_px and answer.rect.width >= 3 * theme.touch_px
    assert answer.rect.right >= max(box.rect.right for box in boxes)
    assert answer.rect.bottom >= max(box.rect.bottom for box in boxes)
    label = " ".join(t.text for t in renderer.texts if answer.rect.contains(t.rect))
    assert label == "I'm still here"


def test_the_basket_is_kept_behind_the_prompt() -> None:
    state = sample_states()["still-there"]
    vm = view_model(state)
    assert vm.screen == "still-there" and vm.title == "Are you still there?"
    assert len(vm.lines) == 12 and vm.total_minor == view_model(replace(state)).total_minor
    assert f"({state.basket.item_count} items)" in vm.notice
    assert [(b.button_id, b.primary) for b in vm.buttons] == [
        (buttons.HELP, False),
        (buttons.STILL_HERE, True),
    ]
    assert vm.lamp.colour is Colour.GREEN, "a question to the customer, not yet a call"


def test_staff_find_an_abandoned_basket_on_amber_with_resume_and_cancel() -> None:
    selling = sample_states()["scanning"]
    abandoned = replace(
        selling,
        checkout=selling.checkout.BLOCKED,
        blocking=Intervention(Need.ABANDONED_BASKET, "13 items, no answer for 120 s"),
        notice="Are you still there? A member of staff is coming to help.",
    )
    shopper = view_model(abandoned)
    assert shopper.screen == "assist" and shopper.lamp.colour is Colour.AMBER
    staff = view_model(replace(abandoned, key=abandoned.key.STAFF, staff_id="0042"))
    offered = {b.button_id: b.label for b in staff.buttons}
    assert offered[buttons.STAFF_APPROVE] == "Resume sale"
    assert buttons.STAFF_CANCEL_SALE in offered and buttons.STAFF_SUSPEND in offered
