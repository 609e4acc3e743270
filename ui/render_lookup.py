"""The lookup screens (ui.lookup_input): picture tiles, the A-Z keyboard, the PLU keypad.

Functions of a Canvas, called by ui.render.Renderer; each places its own buttons. Every
touch target sits in the lower two thirds of the screen; above them a panel shows what was
typed and a calm caption (or why OK did nothing). Tiles longer than a page are paged with
Previous and Next (the page is the UI's state: `ViewModel.page`). A tile without a picture
file shows its initial on a tinted square.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import pygame

from ui import lookup_input
from ui.i18n import N_
from ui.lookup_input import is_tile
from ui.panels import notice, panel, place_rows
from ui.staff_input import BACKSPACE, KEY, OK, PAGE_BACK, PAGE_ON
from ui.view import ButtonView, ViewModel
from ui.widgets import Canvas, HitBox

# the renderer's own words, translated as they are drawn (Canvas.tr)
PREVIOUS = N_("◀ Previous")
NEXT = N_("Next ▶")
PAGE = N_("{first}–{last} of {n}")
PLU_LABEL = N_("PLU code")

Draw = Callable[[Canvas, ViewModel, pygame.Rect], list[HitBox]]

# pictures by (file, width, height), scaled once: a frame is drawn many times
_PICTURES: dict[tuple[str, int, int], pygame.Surface | None] = {}


def layout_for(screen: str) -> str | None:
    return {
        lookup_input.Step.GRID.value: "tiles",
        lookup_input.Step.RESULTS.value: "tiles",
        lookup_input.Step.SEARCH.value: "keyboard",
        lookup_input.Step.PLU.value: "plu",
    }.get(screen)


def _first_y(c: Canvas, content: pygame.Rect) -> int:
    """Where touch targets may start: below the top third and a one-line caption panel."""
    t = c.theme
    caption = _caption_height(c)
    return max(content.y + caption + t.gap, math.ceil(t.height / 3))


def _caption_height(c: Canvas) -> int:
    t = c.theme
    return 2 * t.pad + c.fonts.get(t.total_px, True).get_height()


def _caption(c: Canvas, vm: ViewModel, rect: pygame.Rect) -> None:
    """What was typed (large, left) and the caption or the refusal (right); stacked when
    the panel has the height for it."""
    t = c.theme
    if rect.height < c.fonts.get(t.body_px).get_height() + 2 * t.pad:
        return
    typed_w = c.fonts.get(t.total_px, True).size(vm.total)[0] if vm.total else 0
    typed_w = min(typed_w, (rect.width - 2 * t.pad) // 2)
    if vm.notice:
        # why OK did nothing, beside what was typed (which stays in view)
        right = rect.copy()
        if typed_w:
            typed = pygame.Rect(rect.x, rect.y, typed_w + 2 * t.pad, rect.height)
            panel(c, typed)
            box = typed.inflate(-2 * t.pad, -2 * t.pad)
            c.fit_text(vm.total, box, px=t.total_px, min_px=t.body_px, bold=True)
            right.x, right.width = typed.right + t.gap, rect.right - typed.right - t.gap
        notice(c, vm.notice, right, kind="problem")
        return
    panel(c, rect)
    inner = rect.inflate(-2 * t.pad, -2 * t.pad)
    if typed_w:
        box = pygame.Rect(inner.x, inner.y, typed_w, inner.height)
        c.fit_text(vm.total, box, px=t.total_px, min_px=t.body_px, bold=True)
    if vm.hint:
        left = inner.x + typed_w + (2 * t.gap if typed_w else 0)
        box = pygame.Rect(left, inner.y, inner.right - left, inner.height)
        c.text(vm.hint, box, px=t.body_px, pair="muted", align="right" if typed_w else "left")


def _one_row(
    c: Canvas, views: list[ButtonView], bar: pygame.Rect, disabled: frozenset[str]
) -> list[HitBox]:
    return place_rows(c, [views], bar, disabled=disabled) if views else []


# -- tiles ---------------------------------------------------------------------------------


def tiles(c: Canvas, vm: ViewModel, content: pygame.Rect) -> list[HitBox]:
    t = c.theme
    picks = [b for b in vm.buttons if is_tile(b)]
    actions = [b for b in vm.buttons if not is_tile(b)]
    first_y = _first_y(c, content)
    bar = pygame.Rect(content.x, content.bottom - t.button_h, content.width, t.button_h)
    room = pygame.Rect(content.x, first_y, content.width, bar.top - t.gap - first_y)
    min_w, min_h = round(t.touch_px * 2.2), round(t.touch_px * 2.2)
    columns = max(1, (room.width + t.gap) // (min_w + t.gap))
    rows = max(1, (room.height + t.gap) // (min_h + t.gap))
    count = columns * rows
    pages = max(1, math.ceil(len(picks) / count))
    page = min(max(vm.page, 0), pages - 1)
    disabled: frozenset[str] = frozenset()
    if pages > 1:
        back = [b for b in actions if not b.primary]
        paging = [ButtonView(PAGE_BACK, c.tr(PREVIOUS)), ButtonView(PAGE_ON, c.tr(NEXT))]
        actions = [*back, *paging, *[b for b in actions if b.primary]]
        disabled = frozenset([PAGE_BACK] * (page == 0) + [PAGE_ON] * (page == pages - 1))
    boxes = _one_row(c, actions, bar, disabled)
    shown = picks[page * count : (page + 1) * count]
    tile_w = (room.width - (columns - 1) * t.gap) // columns
    tile_h = (room.height - (rows - 1) * t.gap) // rows
    for i, view in enumerate(shown):
        row, col = divmod(i, columns)
        rect = pygame.Rect(
            room.x + col * (tile_w + t.gap), room.y + row * (tile_h + t.gap), tile_w, tile_h
        )
        boxes.append(_tile(c, view, rect))
    caption = pygame.Rect(content.x, content.y, content.width, first_y - t.gap - content.y)
    caption.height = min(caption.height, _caption_height(c))
    caption.bottom = first_y - t.gap
    if pages > 1 and not vm.notice:
        where = c.tr.format(
            PAGE, first=page * count + 1, last=page * count + len(shown), n=len(picks)
        )
        vm = replace(vm, hint=f"{vm.hint} · {where}" if vm.hint else where)
    _caption(c, vm, caption)
    return boxes


def _tile(c: Canvas, view: ButtonView, rect: pygame.Rect) -> HitBox:
    """A picture, the name (two lines at most) and the price, on a button."""
    t = c.theme
    p = t.palette
    c.fill(rect, p.button, radius=t.radius)
    c.outline(rect, p.outline, width=t.edge, radius=t.radius)
    # narrow side margins: a 7" screen fits five tiles across, and names need the width
    inner = rect.inflate(-2 * max(t.edge * 2, t.gap // 2), -2 * t.pad)
    body = c.fonts.get(t.body_px)
    # bold when every word fits a line in bold ("Cucumber," is too wide at 800×480)
    bold = all(
        c.fonts.get(t.body_px, True).size(word)[0] <= inner.width for word in view.label.split()
    )
    font = c.fonts.get(t.body_px, bold)
    name_h = min(
        c.paragraph_height(view.label, inner.width, px=t.body_px, bold=bold),
        font.get_linesize() + font.get_height(),
    )
    price_h = body.get_height() if view.detail else 0
    text_h = name_h + (t.gap // 2 + price_h if price_h else 0)
    picture = pygame.Rect(inner.x, inner.y, inner.width, inner.height - text_h - t.gap)
    _picture(c, view, picture)
    name = pygame.Rect(inner.x, picture.bottom + t.gap, inner.width, name_h)
    c.paragraph(view.label, name, px=t.body_px, bold=bold, pair="secondary", align="center")
    if price_h:
        box = pygame.Rect(inner.x, inner.bottom - price_h, inner.width, price_h)
        c.text(view.detail, box, px=t.body_px, pair="secondary", align="center")
    return HitBox(view.button_id, rect.copy(), view.arg)


def _picture(c: Canvas, view: ButtonView, rect: pygame.Rect) -> None:
    if rect.height <= 0 or rect.width <= 0:
        return
    side = min(rect.width, rect.height)
    square = pygame.Rect(0, 0, side, side)
    square.center = rect.center
    image = _scaled(view.picture, side, side) if view.picture else None
    if image is not None:
        c.surface.blit(image, image.get_rect(center=square.center))
        return
    # no picture file: the initial on a tinted square, so the tile still reads at a glance
    t = c.theme
    c.fill(square, t.palette.info, radius=t.radius)
    initial = view.label[:1].upper()
    px = t.hero_px
    while px > t.body_px and c.fonts.get(px, True).get_height() > side:
        px -= 2
    c.text(initial, square, px=px, bold=True, pair="info", align="center")


def _scaled(path: str, width: int, height: int) -> pygame.Surface | None:
    key = (path, width, height)
    if key not in _PICTURES:
        try:
            image = pygame.image.load(path)
        except (pygame.error, OSError, FileNotFoundError):
            _PICTURES[key] = None
        else:
            w, h = image.get_size()
            scale = min(width / w, height / h)
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            _PICTURES[key] = pygame.transform.smoothscale(image, size)
    return _PICTURES[key]


# -- the keyboard ----------------------------------------------------------------------------


def keyboard(c: Canvas, vm: ViewModel, content: pygame.Rect) -> list[HitBox]:
    """A-Z in rows as wide as touch targets allow (ten across at most), then Back, Space,
    ⌫ and Show along the bottom; what is typed above."""
    t = c.theme
    letters = [b for b in vm.buttons if b.button_id == lookup_input.LETTER and b.arg != " "]
    actions = [b for b in vm.buttons if b not in letters]
    columns = max(1, min(10, (content.width + t.gap) // (t.touch_px + t.gap)))
    rows = [letters[i : i + columns] for i in range(0, len(letters), columns)]
    first_y = _first_y(c, content)
    count = len(rows) + 1
    key_h = (content.bottom - first_y - (count - 1) * t.gap) // count
    key_h = max(t.touch_px, min(round(t.button_h * 1.2), key_h))
    key_w = (content.width - (columns - 1) * t.gap) // columns
    bar = pygame.Rect(content.x, content.bottom - key_h, content.width, key_h)
    boxes = place_rows(c, [actions], bar, row_h=key_h)
    top = bar.top - t.gap - len(rows) * (key_h + t.gap) + t.gap
    for r, row in enumerate(rows):
        width = len(row) * (key_w + t.gap) - t.gap
        x = content.centerx - width // 2  # a short last row is centred, as on a keyboard
        for view in row:
            rect = pygame.Rect(x, top + r * (key_h + t.gap), key_w, key_h)
            boxes.append(c.button(view, rect))
            x += key_w + t.gap
    caption = pygame.Rect(content.x, content.y, content.width, 0)
    caption.height = min(_caption_height(c), top - t.gap - content.y)
    _caption(c, vm, caption)
    return boxes


# -- the PLU keypad --------------------------------------------------------------------------

KEYPAD = frozenset({KEY, BACKSPACE, OK})


def plu_keypad(c: Canvas, vm: ViewModel, content: pygame.Rect) -> list[HitBox]:
    """Digits in a 3 × 4 block (⌫ 0 Add at the bottom, Add bottom right), Back bottom
    left; the PLU typed beside the keys (landscape) or above them (portrait)."""
    t = c.theme
    keys = [b for b in vm.buttons if b.button_id in KEYPAD]
    others = [b for b in vm.buttons if b.button_id not in KEYPAD]
    key_rows = [keys[i : i + 3] for i in range(0, len(keys), 3)]
    first_y = _first_y(c, content)
    if t.portrait:
        key_h = round(t.button_h * 1.4)
        bar = pygame.Rect(content.x, content.bottom - t.button_h, content.width, t.button_h)
        boxes = place_rows(c, [others], bar) if others else []
        grid_h = len(key_rows) * (key_h + t.gap) - t.gap
        grid = pygame.Rect(content.x, bar.top - t.gap - grid_h, content.width, grid_h)
        info = pygame.Rect(content.x, content.y, content.width, 0)
        info.height = min(_typed_height(c, vm), grid.top - t.gap - content.y)
        info.bottom = grid.top - t.gap
    else:
        room = content.bottom - first_y - (len(key_rows) - 1) * t.gap
        key_h = max(t.touch_px, min(t.button_h, room // max(1, len(key_rows))))
        grid_h = len(key_rows) * (key_h + t.gap) - t.gap
        grid_w = (content.width - 2 * t.gap) // 2
        grid = pygame.Rect(content.right - grid_w, content.bottom - grid_h, grid_w, grid_h)
        left_w = grid.left - 2 * t.gap - content.x
        bar = pygame.Rect(content.x, content.bottom - t.button_h, left_w, t.button_h)
        boxes = place_rows(c, [others], bar) if others else []
        info = pygame.Rect(content.x, content.y, left_w, bar.top - t.gap - content.y)
    boxes += place_rows(c, key_rows, grid, row_h=key_h)
    _typed(c, vm, info)
    return boxes


def _typed_height(c: Canvas, vm: ViewModel) -> int:
    t = c.theme
    height = 2 * t.pad + t.row_h + c.fonts.get(t.total_px, True).get_height()
    if vm.notice:
        height += t.gap + 3 * c.fonts.get(t.body_px).get_linesize() + 2 * t.pad
    return height


def _typed(c: Canvas, vm: ViewModel, rect: pygame.Rect) -> None:
    t = c.theme
    panel(c, rect)
    inner = rect.inflate(-2 * t.pad, -2 * t.pad)
    label = pygame.Rect(inner.x, inner.y, inner.width, t.row_h)
    c.text(c.tr(PLU_LABEL), label, px=t.body_px, pair="muted")
    value_h = c.fonts.get(t.total_px, True).get_height()
    value = pygame.Rect(inner.x, label.bottom, inner.width, value_h)
    if vm.total:
        c.fit_text(vm.total, value, px=t.total_px, min_px=t.body_px, bold=True, align="right")
    y = value.bottom + t.gap
    if vm.notice and y < inner.bottom:
        notice(c, vm.notice, pygame.Rect(inner.x, y, inner.width, inner.bottom - y), kind="problem")


OWN_BUTTONS: dict[str, Draw] = {"tiles": tiles, "keyboard": keyboard, "plu": plu_keypad}
