"""Draws one ViewModel as one frame and returns where its buttons are. Decides nothing.

Every screen shares one frame: a top bar (title or store name, lamp), a device-problem
strip when something is wrong, the content, the action bar (buttons, always in the lower
part of the screen, the primary one on the right and biggest) and, in the simulator, the
key help at the very bottom. Three content layouts cover the screens: the basket (list
and total), a message (welcome, thank-you, closed) and the staff menu.
"""

from __future__ import annotations

import pygame

from ui.theme import Theme
from ui.view import ButtonView, LineView, ViewModel
from ui.widgets import Canvas, DrawnText, Fonts, HitBox

# the screens whose notice is a problem the shopper should notice (calm red panel)
PROBLEM_SCREENS = frozenset({"item-unknown", "payment-declined", "scanner-lost", "out-of-service"})
BASKET_SCREENS = frozenset({"scanning", "item-unknown", "paying", "payment-declined"})

# the renderer's own words; they move next to view.TITLES when the UI is translated
TOTAL = "Total"
EARLIER = "{n} earlier items"
EARLIER_ONE = "1 earlier item"
EMPTY_BASKET = "No items scanned yet"
DEVICES_OK = "All devices working"
DEVICES = "Status"
SALE_LINES = "Sale: {n} lines"
STAFF_BADGE = "Staff"


def hit_test(boxes: list[HitBox], pos: tuple[int, int]) -> str | None:
    """The button under `pos`, or None."""
    for box in boxes:
        if box.rect.collidepoint(pos):
            return box.button_id
    return None


