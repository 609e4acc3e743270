"""Colours, font sizes and spacing in one place, scaled from the window size (pure; no pygame).

Sizes are set for the official Raspberry Pi 7" touch display (800×480, active area
154.08 × 85.92 mm, so about 5.2 px/mm). The brief assumed ~7 px/mm, where 9 mm is 64 px;
on the real panel 64 px is about 12 mm, so a 64 px touch target clears the 9 mm minimum
on either figure. Body text is 24 px (em size) there.

Bigger windows scale with the square root of the pixel ratio, not linearly: a 1920×1080
kiosk is usually a bigger panel too (15.6" is about 5.6 px/mm), so letters grow a little
and the extra pixels go to more basket lines. Smaller windows shrink linearly, because
nothing else would fit.

Colours: a neutral background, one accent for the primary action, red only for problems,
amber for a check that staff will do (the light tower's amber: nothing is wrong yet).
Every text colour the renderer uses is named in `Palette.text_pairs()` with the background
it sits on, so one test checks them all against WCAG AA (4.5:1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

RGB = tuple[int, int, int]

BASE_WIDTH = 800
BASE_HEIGHT = 480
ASSETS = Path(__file__).parent / "assets"
# DejaVu Sans (Bitstream Vera licence, ui/assets/LICENSE-DejaVu.txt): covers Polish and
# German letters. The renderer falls back to pygame's bundled freesansbold.ttf, which
# covers ą ę ł ż ü ö too, when these files are missing.
FONT_REGULAR = ASSETS / "DejaVuSans.ttf"
FONT_BOLD = ASSETS / "DejaVuSans-Bold.ttf"


def hex_rgb(code: str) -> RGB:
    code = code.lstrip("#")
    return (int(code[0:2], 16), int(code[2:4], 16), int(code[4:6], 16))


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(rgb: RGB) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""
    r, g, b = (_channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg: RGB, bg: RGB) -> float:
    """WCAG 2.x contrast ratio, 1.0 (none) to 21.0 (black on white)."""
    hi, lo = sorted((relative_luminance(fg), relative_luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True, slots=True)
class Palette:
    background: RGB
    panel: RGB
    text: RGB
    muted: RGB
    bar: RGB
    on_bar: RGB
    accent: RGB
    on_accent: RGB
    button: RGB
    on_button: RGB
    outline: RGB
    savings: RGB
    info: RGB
    on_info: RGB
    problem: RGB
    on_problem: RGB
    problem_edge: RGB
    pending: RGB
    on_pending: RGB
    pending_edge: RGB
    strip: RGB
    on_strip: RGB
    lamp_green: RGB
    lamp_amber: RGB
    lamp_red: RGB
    lamp_off: RGB
    lamp_ring: RGB

    def text_pairs(self) -> dict[str, tuple[RGB, RGB]]:
        """Every (text colour, background) the renderer draws, by the name it uses."""
        return {
            "body": (self.text, self.panel),
            "body-on-background": (self.text, self.background),
            "muted": (self.muted, self.panel),
            "muted-on-background": (self.muted, self.background),
            "bar": (self.on_bar, self.bar),
            "primary": (self.on_accent, self.accent),
            "secondary": (self.on_button, self.button),
            "savings": (self.savings, self.panel),
            "info": (self.on_info, self.info),
            "problem": (self.on_problem, self.problem),
            "pending": (self.on_pending, self.pending),
            "strip": (self.on_strip, self.strip),
        }

    def edge_pairs(self) -> dict[str, tuple[RGB, RGB]]:
        """Outlines and marks that must be seen (WCAG 1.4.11 asks 3:1 for these)."""
        return {
            "button-outline": (self.outline, self.background),
            "primary-button": (self.accent, self.background),
            "problem-edge": (self.problem_edge, self.problem),
            "pending-edge": (self.pending_edge, self.pending),
            "lamp-ring": (self.lamp_ring, self.bar),
        }


CALM = Palette(
    background=hex_rgb("#EEF1F4"),
    panel=hex_rgb("#FFFFFF"),
    text=hex_rgb("#1A1F24"),
    muted=hex_rgb("#56616C"),
    bar=hex_rgb("#1F3A4D"),
    on_bar=hex_rgb("#FFFFFF"),
    accent=hex_rgb("#00639A"),
    on_accent=hex_rgb("#FFFFFF"),
    button=hex_rgb("#FFFFFF"),
    on_button=hex_rgb("#1A1F24"),
    outline=hex_rgb("#56616C"),
    savings=hex_rgb("#1E6B35"),
    info=hex_rgb("#E6F0F8"),
    on_info=hex_rgb("#1A1F24"),
    problem=hex_rgb("#FDEDED"),
    on_problem=hex_rgb("#7F1D1D"),
    problem_edge=hex_rgb("#B3261E"),
    pending=hex_rgb("#FFF4D8"),
    on_pending=hex_rgb("#4D3800"),
    pending_edge=hex_rgb("#A87400"),
    strip=hex_rgb("#DDE2E7"),
    on_strip=hex_rgb("#333B44"),
    lamp_green=hex_rgb("#2E9E4A"),
    lamp_amber=hex_rgb("#F2A900"),
    lamp_red=hex_rgb("#D32F2F"),
    lamp_off=hex_rgb("#8A96A3"),
    lamp_ring=hex_rgb("#FFFFFF"),
)

HIGH_CONTRAST = Palette(
    background=hex_rgb("#000000"),
    panel=hex_rgb("#000000"),
    text=hex_rgb("#FFFFFF"),
    muted=hex_rgb("#E0E0E0"),
    bar=hex_rgb("#000000"),
    on_bar=hex_rgb("#FFFFFF"),
    accent=hex_rgb("#FFD400"),
    on_accent=hex_rgb("#000000"),
    button=hex_rgb("#000000"),
    on_button=hex_rgb("#FFFFFF"),
    outline=hex_rgb("#FFFFFF"),
    savings=hex_rgb("#7CFC9A"),
    info=hex_rgb("#000000"),
    on_info=hex_rgb("#FFFFFF"),
    problem=hex_rgb("#000000"),
    on_problem=hex_rgb("#FF8A80"),
    problem_edge=hex_rgb("#FF5252"),
    pending=hex_rgb("#000000"),
    on_pending=hex_rgb("#FFD400"),
    pending_edge=hex_rgb("#FFD400"),
    strip=hex_rgb("#1A1A1A"),
    on_strip=hex_rgb("#FFFFFF"),
    lamp_green=hex_rgb("#00E676"),
    lamp_amber=hex_rgb("#FFD400"),
    lamp_red=hex_rgb("#FF5252"),
    lamp_off=hex_rgb("#9E9E9E"),
    lamp_ring=hex_rgb("#FFFFFF"),
)


@dataclass(frozen=True, slots=True)
class Theme:
    """Sizes in pixels for one window, and the palette.

    Font sizes are em sizes in px. `touch_px` is the least height (and width) of any
    button; `pad` is the inner margin of panels, `gap` the space between blocks.
    """

    width: int
    height: int
    scale: float
    palette: Palette
    high_contrast: bool
    body_px: int
    small_px: int
    title_px: int
    hero_px: int
    total_px: int
    button_px: int
    touch_px: int
    button_h: int
    row_h: int
    bar_h: int
    strip_h: int
    help_h: int
    pad: int
    gap: int
    radius: int
    edge: int

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    @classmethod
    def for_size(cls, width: int, height: int, *, high_contrast: bool = False) -> Theme:
        if width <= 0 or height <= 0:
            raise ValueError(f"window size must be positive, got {width}×{height}")
        # portrait screens are measured against the portrait base (480×800)
        base_w, base_h = (BASE_HEIGHT, BASE_WIDTH) if height > width else (BASE_WIDTH, BASE_HEIGHT)
        ratio = min(width / base_w, height / base_h)
        k = math.sqrt(ratio) if ratio >= 1 else ratio

        def px(value: float) -> int:
            return max(1, round(value * k))

        body = px(24)
        return cls(
            width=width,
            height=height,
            scale=k,
            palette=HIGH_CONTRAST if high_contrast else CALM,
            high_contrast=high_contrast,
            body_px=body,
            small_px=px(16),
            title_px=px(26),
            hero_px=px(40),
            total_px=px(40),
            button_px=px(26),
            touch_px=px(64),
            button_h=px(68),
            row_h=px(36),
            bar_h=px(52),
            strip_h=px(36),
            help_h=px(26),
            pad=px(12),
            gap=px(8),
            radius=px(10),
            edge=max(2, px(3)) if high_contrast else max(1, px(2)),
        )

    def lamp_rgb(self, colour: str) -> RGB:
        p = self.palette
        return {
            "green": p.lamp_green,
            "amber": p.lamp_amber,
            "red": p.lamp_red,
        }.get(colour, p.lamp_off)
