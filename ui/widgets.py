"""Drawing primitives that never overflow: text cut with an ellipsis, wrapped, or shrunk to fit.

Every text drawn is recorded with the box it was given (`Canvas.texts`), so tests can
check that nothing spills out of its box or over another text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pygame

from ui.i18n import Words, words
from ui.theme import FONT_BOLD, FONT_REGULAR, RGB, Theme
from ui.view import ButtonView

ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class DrawnText:
    """What was drawn where: `rect` the glyphs, `box` the room given, `size_px` the em size."""

    text: str
    rect: pygame.Rect
    box: pygame.Rect
    size_px: int
    pair: str


@dataclass(frozen=True, slots=True)
class HitBox:
    """Where a touch means `button_id`; `arg` is what it acts on (a line number, a digit)."""

    button_id: str
    rect: pygame.Rect
    arg: str = ""


def _default_font_file() -> Path:
    # pygame.font.Font(None, n) shrinks n by 0.6875; loading the file by path keeps px honest
    return Path(pygame.__file__).parent / pygame.font.get_default_font()


class Fonts:
    """Fonts by (px, bold), loaded once. Falls back to pygame's bundled bold sans."""

    def __init__(self) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        fallback = _default_font_file()
        self._files = {
            False: FONT_REGULAR if FONT_REGULAR.exists() else fallback,
            True: FONT_BOLD if FONT_BOLD.exists() else fallback,
        }
        self._cache: dict[tuple[int, bool], pygame.font.Font] = {}

    def get(self, px: int, bold: bool = False) -> pygame.font.Font:
        key = (max(1, px), bold)
        font = self._cache.get(key)
        if font is None:
            font = pygame.font.Font(str(self._files[bold]), key[0])
            self._cache[key] = font
        return font


def text_width(font: pygame.font.Font, text: str) -> int:
    return int(font.size(text)[0])