class Renderer:
    """Draws onto `surface`; sizes come from the surface, so it fits any window."""

    def __init__(self, surface: pygame.Surface, *, high_contrast: bool = False) -> None:
        self.surface = surface
        width, height = surface.get_size()
        self.theme = Theme.for_size(width, height, high_contrast=high_contrast)
        self.fonts = Fonts()
        self.texts: list[DrawnText] = []
        self.hit_boxes: list[HitBox] = []

    def draw(self, vm: ViewModel) -> list[HitBox]:
        t = self.theme
        c = Canvas(self.surface, t, self.fonts)
        c.fill(self.surface.get_rect(), t.palette.background)
        layout = _layout_for(vm)
        top = self._top_bar(c, vm, layout)
        bottom = t.height
        if vm.help_strip:
            bottom -= t.help_h
            self._help_strip(c, vm.help_strip, pygame.Rect(0, bottom, t.width, t.help_h))
        if vm.problems and layout != "staff":
            self._problem_strip(c, vm.problems, pygame.Rect(0, top, t.width, t.strip_h))
            top += t.strip_h
        content = pygame.Rect(t.pad, top + t.gap, t.width - 2 * t.pad, bottom - top - 2 * t.gap)
        boxes: list[HitBox] = []
        if vm.buttons:
            rows = self._button_rows(vm.buttons, content.width)
            height = len(rows) * t.button_h + (len(rows) - 1) * t.gap
            bar = pygame.Rect(content.x, content.bottom - height, content.width, height)
            boxes = self._actions(c, rows, bar)
            content.height -= height + t.gap
        if layout == "basket":
            self._basket_screen(c, vm, content)
        elif layout == "staff":
            self._staff_screen(c, vm, content)
        else:
            self._message_screen(c, vm, content)
        self.texts = c.texts
        self.hit_boxes = boxes
        return boxes

    # -- frame ---------------------------------------------------------------------------

    def _top_bar(self, c: Canvas, vm: ViewModel, layout: str) -> int:
        """Heading left, lamp right; a heading too long for one line gets a second line
        (a taller bar) rather than an ellipsis or letters below body size."""
        t = self.theme
        radius = t.bar_h // 5
        lamp_x = t.width - t.pad - radius
        right = lamp_x - radius - t.gap
        font = self.fonts.get(t.body_px, True)
        badge_w = font.size(STAFF_BADGE)[0] if vm.staff and vm.screen != "staff" else 0
        if badge_w:
            right -= badge_w + 2 * t.gap
        heading = vm.store_name if layout == "message" else vm.title
        box_w = right - 2 * t.pad
        two_lines = font.size(heading)[0] > box_w
        step = font.get_linesize()
        height = max(t.bar_h, 2 * step + 2 * t.gap) if two_lines else t.bar_h
        bar = pygame.Rect(0, 0, t.width, height)
        c.fill(bar, t.palette.bar)
        if t.high_contrast:
            c.fill(pygame.Rect(0, bar.bottom - t.edge, t.width, t.edge), t.palette.on_bar)
        c.lamp((lamp_x, bar.centery), radius, t.lamp_rgb(vm.lamp.colour), vm.lamp.blinking)
        if badge_w:
            badge = pygame.Rect(lamp_x - radius - t.gap - badge_w, bar.y, badge_w, bar.height)
            c.text(STAFF_BADGE, badge, px=t.body_px, bold=True, pair="bar")
        if two_lines:
            box = pygame.Rect(t.pad, bar.centery - step, box_w, 2 * step)
            c.paragraph(heading, box, px=t.body_px, bold=True, pair="bar", max_lines=2)
        else:
            box = pygame.Rect(t.pad, bar.y, box_w, bar.height)
            c.fit_text(heading, box, px=t.title_px, min_px=t.body_px, bold=True, pair="bar")
        return bar.bottom

    def _problem_strip(self, c: Canvas, problems: tuple[str, ...], rect: pygame.Rect) -> None:
        t = self.theme
        p = t.palette
        c.fill(rect, p.problem)
        c.fill(pygame.Rect(rect.x, rect.bottom - t.edge, rect.width, t.edge), p.problem_edge)
        mark = pygame.Rect(t.pad, rect.y + rect.height // 4, t.edge * 2, rect.height // 2)
        c.fill(mark, p.problem_edge)
        box = pygame.Rect(mark.right + t.gap, rect.y, rect.right - mark.right - t.gap - t.pad, 0)
        box.height = rect.height - t.edge
        c.text("   ·   ".join(problems), box, px=t.body_px, pair="problem")

    def _help_strip(self, c: Canvas, keys: tuple[str, ...], rect: pygame.Rect) -> None:
        t = self.theme
        c.fill(rect, t.palette.strip)
        box = rect.inflate(-2 * t.pad, 0)
        text = "  ·  ".join(keys)
        c.fit_text(text, box, px=t.small_px, min_px=max(10, t.small_px - 4), pair="strip")

    def _button_rows(self, views: tuple[ButtonView, ...], width: int) -> list[list[ButtonView]]:
        """Secondary buttons first, primary ones last; two rows when one row would cut a label.

        The bottom row holds the last buttons, so a primary button stays bottom right.
        """
        t = self.theme
        ordered = [v for v in views if not v.primary] + [v for v in views if v.primary]
        if len(ordered) <= 2:
            return [ordered]
        font = self.fonts.get(t.body_px, True)
        cell = (width - (len(ordered) - 1) * t.gap) // len(ordered) - 2 * t.pad
        if all(font.size(v.label)[0] <= cell for v in ordered):
            return [ordered]
        per_row = (len(ordered) + 1) // 2
        return [ordered[: len(ordered) - per_row], ordered[len(ordered) - per_row :]]

    def _actions(self, c: Canvas, rows: list[list[ButtonView]], bar: pygame.Rect) -> list[HitBox]:
        """Lay the rows out in `bar`: one or two buttons leave an empty gap between them,
        so a tap meant for Help cannot land on Pay; more share the width equally."""
        t = self.theme
        placed: list[tuple[ButtonView, pygame.Rect]] = []
        y = bar.y
        columns = max(len(row) for row in rows)
        kinds = [v.primary for v in rows[0]]
        apart = len(rows) == 1 and kinds.count(True) <= 1 and kinds.count(False) <= 1
        for row in rows:
            if apart:
                secondary_w = max(t.touch_px, round(bar.width * 0.32))
                primary_w = max(t.touch_px, round(bar.width * 0.46))
                for v in row:
                    if v.primary:
                        rect = pygame.Rect(bar.right - primary_w, y, primary_w, t.button_h)
                    else:
                        rect = pygame.Rect(bar.x, y, secondary_w, t.button_h)
                    placed.append((v, rect))
            else:
                width = (bar.width - (columns - 1) * t.gap) // columns
                # the last row is right-aligned (primary bottom right), others left-aligned
                x = bar.x if row is not rows[-1] else bar.right - len(row) * (width + t.gap) + t.gap
                for v in row:
                    placed.append((v, pygame.Rect(x, y, width, t.button_h)))
                    x += width + t.gap
            y += t.button_h + t.gap
        return [c.button(v, r) for v, r in placed]

    # -- basket --------------------------------------------------------------------------

    def _basket_screen(self, c: Canvas, vm: ViewModel, content: pygame.Rect) -> None:
        t = self.theme
        if t.portrait:
            summary_h = self._summary_height(c, vm, content.width)
            summary = pygame.Rect(content.x, content.bottom - summary_h, content.width, summary_h)
            listing = pygame.Rect(content.x, content.y, content.width, 0)
            listing.height = summary.top - t.gap - content.y
        else:
            list_w = round(content.width * 0.58)
            listing = pygame.Rect(content.x, content.y, list_w, content.height)
            summary = pygame.Rect(listing.right + t.gap, content.y, 0, content.height)
            summary.width = content.right - summary.x
        self._basket_list(c, vm.lines, listing)
        self._summary(c, vm, summary)

    def _basket_list(self, c: Canvas, lines: tuple[LineView, ...], rect: pygame.Rect) -> None:
        t = self.theme
        p = t.palette
        c.fill(rect, p.panel, radius=t.radius)
        if t.high_contrast:
            c.outline(rect, p.outline, width=t.edge, radius=t.radius)
        inner = rect.inflate(-2 * t.pad, -2 * t.gap)
        if not lines:
            box = pygame.Rect(inner.x, inner.y, inner.width, t.row_h)
            c.text(EMPTY_BASKET, box, px=t.body_px, pair="muted")
            return
        rows = max(1, inner.height // t.row_h)
        shown = lines if len(lines) <= rows else lines[len(lines) - rows + 1 :]
        hidden = len(lines) - len(shown)
        font = self.fonts.get(t.body_px)
        amount_w = max(font.size(line.amount)[0] for line in shown)
        qty_w = max([font.size(line.quantity)[0] for line in shown if line.quantity] or [0])
        y = inner.y
        if hidden:
            label = EARLIER_ONE if hidden == 1 else EARLIER.format(n=hidden)
            box = pygame.Rect(inner.x, y, inner.width, t.row_h)
            c.text("↑ " + label, box, px=t.body_px, pair="muted")
            y += t.row_h
        for i, line in enumerate(shown):
            row = pygame.Rect(inner.x, y, inner.width, t.row_h)
            newest = i == len(shown) - 1
            pair = "body"
            if newest:
                c.fill(row.inflate(t.pad, 0), p.info, radius=t.radius // 2)
                if t.high_contrast:
                    c.outline(row.inflate(t.pad, 0), p.outline, width=t.edge, radius=t.radius // 2)
                pair = "info"
            elif i < len(shown) - 1:
                rule = pygame.Rect(row.x, row.bottom - 1, row.width, 1)
                c.fill(rule, p.strip)
            amount = pygame.Rect(row.right - amount_w, row.y, amount_w, row.height)
            c.text(line.amount, amount, px=t.body_px, pair=pair, align="right")
            name_right = amount.left - t.gap * 2
            if qty_w:
                qty = pygame.Rect(name_right - qty_w, row.y, qty_w, row.height)
                if line.quantity:
                    c.text(line.quantity, qty, px=t.body_px, pair=pair, align="right")
                name_right = qty.left - t.gap * 2
            name = pygame.Rect(row.x, row.y, name_right - row.x, row.height)
            c.text(line.name, name, px=t.body_px, pair=pair)
            y += t.row_h

    def _summary_height(self, c: Canvas, vm: ViewModel, width: int) -> int:
        """Portrait: the summary panel is as tall as its contents."""
        t = self.theme
        height = 2 * t.pad + self.fonts.get(t.total_px, True).get_height()
        if vm.savings:
            height += t.row_h
        if vm.notice:
            notice_w = width - 4 * t.pad
            height += t.gap + 2 * t.pad
            height += min(
                c.paragraph_height(vm.notice, notice_w, px=t.body_px),
                3 * self.fonts.get(t.body_px).get_linesize(),
            )
        return height

    def _summary(self, c: Canvas, vm: ViewModel, rect: pygame.Rect, caption: str = "") -> None:
        t = self.theme
        p = t.palette
        c.fill(rect, p.panel, radius=t.radius)
        if t.high_contrast:
            c.outline(rect, p.outline, width=t.edge, radius=t.radius)
        inner = rect.inflate(-2 * t.pad, -2 * t.pad)
        total_h = self.fonts.get(t.total_px, True).get_height()
        label_font = self.fonts.get(t.body_px)
        if t.portrait:
            label_w = label_font.size(TOTAL)[0]
            label = pygame.Rect(inner.x, inner.y, label_w, total_h)
            amount = pygame.Rect(label.right + t.gap, inner.y, inner.right - label.right - t.gap, 0)
            amount.height = total_h
            y = amount.bottom
        else:
            label = pygame.Rect(inner.x, inner.y, inner.width, label_font.get_height())
            amount = pygame.Rect(inner.x, label.bottom, inner.width, total_h)
            y = amount.bottom
        c.text(TOTAL, label, px=t.body_px, pair="muted")
        c.fit_text(
            vm.total, amount, px=t.total_px, min_px=t.body_px, bold=True, pair="body", align="right"
        )
        if vm.savings:
            box = pygame.Rect(inner.x, y, inner.width, t.row_h)
            c.text(vm.savings, box, px=t.body_px, pair="savings", align="right")
            y += t.row_h
        if caption:
            box = pygame.Rect(inner.x, y, inner.width, t.row_h)
            c.text(caption, box, px=t.body_px, pair="muted", align="right")
            y += t.row_h
        if vm.notice:
            box = pygame.Rect(inner.x, y + t.gap, inner.width, inner.bottom - y - t.gap)
            self._notice(c, vm.notice, box, problem=vm.screen in PROBLEM_SCREENS)

    def _notice(
        self, c: Canvas, text: str, rect: pygame.Rect, *, problem: bool, align: str = "left"
    ) -> None:
        """A notice panel, as tall as its text needs (at most `rect`)."""
        t = self.theme
        p = t.palette
        inner_w = rect.width - 2 * t.pad - (t.edge * 2 if problem else 0)
        text_h = c.paragraph_height(text, inner_w, px=t.body_px)
        height = min(rect.height, text_h + 2 * t.pad)
        if height < self.fonts.get(t.body_px).get_height() + t.pad:
            return
        panel = pygame.Rect(rect.x, rect.y, rect.width, height)
        fill, edge, pair = (
            (p.problem, p.problem_edge, "problem") if problem else (p.info, None, "info")
        )
        c.fill(panel, fill, radius=t.radius // 2)
        left = panel.x + t.pad
        if edge is not None:
            c.fill(pygame.Rect(panel.x, panel.y, t.edge * 2, panel.height), edge)
            left += t.edge * 2
        elif t.high_contrast:
            c.outline(panel, p.outline, width=t.edge, radius=t.radius // 2)
        box = pygame.Rect(left, panel.y + t.pad, inner_w, panel.height - 2 * t.pad)
        c.paragraph(text, box, px=t.body_px, pair=pair, align=align)

    # -- message and staff ---------------------------------------------------------------

    def _message_screen(self, c: Canvas, vm: ViewModel, content: pygame.Rect) -> None:
        """The title large and centred, the notice under it; a barcode on the welcome."""
        t = self.theme
        width = min(content.width, round(content.width * 0.9))
        x = content.centerx - width // 2
        hero = self.fonts.get(t.hero_px, True)
        title_h = c.paragraph_height(vm.title, width, px=t.hero_px, bold=True)
        title_h = min(title_h, 3 * hero.get_linesize())
        notice_h = 0
        if vm.notice:
            notice_h = t.gap * 3 + 2 * t.pad + c.paragraph_height(vm.notice, width, px=t.body_px)
        art_h = round(t.touch_px * 1.2) if vm.screen == "welcome" else 0
        block = art_h + (t.gap * 3 if art_h else 0) + title_h + notice_h
        y = content.y + max(0, (content.height - block) // 2)
        if art_h:
            art = pygame.Rect(content.centerx - art_h, y, art_h * 2, art_h)
            c.barcode(art, t.palette.muted)
            y += art_h + t.gap * 3
        title_box = pygame.Rect(x, y, width, min(title_h, content.bottom - y))
        used = c.paragraph(
            vm.title,
            title_box,
            px=t.hero_px,
            bold=True,
            pair="body-on-background",
            align="center",
            max_lines=3,
        )
        y += used
        if vm.notice:
            box = pygame.Rect(x, y + t.gap * 3, width, content.bottom - y - t.gap * 3)
            problem = vm.screen in PROBLEM_SCREENS or vm.screen == "thank-you"
            self._notice(c, vm.notice, box, problem=problem, align="center")

    def _staff_screen(self, c: Canvas, vm: ViewModel, content: pygame.Rect) -> None:
        """Device problems on the left (or "all working"), the sale on the right."""
        t = self.theme
        p = t.palette
        rows = vm.problems or (DEVICES_OK,)
        if t.portrait:
            # as tall as its rows (room for four), the sale below takes the rest
            height = 2 * t.pad + t.row_h * (1 + max(4, len(rows)))
            devices = pygame.Rect(content.x, content.y, content.width, height)
            sale = pygame.Rect(content.x, devices.bottom + t.gap, content.width, 0)
            sale.height = content.bottom - sale.y
        else:
            half = (content.width - t.gap) // 2
            devices = pygame.Rect(content.x, content.y, half, content.height)
            sale = pygame.Rect(devices.right + t.gap, content.y, half, content.height)
        c.fill(devices, p.panel, radius=t.radius)
        if t.high_contrast:
            c.outline(devices, p.outline, width=t.edge, radius=t.radius)
        inner = devices.inflate(-2 * t.pad, -2 * t.pad)
        heading = pygame.Rect(inner.x, inner.y, inner.width, t.row_h)
        c.text(DEVICES, heading, px=t.body_px, bold=True, pair="body")
        y = heading.bottom
        colour = p.lamp_red if vm.problems else p.lamp_green
        dot = max(4, t.body_px // 4)
        for row_text in rows:
            if y + t.row_h > inner.bottom:
                break
            row = pygame.Rect(inner.x, y, inner.width, t.row_h)
            pygame.draw.circle(c.surface, colour, (row.x + dot, row.centery), dot)
            box = pygame.Rect(row.x + dot * 2 + t.gap, row.y, row.width - dot * 2 - t.gap, 0)
            box.height = row.height
            c.text(row_text, box, px=t.body_px, pair="body")
            y += t.row_h
        self._summary(c, vm, sale, caption=SALE_LINES.format(n=len(vm.lines)))


def _layout_for(vm: ViewModel) -> str:
    if vm.screen == "staff":
        return "staff"
    if vm.screen in BASKET_SCREENS or (vm.screen == "scanner-lost" and vm.lines):
        return "basket"
    return "message"
