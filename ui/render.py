"""Draws one ViewModel as one frame and returns where its buttons are. Decides nothing.

Every screen shares one frame: a top bar (title or store name, lamp), a device-problem
strip on the shoppers' screens when something is wrong, the content, the action bar
(buttons, always in the lower two thirds of the screen, the primary one bottom right) and,
in the simulator, the key help at the very bottom. The shoppers' content is the basket
(list and total) or a message (welcome, thank-you, closed); the staff screens (menu, line
lists, keypad, reasons, report) are drawn by ui.render_staff.
"""

from __future__ import annotations

import pygame

from ui import qr, render_ereceipt, render_lookup, render_staff
from ui.i18n import N_, N_plural, words
from ui.panels import action_bar, max_columns, notice, panel, summary, summary_height
from ui.theme import Theme
from ui.view import LineView, ViewModel, waiting_for
from ui.widgets import Canvas, DrawnText, Fonts, HitBox

# the screens whose notice is a problem the shopper should notice (calm red panel)
PROBLEM_SCREENS = frozenset({"item-unknown", "payment-declined", "scanner-lost", "out-of-service"})
BASKET_SCREENS = frozenset({"scanning", "item-unknown", "paying", "payment-declined"})

# the renderer's own words, translated as they are drawn (Canvas.tr)
EARLIER = N_plural("{n} earlier item", "{n} earlier items")
EMPTY_BASKET = N_("No items scanned yet")
STAFF_BADGE = N_("Staff")


def hit_box_at(boxes: list[HitBox], pos: tuple[int, int]) -> HitBox | None:
    """The hit box under `pos` (with what it acts on), or None."""
    for box in boxes:
        if box.rect.collidepoint(pos):
            return box
    return None


def hit_test(boxes: list[HitBox], pos: tuple[int, int]) -> str | None:
    """The button under `pos`, or None."""
    box = hit_box_at(boxes, pos)
    return None if box is None else box.button_id


def strip_problems(vm: ViewModel) -> tuple[str, ...]:
    """The problems the shoppers' strip shows: a pending check is not one (it has its calm
    amber note by the total), though staff see it in their status list."""
    tr = words(vm.language)
    waiting = {tr.text(waiting_for(detail)) for detail in vm.pending}
    return tuple(p for p in vm.problems if p not in waiting)


class Renderer:
    """Draws onto `surface`; sizes come from the surface, so it fits any window."""

    def __init__(self, surface: pygame.Surface, *, high_contrast: bool = False) -> None:
        self.surface = surface
        width, height = surface.get_size()
        self.theme = Theme.for_size(width, height, high_contrast=high_contrast)
        self.fonts = Fonts()
        self.texts: list[DrawnText] = []
        self.hit_boxes: list[HitBox] = []
        # the QR code drawn on the last frame (the e-receipt screen), for tests to read
        self.drawn_qr: qr.DrawnQr | None = None

    def draw(self, vm: ViewModel) -> list[HitBox]:
        t = self.theme
        c = Canvas(self.surface, t, self.fonts, tr=words(vm.language))
        c.fill(self.surface.get_rect(), t.palette.background)
        layout = layout_for(vm)
        self.drawn_qr = None
        top = self._top_bar(c, vm, layout)
        bottom = t.height
        if vm.help_strip:
            bottom -= t.help_h
            self._help_strip(c, vm.help_strip, pygame.Rect(0, bottom, t.width, t.help_h))
        problems = strip_problems(vm)
        if problems and layout in ("basket", "message", "qr"):
            self._problem_strip(c, problems, pygame.Rect(0, top, t.width, t.strip_h))
            top += t.strip_h
        content = pygame.Rect(t.pad, top + t.gap, t.width - 2 * t.pad, bottom - top - 2 * t.gap)
        if layout in render_staff.OWN_BUTTONS:
            boxes = render_staff.OWN_BUTTONS[layout](c, vm, content)
        elif layout in render_lookup.OWN_BUTTONS:
            boxes = render_lookup.OWN_BUTTONS[layout](c, vm, content)
        else:
            columns = max_columns(c, staff=layout not in ("basket", "message"))
            if vm.screen == "welcome":
                columns = min(columns, 3)  # Help, Look up above; the languages a row below
            boxes, content = action_bar(c, list(vm.buttons), content, columns=columns)
            if layout == "basket":
                self._basket_screen(c, vm, content)
            elif layout == "staff":
                render_staff.staff_menu(c, vm, content)
            elif layout == "report":
                render_staff.report(c, vm, content)
            elif layout == "qr":
                self.drawn_qr = render_ereceipt.ereceipt(c, vm, content)
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
        badge = c.tr(STAFF_BADGE)
        badge_w = font.size(badge)[0] if vm.staff and vm.screen != "staff" else 0
        if badge_w:
            right -= badge_w + 2 * t.gap
        heading = vm.store_name if layout in ("message", "qr") else vm.title
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
            badge_box = pygame.Rect(lamp_x - radius - t.gap - badge_w, bar.y, badge_w, bar.height)
            c.text(badge, badge_box, px=t.body_px, bold=True, pair="bar")
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

    # -- basket --------------------------------------------------------------------------

    def _basket_screen(self, c: Canvas, vm: ViewModel, content: pygame.Rect) -> None:
        t = self.theme
        if t.portrait:
            # as tall as it needs, but the list keeps room for a few lines
            wanted = summary_height(c, vm, content.width)
            summary_h = min(wanted, content.height - 4 * t.row_h - 2 * t.gap - t.gap)
            side = pygame.Rect(content.x, content.bottom - summary_h, content.width, summary_h)
            listing = pygame.Rect(content.x, content.y, content.width, 0)
            listing.height = side.top - t.gap - content.y
        else:
            list_w = round(content.width * 0.58)
            listing = pygame.Rect(content.x, content.y, list_w, content.height)
            side = pygame.Rect(listing.right + t.gap, content.y, 0, content.height)
            side.width = content.right - side.x
        self._basket_list(c, vm.lines, listing)
        summary(c, vm, side, problem=vm.screen in PROBLEM_SCREENS)

    def _basket_list(self, c: Canvas, lines: tuple[LineView, ...], rect: pygame.Rect) -> None:
        t = self.theme
        p = t.palette
        panel(c, rect)
        inner = rect.inflate(-2 * t.pad, -2 * t.gap)
        if not lines:
            box = pygame.Rect(inner.x, inner.y, inner.width, t.row_h)
            c.text(c.tr(EMPTY_BASKET), box, px=t.body_px, pair="muted")
            return
        rows = max(1, inner.height // t.row_h)
        shown = lines if len(lines) <= rows else lines[len(lines) - rows + 1 :]
        hidden = len(lines) - len(shown)
        font = self.fonts.get(t.body_px)
        amount_w = max(font.size(line.amount)[0] for line in shown)
        qty_w = max([font.size(line.quantity)[0] for line in shown if line.quantity] or [0])
        y = inner.y
        if hidden:
            label = c.tr.plural(*EARLIER, hidden)
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

    # -- message -------------------------------------------------------------------------

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
            notice(c, vm.notice, box, kind="problem" if problem else "info", align="center")


def layout_for(vm: ViewModel) -> str:
    staff = render_staff.layout_for(vm.screen) or render_lookup.layout_for(vm.screen)
    if staff:
        return staff
    if vm.screen in BASKET_SCREENS or (vm.screen == "scanner-lost" and vm.lines):
        return "basket"
    if vm.qr:
        return "qr"
    return "message"
