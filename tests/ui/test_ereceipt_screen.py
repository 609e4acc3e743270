"""The receipt choice and the e-receipt screen: the QR code on screen is the sale's link.

The code is read back from the drawn pixels, module by module, and compared with the
matrix the qrcode package makes for the expected link on its own: the screen shows that
link's code, whatever the window size or theme.
"""

from __future__ import annotations

from dataclasses import replace

import pygame
import pytest
import qrcode
from qrcode.constants import ERROR_CORRECT_M

from appliance.core import buttons
from ui import qr
from ui.render import Renderer
from ui.shots import ERECEIPT_URL, SALE_ID, sample_view_models
from ui.view import ViewModel

SIZES = [(800, 480), (1280, 800), (1080, 1920)]
LINK = f"{ERECEIPT_URL}/{SALE_ID}"


def qrcode_matrix(data: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def draw(vm: ViewModel, size: tuple[int, int], high_contrast: bool = False) -> Renderer:
    renderer = Renderer(pygame.Surface(size), high_contrast=high_contrast)
    renderer.draw(vm)
    return renderer


@pytest.mark.parametrize("high_contrast", [False, True], ids=["calm", "high-contrast"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("sample", ["ereceipt", "ereceipt-paper-out"])
def test_the_code_on_screen_reads_back_as_the_sales_link(
    sample: str, size: tuple[int, int], high_contrast: bool
) -> None:
    vm = sample_view_models()[sample]
    assert vm.qr == LINK
    renderer = draw(vm, size, high_contrast)
    drawn = renderer.drawn_qr
    assert drawn is not None and drawn.data == LINK
    assert [list(row) for row in qr.read(renderer.surface, drawn)] == qrcode_matrix(LINK)
    # a quiet zone of 4 light modules all round, and modules a phone can resolve
    assert drawn.rect.width == (drawn.modules + 2 * qr.QUIET) * drawn.module_px
    assert drawn.module_px >= 5
    for x in (drawn.rect.left, drawn.rect.right - 1):
        for y in range(drawn.rect.top, drawn.rect.bottom, drawn.module_px):
            assert tuple(renderer.surface.get_at((x, y)))[:3] == qr.LIGHT
    # the link as text too, whole (without the scheme), over one or more lines
    texts = [t.text for t in renderer.texts if t.pair == "muted-on-background"]
    assert "".join(texts) == LINK.removeprefix("https://")
    # the code is in the upper part of the screen, clear of the Done button
    (done,) = renderer.hit_boxes
    assert done.button_id == buttons.DONE and not done.rect.colliderect(drawn.rect)


def test_a_different_sale_draws_a_different_code() -> None:
    vm = sample_view_models()["ereceipt"]
    other = replace(vm, qr=f"{ERECEIPT_URL}/another-sale")
    renderer = draw(other, (800, 480))
    assert renderer.drawn_qr is not None
    read = [list(row) for row in qr.read(renderer.surface, renderer.drawn_qr)]
    assert read == qrcode_matrix(other.qr) and read != qrcode_matrix(LINK)


def test_no_code_is_drawn_on_other_screens() -> None:
    for name in ("receipt-choice", "thank-you", "welcome"):
        assert draw(sample_view_models()[name], (800, 480)).drawn_qr is None


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_choice_offers_three_big_buttons_with_print_first_in_line(
    size: tuple[int, int],
) -> None:
    """Print is the primary (bottom right) button: it is what happens with no choice."""
    renderer = draw(sample_view_models()["receipt-choice"], size)
    boxes = {box.button_id: box.rect for box in renderer.hit_boxes}
    assert set(boxes) == {buttons.PRINT_RECEIPT, buttons.ERECEIPT, buttons.NO_RECEIPT}
    printed = boxes[buttons.PRINT_RECEIPT]
    assert all(printed.bottom >= r.bottom and printed.right >= r.right for r in boxes.values())
    assert all(r.height >= renderer.theme.touch_px for r in boxes.values())


def test_long_links_break_at_slashes_and_dashes_within_the_width() -> None:
    pygame.font.init()
    font = pygame.font.Font(None, 24)
    link = qr.shown_link(LINK)
    lines = qr.url_lines(font, link, 200)
    assert "".join(lines) == link and len(lines) > 1
    assert all(font.size(line)[0] <= 200 for line in lines)
    assert all(line[-1] in "/-." for line in lines[:-1])
