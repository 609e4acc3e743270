"""Blocks several screens share: a panel, a notice, the total with its notes, the action bar.

Functions of a Canvas (which carries the theme and fonts), so the screen modules can share
them without a renderer object.
"""

from __future__ import annotations

import math

import pygame

from ui.i18n import N_, words
from ui.view import ButtonView, ViewModel
from ui.widgets import Canvas, HitBox

# the renderer's own words, translated as they are drawn (Canvas.tr)
TOTAL = N_("Total")
PENDING = N_("Staff will come: {checks}")

# the notice kinds: (fill, edge mark or None, text pair) by palette attribute name
KINDS = {
    "info": ("info", None, "info"),
    "problem": ("problem", "problem_edge", "problem"),
    "pending": ("pending", "pending_edge", "pending"),
}


def panel(c: Canvas, rect: pygame.Rect) -> None:
    t = c.theme
    c.fill(rect, t.palette.panel, radius=t.radius)
    if t.high_contrast:
        c.outline(rect, t.palette.outline, width=t.edge, radius=t.radius)


def notice_height(c: Canvas, text: str, width: int, *, kind: str = "info") -> int:
    """How tall notice() would draw `text` in `width`, given all the room it wants."""
    t = c.theme
    mark = t.edge * 2 if KINDS[kind][1] else 0
    return c.paragraph_height(text, width - 2 * t.pad - mark, px=t.body_px) + 2 * t.pad


