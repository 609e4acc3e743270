"""The staff screens: the menu's status and sale, the report, the keypad and the reasons.

Functions of a Canvas, called by ui.render.Renderer. The keypad and reason screens place
their own buttons (a keypad is not an action bar); so does the line list (ui.render_rows).
Every touch target still sits in the lower two thirds of the screen.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pygame

from ui import render_rows, staff_input
from ui.i18n import N_
from ui.panels import (
    TOTAL,
    action_bar,
    bar_height,
    notice,
    notice_height,
    panel,
    place_rows,
)
from ui.view import ButtonView, LineView, ViewModel
from ui.widgets import Canvas, HitBox

# the renderer's own words, translated as they are drawn (Canvas.tr)
DEVICES_OK = N_("All devices working")
DEVICES = N_("Status")
MORE = N_("+{n} more")
SALE_LINES = N_("Sale: {n} lines")
NOW_EACH = N_("Now {price} each")
NEW_PRICE = N_("New price of one")
CHANGE = N_("{old} → {new} each")
REFERENCE = N_("Terminal reference")
NO_REFERENCE = N_("none")

KEYPAD = frozenset({staff_input.KEY, staff_input.BACKSPACE, staff_input.OK})

Draw = Callable[[Canvas, ViewModel, pygame.Rect], list[HitBox]]


def layout_for(screen: str) -> str | None:
    """The staff layout for `screen`, or None for a shoppers' screen."""
    return {
        "staff": "staff",
        "report": "report",
        "refund": "rows",
        staff_input.Step.PICK_LINE.value: "rows",
        staff_input.Step.PRICE.value: "keypad",
        staff_input.Step.REFERENCE.value: "keypad",
        staff_input.Step.REASON.value: "reasons",
    }.get(screen)


# -- the menu ------------------------------------------------------------------------------


