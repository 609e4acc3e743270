"""Lines as touch rows: the refund's sold lines and the line picker (void, new price).

Each row is its own hit box carrying its line number (the ButtonView whose arg is that
number). A row without one is shown but cannot be touched (a refund line already chosen
as often as it can be). The rows start in the lower two thirds of the screen, like every
touch target; above them a head shows the total. A list longer than the room is paged with
Previous and Next in the action bar (the page is the UI's state: `ViewModel.page`).
"""

from __future__ import annotations

import math

import pygame

from appliance.core import buttons
from ui import staff_input
from ui.i18n import N_
from ui.panels import action_bar, bar_height, button_rows, max_columns, panel
from ui.view import ButtonView, LineView, ViewModel
from ui.widgets import Canvas, HitBox

ROW_BUTTONS = frozenset({buttons.STAFF_REFUND_LINE, staff_input.LINE})

# the renderer's own words, translated as they are drawn (Canvas.tr)
PREVIOUS = N_("▲ Previous")
NEXT = N_("▼ Next")
SHOWING = N_("Lines {first}–{last} of {n}")
HEADS = {
    "refund": (N_("To refund"), N_("Touch a line to add one")),
    staff_input.Step.PICK_LINE.value: (N_("Sale total"), N_("Touch a line")),
}


def row_list(c: Canvas, vm: ViewModel, content: pygame.Rect) -> list[HitBox]:
    t = c.theme
    by_line = {b.arg: b for b in vm.buttons if b.button_id in ROW_BUTTONS}
    actions = [b for b in vm.buttons if b.button_id not in ROW_BUTTONS]
    columns = 1 if t.portrait else 2
    row_h = max(t.touch_px, t.row_h)
    head_h = 2 * t.pad + max(
        c.fonts.get(t.total_px, True).get_height(), 2 * c.fonts.get(t.body_px).get_linesize()
    )
    first_y = max(content.y + head_h + t.gap, math.ceil(t.height / 3))
    bar_columns = max_columns(c, staff=True)

    def per_page(views: list[ButtonView]) -> int:
        bar = bar_height(c, button_rows(views, bar_columns))
        room = content.bottom - (bar + t.gap if bar else 0) - first_y
        return columns * max(1, (room + t.gap) // (row_h + t.gap))

    count = per_page(actions)
    lines = vm.lines
    disabled: frozenset[str] = frozenset()
    page = 0
    if len(lines) > count:
        secondary = [b for b in actions if not b.primary]
        paging = [
            ButtonView(staff_input.PAGE_BACK, c.tr(PREVIOUS)),
            ButtonView(staff_input.PAGE_ON, c.tr(NEXT)),
        ]
        primary = [b for b in actions if b.primary]
        # one row: Cancel left of the paging; two rows (portrait): paging above the rest
        one_row = len(actions) + len(paging) <= bar_columns
        actions = [*secondary, *paging, *primary] if one_row else [*paging, *secondary, *primary]
        count = per_page(actions)
        pages = math.ceil(len(lines) / count)
        page = min(max(vm.page, 0), pages - 1)
        disabled = frozenset(
            [staff_input.PAGE_BACK] * (page == 0) + [staff_input.PAGE_ON] * (page == pages - 1)
        )
    shown = lines[page * count : (page + 1) * count]
    boxes, rest = action_bar(c, actions, content, columns=bar_columns, disabled=disabled)
    label, guide = (c.tr(word) for word in HEADS.get(vm.screen, (N_("Total"), "")))
    if len(lines) > count:
        guide = c.tr.format(
            SHOWING, first=page * count + 1, last=page * count + len(shown), n=len(lines)
        )
    # the head sits just above the rows; in portrait that leaves room under the title bar
    head = pygame.Rect(content.x, first_y - t.gap - head_h, content.width, head_h)
    if head.y < content.y:
        head.height, head.y = head.bottom - content.y, content.y
    _head(c, vm.total, label, guide, head)
    per_column = count // columns
    # spare height goes into taller rows (bigger targets), not a gap above the buttons
    step = max(row_h + t.gap, (rest.bottom - first_y + t.gap) // per_column)
    column_w = (content.width - (columns - 1) * t.gap) // columns
    font = c.fonts.get(t.body_px)
    for col in range(columns):
        column = shown[col * per_column : (col + 1) * per_column]
        # amounts and quantities line up down a column
        widths = (
            max([font.size(line.amount)[0] for line in column] or [0]),
            max([font.size(line.quantity)[0] for line in column] or [0]),
        )
        x = content.x + col * (column_w + t.gap)
        for r, line in enumerate(column):
            rect = pygame.Rect(x, first_y + r * step, column_w, step - t.gap)
            button = by_line.get(str(line.line_no))
            _row(c, line, rect, widths, touchable=button is not None)
            if button is not None:
                boxes.append(HitBox(button.button_id, rect.copy(), button.arg))
    return boxes


def _head(c: Canvas, total: str, label: str, guide: str, rect: pygame.Rect) -> None:
    """The total on the right, what it is and what to do on the left."""
    t = c.theme
    panel(c, rect)
    inner = rect.inflate(-2 * t.pad, -2 * t.pad)
    body = c.fonts.get(t.body_px)
    amount_w = min(
        c.fonts.get(t.total_px, True).size(total)[0], inner.width // 2 if guide else inner.width
    )
    amount = pygame.Rect(inner.right - amount_w, inner.y, amount_w, inner.height)
    c.fit_text(total, amount, px=t.total_px, min_px=t.body_px, bold=True, align="right")
    words_w = amount.left - 2 * t.gap - inner.x
    step = body.get_linesize()
    top = inner.centery - (step if guide else step // 2)
    c.text(label, pygame.Rect(inner.x, top, words_w, step), px=t.body_px, bold=True)
    if guide:
        box = pygame.Rect(inner.x, top + step, words_w, step)
        c.text(guide, box, px=t.body_px, pair="muted")


def _row(
    c: Canvas, line: LineView, rect: pygame.Rect, widths: tuple[int, int], *, touchable: bool
) -> None:
    """A line as a row: a button when it can be touched, flat when not; a refund line
    already chosen is tinted and barred on the left."""
    t = c.theme
    p = t.palette
    if line.marked:
        pair = "info"
        c.fill(rect, p.info, radius=t.radius // 2)
    elif touchable:
        pair = "secondary"
        c.fill(rect, p.button, radius=t.radius // 2)
    else:
        pair = "muted-on-background"
    if touchable:
        c.outline(rect, p.outline, width=t.edge, radius=t.radius // 2)
    if line.marked:
        # not by tint alone: high contrast has none, and a bar reads without colour
        c.fill(pygame.Rect(rect.x, rect.y, max(4, t.pad // 2), rect.height), p.accent)
    inner = rect.inflate(-2 * t.pad, 0)
    right = inner.right
    for text, width in zip((line.amount, line.quantity), widths, strict=True):
        if not width:
            continue
        box = pygame.Rect(right - width, inner.y, width, inner.height)
        if text:
            c.text(text, box, px=t.body_px, pair=pair, align="right")
        right -= width + 2 * t.gap
    name = pygame.Rect(inner.x, inner.y, right - inner.x, inner.height)
    c.text(line.name, name, px=t.body_px, pair=pair)