def notice(
    c: Canvas, text: str, rect: pygame.Rect, *, kind: str = "info", align: str = "left"
) -> int:
    """A notice panel, as tall as its text needs (at most `rect`); returns the height used,
    0 when not even one line fits."""
    t = c.theme
    p = t.palette
    fill_name, edge_name, pair = KINDS[kind]
    mark = t.edge * 2 if edge_name else 0
    inner_w = rect.width - 2 * t.pad - mark
    text_h = c.paragraph_height(text, inner_w, px=t.body_px)
    height = min(rect.height, text_h + 2 * t.pad)
    if height < c.fonts.get(t.body_px).get_height() + t.pad:
        return 0
    box = pygame.Rect(rect.x, rect.y, rect.width, height)
    c.fill(box, getattr(p, fill_name), radius=t.radius // 2)
    if edge_name:
        c.fill(pygame.Rect(box.x, box.y, mark, box.height), getattr(p, edge_name))
    elif t.high_contrast:
        c.outline(box, p.outline, width=t.edge, radius=t.radius // 2)
    inner = pygame.Rect(box.x + t.pad + mark, box.y + t.pad, inner_w, box.height - 2 * t.pad)
    c.paragraph(text, inner, px=t.body_px, pair=pair, align=align)
    return height


def pending_text(vm: ViewModel) -> str:
    checks = " · ".join(vm.pending)
    return words(vm.language).format(PENDING, checks=checks) if vm.pending else ""


def summary_height(c: Canvas, vm: ViewModel, width: int) -> int:
    """Portrait: the summary panel is as tall as its contents."""
    t = c.theme
    inner_w = width - 2 * t.pad
    line = c.fonts.get(t.body_px).get_linesize()
    height = 2 * t.pad + c.fonts.get(t.total_px, True).get_height()
    if vm.savings:
        height += t.row_h
    if vm.hint:
        height += min(c.paragraph_height(vm.hint, inner_w, px=t.body_px), 2 * line) + t.gap
    if vm.pending:
        height += notice_height(c, pending_text(vm), inner_w, kind="pending") + t.gap
    if vm.notice:
        height += t.gap + min(notice_height(c, vm.notice, inner_w), 3 * line + 2 * t.pad)
    return height


def summary(
    c: Canvas,
    vm: ViewModel,
    rect: pygame.Rect,
    *,
    problem: bool = False,
) -> None:
    """The basket's total, what was saved, the promotion hint in the calm savings colour,
    the pending checks as an amber note, then the notice (a problem's, or calm)."""
    t = c.theme
    panel(c, rect)
    inner = rect.inflate(-2 * t.pad, -2 * t.pad)
    total_h = c.fonts.get(t.total_px, True).get_height()
    label_font = c.fonts.get(t.body_px)
    if t.portrait:
        label_w = label_font.size(c.tr(TOTAL))[0]
        label = pygame.Rect(inner.x, inner.y, label_w, total_h)
        amount = pygame.Rect(label.right + t.gap, inner.y, inner.right - label.right - t.gap, 0)
        amount.height = total_h
    else:
        label = pygame.Rect(inner.x, inner.y, inner.width, label_font.get_height())
        amount = pygame.Rect(inner.x, label.bottom, inner.width, total_h)
    y = amount.bottom
    c.text(c.tr(TOTAL), label, px=t.body_px, pair="muted")
    c.fit_text(
        vm.total, amount, px=t.total_px, min_px=t.body_px, bold=True, pair="body", align="right"
    )
    if vm.savings and y + t.row_h <= inner.bottom:
        box = pygame.Rect(inner.x, y, inner.width, t.row_h)
        c.text(vm.savings, box, px=t.body_px, pair="savings", align="right")
        y += t.row_h
    if vm.hint:
        box = pygame.Rect(inner.x, y + t.gap, inner.width, inner.bottom - y - t.gap)
        used = c.paragraph(vm.hint, box, px=t.body_px, pair="savings", align="right", max_lines=2)
        y += used + t.gap if used else 0
    if vm.pending:
        box = pygame.Rect(inner.x, y + t.gap, inner.width, inner.bottom - y - t.gap)
        used = notice(c, pending_text(vm), box, kind="pending")
        y += used + t.gap if used else 0
    if vm.notice:
        box = pygame.Rect(inner.x, y + t.gap, inner.width, inner.bottom - y - t.gap)
        notice(c, vm.notice, box, kind="problem" if problem else "info")


# -- the action bar ------------------------------------------------------------------------


def max_columns(c: Canvas, *, staff: bool = False) -> int:
    """Buttons side by side: four across a landscape screen for staff, five for shoppers
    (the scanning screen's five stay one row, which leaves the basket its lines); in
    portrait three for staff, two for shoppers (bigger targets, and portrait has the
    height)."""
    if not c.theme.portrait:
        return 4 if staff else 5
    return 3 if staff else 2


def button_rows(views: list[ButtonView], columns: int) -> list[list[ButtonView]]:
    """Secondary buttons first, primary ones last, in as few rows as `columns` allows and
    as even as can be; a short row goes on top, so a primary button stays bottom right."""
    ordered = [v for v in views if not v.primary] + [v for v in views if v.primary]
    if len(ordered) <= 2:
        return [ordered] if ordered else []
    count = math.ceil(len(ordered) / columns)
    per_row = math.ceil(len(ordered) / count)
    first = len(ordered) - (count - 1) * per_row
    rows = [ordered[:first]]
    rows += [ordered[i : i + per_row] for i in range(first, len(ordered), per_row)]
    return rows


def _label_w(c: Canvas, row: list[ButtonView], primary: bool) -> list[int]:
    """The widths the row's (primary or secondary) labels want on one line, with padding."""
    t = c.theme
    font = c.fonts.get(t.body_px, True)
    return [font.size(v.label)[0] + 4 * t.pad for v in row if v.primary is primary]


def bar_height(c: Canvas, rows: list[list[ButtonView]], row_h: int = 0) -> int:
    t = c.theme
    row_h = row_h or t.button_h
    return len(rows) * row_h + (len(rows) - 1) * t.gap if rows else 0


def action_bar(
    c: Canvas,
    views: list[ButtonView],
    content: pygame.Rect,
    *,
    columns: int,
    disabled: frozenset[str] = frozenset(),
) -> tuple[list[HitBox], pygame.Rect]:
    """The buttons along the bottom of `content`; returns their hit boxes (none for the
    `disabled` ids, drawn muted) and the room left above them."""
    t = c.theme
    rows = button_rows(views, columns)
    if not rows:
        return [], content.copy()
    height = bar_height(c, rows)
    bar = pygame.Rect(content.x, content.bottom - height, content.width, height)
    boxes = place_rows(c, rows, bar, disabled=disabled)
    rest = pygame.Rect(content.x, content.y, content.width, content.height - height - t.gap)
    return boxes, rest


def place_rows(
    c: Canvas,
    rows: list[list[ButtonView]],
    bar: pygame.Rect,
    *,
    disabled: frozenset[str] = frozenset(),
    row_h: int = 0,
) -> list[HitBox]:
    """Lay the rows out in `bar`: one or two buttons leave an empty gap between them, so a
    tap meant for Help cannot land on Pay; more share the width equally. Rows are
    `row_h` tall (the theme's button height unless given)."""
    t = c.theme
    row_h = row_h or t.button_h
    placed: list[tuple[ButtonView, pygame.Rect]] = []
    y = bar.y
    columns = max(len(row) for row in rows)
    kinds = [v.primary for v in rows[0]]
    apart = len(rows) == 1 and kinds.count(True) <= 1 and kinds.count(False) <= 1
    for row in rows:
        if apart:
            # a longer label (German "Abbrechen") widens its button, never into the other
            secondary_w = max(t.touch_px, round(bar.width * 0.32), *_label_w(c, row, False))
            primary_w = max(t.touch_px, round(bar.width * 0.46), *_label_w(c, row, True))
            if len(row) == 2:
                secondary_w = min(secondary_w, bar.width - primary_w - 2 * t.gap)
            for v in row:
                if v.primary:
                    rect = pygame.Rect(bar.right - primary_w, y, primary_w, row_h)
                else:
                    rect = pygame.Rect(bar.x, y, secondary_w, row_h)
                placed.append((v, rect))
        else:
            width = (bar.width - (columns - 1) * t.gap) // columns
            # the last row is right-aligned (primary bottom right), others left-aligned
            x = bar.x if row is not rows[-1] else bar.right - len(row) * (width + t.gap) + t.gap
            for v in row:
                placed.append((v, pygame.Rect(x, y, width, row_h)))
                x += width + t.gap
        y += row_h + t.gap
    boxes = []
    for v, rect in placed:
        enabled = v.button_id not in disabled
        box = c.button(v, rect, enabled=enabled)
        if enabled:
            boxes.append(box)
    return boxes