def staff_menu(c: Canvas, vm: ViewModel, content: pygame.Rect) -> None:
    """Device problems on the left (or "all working"), the sale on the right; stacked in
    portrait. Rows that do not fit end in "+N more" rather than vanish."""
    t = c.theme
    p = t.palette
    rows = vm.problems or (c.tr(DEVICES_OK),)
    if t.portrait:
        # as tall as its rows (room for four), the sale below takes the rest
        height = 2 * t.pad + t.row_h * (1 + max(4, len(rows)))
        height = min(height, content.height // 2)
        devices = pygame.Rect(content.x, content.y, content.width, height)
        sale = pygame.Rect(content.x, devices.bottom + t.gap, content.width, 0)
        sale.height = min(content.bottom - sale.y, _sale_height(c, vm, content.width))
    else:
        half = (content.width - t.gap) // 2
        devices = pygame.Rect(content.x, content.y, half, content.height)
        sale = pygame.Rect(devices.right + t.gap, content.y, half, content.height)
    panel(c, devices)
    inner = devices.inflate(-2 * t.pad, -2 * t.pad)
    heading = pygame.Rect(inner.x, inner.y, inner.width, t.row_h)
    c.text(c.tr(DEVICES), heading, px=t.body_px, bold=True, pair="body")
    room = max(0, (inner.bottom - heading.bottom) // t.row_h)
    shown = list(rows[:room])
    if len(rows) > room > 0:
        shown[-1] = c.tr.format(MORE, n=len(rows) - room + 1)
    colour = p.lamp_red if vm.problems else p.lamp_green
    dot = max(4, t.body_px // 4)
    for i, row_text in enumerate(shown):
        row = pygame.Rect(inner.x, heading.bottom + i * t.row_h, inner.width, t.row_h)
        pygame.draw.circle(c.surface, colour, (row.x + dot, row.centery), dot)
        box = pygame.Rect(row.x + dot * 2 + t.gap, row.y, row.width - dot * 2 - t.gap, 0)
        box.height = row.height
        c.text(row_text, box, px=t.body_px, pair="body")
    _sale(c, vm, sale)


def _sale_height(c: Canvas, vm: ViewModel, width: int) -> int:
    t = c.theme
    height = 2 * t.pad + c.fonts.get(t.total_px, True).get_height() + 2 * t.row_h
    if vm.notice:
        height += t.gap + notice_height(c, vm.notice, width - 2 * t.pad)
    return height


def _sale(c: Canvas, vm: ViewModel, rect: pygame.Rect) -> None:
    """The total, then the customer's notice (why staff were called), then the line count
    and the savings as room allows: with twelve buttons below, the notice comes first."""
    t = c.theme
    panel(c, rect)
    inner = rect.inflate(-2 * t.pad, -2 * t.pad)
    total_h = c.fonts.get(t.total_px, True).get_height()
    label_w = c.fonts.get(t.body_px).size(c.tr(TOTAL))[0]
    c.text(c.tr(TOTAL), pygame.Rect(inner.x, inner.y, label_w, total_h), px=t.body_px, pair="muted")
    amount = pygame.Rect(inner.x + label_w + t.gap, inner.y, inner.width - label_w - t.gap, 0)
    amount.height = total_h
    c.fit_text(vm.total, amount, px=t.total_px, min_px=t.body_px, bold=True, align="right")
    y = amount.bottom
    if vm.notice:
        box = pygame.Rect(inner.x, y + t.gap, inner.width, inner.bottom - y - t.gap)
        used = notice(c, vm.notice, box)
        y += used + t.gap if used else 0
    for text, pair in (
        (c.tr.format(SALE_LINES, n=len(vm.lines)), "muted"),
        (vm.savings, "savings"),
    ):
        if text and y + t.row_h <= inner.bottom:
            box = pygame.Rect(inner.x, y, inner.width, t.row_h)
            c.text(text, box, px=t.body_px, pair=pair, align="right")
            y += t.row_h


# -- the report ----------------------------------------------------------------------------


def report(c: Canvas, vm: ViewModel, content: pygame.Rect) -> None:
    """The report's lines, text left and amount right; two columns when one is too short
    (the font stays body size: a report is read, not skimmed). A line whose words and
    amount do not fit side by side takes two rows: the words, then the amount below."""
    t = c.theme
    p = t.palette
    lines = vm.lines
    font = c.fonts.get(t.body_px)
    fits = max(1, (content.height - 2 * t.pad) // t.row_h)
    apart = 3 * t.pad  # between the columns, with a rule in the middle
    inner_w = content.width - 2 * t.pad
    columns = 1 if len(lines) <= fits else 2
    column_w = (inner_w - (columns - 1) * apart) // columns

    def rows_of(line: LineView) -> int:
        amount_w = font.size(line.amount)[0] if line.amount else 0
        wanted = font.size(line.name)[0] + (amount_w + 2 * t.gap if amount_w else 0)
        return 2 if wanted > column_w and amount_w else 1

    heights = [rows_of(line) for line in lines]
    per_column = max(1, math.ceil(sum(heights) / columns))
    # two-row lines may close the rows up to the font's own height, no further
    tightest = max(1, (content.height - 2 * t.pad) // font.get_height())
    if per_column > tightest:  # no room for two-row lines: one row each, cut with "…"
        heights = [1] * len(lines)
        per_column = max(1, math.ceil(len(lines) / columns))
    # the panel is as tall as the report, at most the room there is
    area = content.copy()
    area.height = min(content.height, per_column * t.row_h + 2 * t.pad)
    panel(c, area)
    inner = area.inflate(-2 * t.pad, -2 * t.pad)
    step = max(font.get_height(), min(t.row_h, inner.height // per_column))
    for col in range(1, columns):
        x = inner.x + col * (column_w + apart) - apart // 2
        c.fill(pygame.Rect(x, inner.y, max(1, t.edge // 2), inner.height), p.strip)
    col, r = 0, 0
    for i, (line, height) in enumerate(zip(lines, heights, strict=True)):
        if r + height > per_column and col + 1 < columns:
            col, r = col + 1, 0
        x = inner.x + col * (column_w + apart)
        row = pygame.Rect(x, inner.y + r * step, column_w, step * height)
        r += height
        if row.bottom > inner.bottom:
            continue  # no room even at body size: better missing than overlapping
        if r < per_column and i < len(lines) - 1:
            c.fill(pygame.Rect(row.x, row.bottom - 1, row.width, 1), p.strip)
        amount_w = font.size(line.amount)[0] if line.amount else 0
        last = pygame.Rect(row.x, row.bottom - step, row.width, step)
        if amount_w:
            box = pygame.Rect(row.right - amount_w, last.y, amount_w, step)
            c.text(line.amount, box, px=t.body_px, pair="body", align="right")
        if height == 2:
            c.text(line.name, pygame.Rect(row.x, row.y, row.width, step), px=t.body_px)
        else:
            name_w = row.width - (amount_w + 2 * t.gap if amount_w else 0)
            c.text(line.name, pygame.Rect(row.x, row.y, name_w, step), px=t.body_px)


# -- the keypad ----------------------------------------------------------------------------


def keypad(c: Canvas, vm: ViewModel, content: pygame.Rect) -> list[HitBox]:
    """Digits in a 3 × 4 block (⌫ 0 OK at the bottom, OK bottom right), what is typed
    beside it (landscape) or just above it (portrait), Cancel bottom left."""
    t = c.theme
    keys = [b for b in vm.buttons if b.button_id in KEYPAD]
    others = [b for b in vm.buttons if b.button_id not in KEYPAD]
    key_rows = [keys[i : i + 3] for i in range(0, len(keys), 3)]
    if t.portrait:
        # portrait has the height: bigger keys, still all in the lower two thirds
        key_h = round(t.button_h * 1.4)
        boxes, rest = action_bar(c, others, content, columns=2)
        grid_h = bar_height(c, key_rows, key_h)
        grid = pygame.Rect(rest.x, rest.bottom - grid_h, rest.width, grid_h)
        info_h = min(_typed_height(c, vm, rest.width), grid.top - t.gap - rest.y)
        info = pygame.Rect(rest.x, grid.top - t.gap - info_h, rest.width, info_h)
    else:
        # four rows of keys below the top third: shorter keys (never below a touch target)
        # when the simulator's key help takes the bottom of the screen
        room = content.bottom - math.ceil(t.height / 3) - (len(key_rows) - 1) * t.gap
        key_h = max(t.touch_px, min(t.button_h, room // max(1, len(key_rows))))
        grid_h = bar_height(c, key_rows, key_h)
        grid_w = (content.width - 2 * t.gap) // 2
        grid = pygame.Rect(content.right - grid_w, content.bottom - grid_h, grid_w, grid_h)
        left = pygame.Rect(content.x, content.y, grid.left - 2 * t.gap - content.x, 0)
        left.height = content.height
        boxes, info = action_bar(c, others, left, columns=2)
    boxes += place_rows(c, key_rows, grid, row_h=key_h)
    _typed(c, vm, info)
    return boxes


def _typed_height(c: Canvas, vm: ViewModel, width: int) -> int:
    t = c.theme
    inner_w = width - 2 * t.pad
    height = 2 * t.pad + t.row_h + c.fonts.get(t.total_px, True).get_height()
    if vm.lines:
        name_h = c.paragraph_height(vm.lines[0].name, inner_w, px=t.body_px, bold=True)
        height += min(name_h, 2 * c.fonts.get(t.body_px, True).get_linesize())
        height += t.row_h + t.gap
    if vm.notice:
        height += t.gap + notice_height(c, vm.notice, inner_w)
    return height


def _typed(c: Canvas, vm: ViewModel, rect: pygame.Rect) -> None:
    """The line being changed and its price now, then what is typed, large."""
    t = c.theme
    panel(c, rect)
    inner = rect.inflate(-2 * t.pad, -2 * t.pad)
    y = inner.y
    price = vm.screen == staff_input.Step.PRICE.value
    if vm.lines:
        line = vm.lines[0]
        box = pygame.Rect(inner.x, y, inner.width, inner.height)
        y += c.paragraph(line.name, box, px=t.body_px, bold=True, max_lines=2)
        box = pygame.Rect(inner.x, y, inner.width, t.row_h)
        c.text(c.tr.format(NOW_EACH, price=line.unit_price), box, px=t.body_px, pair="muted")
        y += t.row_h + t.gap
    label = pygame.Rect(inner.x, y, inner.width, t.row_h)
    c.text(c.tr(NEW_PRICE if price else REFERENCE), label, px=t.body_px, pair="muted")
    y = label.bottom
    value_h = c.fonts.get(t.total_px, True).get_height()
    value = pygame.Rect(inner.x, y, inner.width, value_h)
    if vm.total:
        c.fit_text(vm.total, value, px=t.total_px, min_px=t.body_px, bold=True, align="right")
    else:
        c.text(c.tr(NO_REFERENCE), value, px=t.body_px, pair="muted", align="right")
    y = value.bottom + t.gap
    if vm.notice:
        box = pygame.Rect(inner.x, y, inner.width, inner.bottom - y)
        notice(c, vm.notice, box, kind="problem" if price else "info")


# -- the reasons ---------------------------------------------------------------------------


def reasons(c: Canvas, vm: ViewModel, content: pygame.Rect) -> list[HitBox]:
    """The fixed reasons as big buttons (two a row; one a row, taller, in portrait), the
    change they are for just above them."""
    t = c.theme
    picks = [b for b in vm.buttons if b.button_id == staff_input.REASON]
    others = [b for b in vm.buttons if b.button_id != staff_input.REASON]
    boxes, rest = action_bar(c, others, content, columns=2)
    per_row, row_h = (1, round(t.button_h * 1.25)) if t.portrait else (2, t.button_h)
    rows: list[list[ButtonView]] = [picks[i : i + per_row] for i in range(0, len(picks), per_row)]
    grid_h = bar_height(c, rows, row_h)
    grid = pygame.Rect(rest.x, rest.bottom - grid_h, rest.width, grid_h)
    if rows:
        boxes += place_rows(c, rows, grid, row_h=row_h)
    if not vm.lines:
        return boxes
    line = vm.lines[0]
    change = c.tr.format(CHANGE, old=line.unit_price, new=vm.total)
    inner_w = rest.width - 2 * t.pad
    name_h = min(
        c.paragraph_height(line.name, inner_w, px=t.body_px, bold=True),
        2 * c.fonts.get(t.body_px, True).get_linesize(),
    )
    wanted = 2 * t.pad + name_h + t.gap + c.paragraph_height(change, inner_w, px=t.body_px)
    room = grid.top - t.gap - rest.y
    height = min(room, wanted) if t.portrait else room
    info = pygame.Rect(rest.x, grid.top - t.gap - height, rest.width, height)
    panel(c, info)
    inner = info.inflate(-2 * t.pad, -2 * t.pad)
    y = inner.y + c.paragraph(line.name, inner, px=t.body_px, bold=True, max_lines=2) + t.gap
    box = pygame.Rect(inner.x, y, inner.width, inner.bottom - y)
    c.paragraph(change, box, px=t.body_px, pair="body", max_lines=2)
    return boxes


OWN_BUTTONS: dict[str, Draw] = {
    "rows": render_rows.row_list,
    "keypad": keypad,
    "reasons": reasons,
}