def ellipsize(font: pygame.font.Font, text: str, width: int) -> str:
    """The longest start of `text` that fits `width` with "…" after it ("" if nothing fits)."""
    if text_width(font, text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # largest n with text[:n] + "…" fitting
        mid = (lo + hi + 1) // 2
        if text_width(font, text[:mid].rstrip() + ELLIPSIS) <= width:
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:
        return ELLIPSIS if text_width(font, ELLIPSIS) <= width else ""
    return text[:lo].rstrip() + ELLIPSIS


def wrap(font: pygame.font.Font, text: str, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap into at most `max_lines`; the last line gets "…" when text is left."""
    if max_lines <= 0:
        return []
    lines: list[str] = []
    current = ""
    # split at spaces only: a no-break space ("2,98 zł") keeps an amount with its currency
    words = text.replace("\n", " ").split(" ")
    words = [word for word in words if word]
    for i, word in enumerate(words):
        candidate = f"{current} {word}" if current else word
        if text_width(font, candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        if len(lines) == max_lines - 1:
            rest = " ".join(words[i:])
            return [*lines, ellipsize(font, rest, width)]
    if current:
        lines.append(ellipsize(font, current, width))
    return lines


@dataclass
class Canvas:
    """A surface, its theme and fonts; draws and records."""

    surface: pygame.Surface
    theme: Theme
    fonts: Fonts
    texts: list[DrawnText] = field(default_factory=list)
    # the frame's language: the renderer's own words go through it (ui.i18n)
    tr: Words = field(default_factory=lambda: words("en"))

    def colours(self, pair: str) -> tuple[RGB, RGB]:
        return self.theme.palette.text_pairs()[pair]

    def fill(self, rect: pygame.Rect, colour: RGB, *, radius: int = 0) -> None:
        pygame.draw.rect(self.surface, colour, rect, border_radius=radius)

    def outline(self, rect: pygame.Rect, colour: RGB, *, width: int, radius: int = 0) -> None:
        pygame.draw.rect(self.surface, colour, rect, width=width, border_radius=radius)

    def text(
        self,
        text: str,
        box: pygame.Rect,
        *,
        px: int,
        bold: bool = False,
        pair: str = "body",
        align: str = "left",
    ) -> DrawnText | None:
        """One line in `box`, vertically centred, cut with "…" if too wide."""
        font = self.fonts.get(px, bold)
        if font.get_height() > box.height:
            return None
        shown = ellipsize(font, text, box.width)
        if not shown:
            return None
        fg, _ = self.colours(pair)
        image = font.render(shown, True, fg)
        rect = image.get_rect()
        # SDL_ttf draws a few accented capitals a pixel above the font's height (Ż in bold
        # at 30 px): that pixel row of the accent is dropped rather than leave the box
        area = pygame.Rect(0, max(0, rect.height - box.height), rect.width, 0)
        area.height = rect.height - area.y
        rect.height = area.height
        rect.centery = box.centery
        if align == "right":
            rect.right = box.right
        elif align == "center":
            rect.centerx = box.centerx
        else:
            rect.left = box.left
        self.surface.blit(image, rect, area)
        drawn = DrawnText(shown, rect, box.copy(), px, pair)
        self.texts.append(drawn)
        return drawn

    def fit_text(
        self,
        text: str,
        box: pygame.Rect,
        *,
        px: int,
        min_px: int,
        bold: bool = False,
        pair: str = "body",
        align: str = "left",
    ) -> DrawnText | None:
        """Like text(), but shrinks the font (down to min_px) before cutting: for amounts."""
        size = px
        while size > min_px:
            font = self.fonts.get(size, bold)
            if text_width(font, text) <= box.width and font.get_height() <= box.height:
                break
            size -= 1
        return self.text(text, box, px=size, bold=bold, pair=pair, align=align)

    def paragraph(
        self,
        text: str,
        box: pygame.Rect,
        *,
        px: int,
        bold: bool = False,
        pair: str = "body",
        align: str = "left",
        max_lines: int = 99,
    ) -> int:
        """Wrapped text from the top of `box`; returns the height used."""
        font = self.fonts.get(px, bold)
        step = font.get_linesize()
        fits = max(0, (box.height - font.get_height()) // step + 1) if box.height else 0
        lines = wrap(font, text, box.width, min(max_lines, fits))
        for i, line in enumerate(lines):
            slot = pygame.Rect(box.x, box.y + i * step, box.width, font.get_height())
            self.text(line, slot, px=px, bold=bold, pair=pair, align=align)
        return (len(lines) - 1) * step + font.get_height() if lines else 0

    def paragraph_height(self, text: str, width: int, *, px: int, bold: bool = False) -> int:
        """How tall paragraph() would be with unlimited lines."""
        font = self.fonts.get(px, bold)
        lines = wrap(font, text, width, 99)
        return (len(lines) - 1) * font.get_linesize() + font.get_height() if lines else 0

    def button(self, view: ButtonView, rect: pygame.Rect, *, enabled: bool = True) -> HitBox:
        """A button; a disabled one is drawn flat and muted (its HitBox is for layout only:
        callers leave it out of what they return)."""
        t = self.theme
        p = t.palette
        if not enabled:
            pair = "muted-on-background"
            self.outline(rect, p.strip, width=t.edge, radius=t.radius)
        elif view.primary:
            pair = "primary"
            self.fill(rect, p.accent, radius=t.radius)
        else:
            pair = "secondary"
            self.fill(rect, p.button, radius=t.radius)
            self.outline(rect, p.outline, width=t.edge, radius=t.radius)
        inner = rect.inflate(-2 * t.pad, -2 * t.edge)
        self.label(view.label, inner, pair=pair)
        return HitBox(view.button_id, rect.copy(), view.arg)

    def label(self, text: str, box: pygame.Rect, *, pair: str) -> None:
        """A button label: one line, shrunk to body size if need be; then two lines (a
        long label in a narrow grid cell) before any "…"."""
        t = self.theme
        body = self.fonts.get(t.body_px, True)
        two_lines = body.get_linesize() + body.get_height() <= box.height
        if text_width(body, text) > box.width and " " in text and two_lines:
            height = self.paragraph_height(text, box.width, px=t.body_px, bold=True)
            height = min(height, body.get_linesize() + body.get_height())
            slot = pygame.Rect(box.x, box.centery - height // 2, box.width, height)
            self.paragraph(
                text, slot, px=t.body_px, bold=True, pair=pair, align="center", max_lines=2
            )
            return
        self.fit_text(
            text, box, px=t.button_px, min_px=t.body_px, bold=True, pair=pair, align="center"
        )

    def lamp(self, centre: tuple[int, int], radius: int, colour: RGB, blinking: bool) -> None:
        """The light tower in miniature: a dot; a blinking lamp is drawn as a ring."""
        p = self.theme.palette
        pygame.draw.circle(self.surface, p.lamp_ring, centre, radius)
        ring = max(2, radius // 6)
        if blinking:
            pygame.draw.circle(self.surface, colour, centre, radius - ring)
            pygame.draw.circle(self.surface, p.lamp_ring, centre, radius // 2)
        else:
            pygame.draw.circle(self.surface, colour, centre, radius - ring)

    def barcode(self, rect: pygame.Rect, colour: RGB) -> None:
        """A decorative barcode pictogram (welcome screen): bar, space, bar, ... in units."""
        pattern = (2, 1, 1, 2, 3, 1, 1, 1, 2, 2, 1, 3, 1, 1, 2, 1, 3, 2, 1, 1, 2, 1, 1)
        unit = max(1, rect.width // sum(pattern))
        x = rect.centerx - unit * sum(pattern) // 2
        for i, units in enumerate(pattern):
            if i % 2 == 0:
                pygame.draw.rect(self.surface, colour, (x, rect.y, units * unit, rect.height))
            x += units * unit
