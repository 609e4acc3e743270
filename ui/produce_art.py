"""Draws the demo catalog's produce pictures (ui/assets/produce/*.png): simple shapes.

`python -m ui.produce_art` writes them again. A real store puts its own photos in the data
directory's pictures/ folder (docs/catalog.md); these only make the demo look like one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pygame

from ui.theme import ASSETS, RGB, hex_rgb

PRODUCE = ASSETS / "produce"
SIZE = 128

# file name → (shape, colour, second colour): the shape is one of the functions below
ART: dict[str, tuple[str, str, str]] = {
    "bananas.png": ("bananas", "#F4D03F", "#7D6608"),
    "apples.png": ("round", "#C0392B", "#27AE60"),
    "tomatoes.png": ("round", "#E74C3C", "#1E8449"),
    "potatoes.png": ("oval", "#B9935A", "#7E5B2E"),
    "carrots.png": ("carrot", "#E67E22", "#27AE60"),
    "onions.png": ("round", "#D4A373", "#8D5524"),
    "lemons.png": ("oval", "#F7DC6F", "#B7950B"),
    "limes.png": ("oval", "#7DCE5C", "#2E7D32"),
    "avocado.png": ("pear", "#3D5A1E", "#A9C46C"),
    "kiwi.png": ("slice", "#8E6E3E", "#7CB342"),
    "mango.png": ("oval", "#F5A623", "#D35400"),
    "cucumber.png": ("long", "#2E7D32", "#A5D6A7"),
    "lettuce.png": ("round", "#9CCC65", "#558B2F"),
    "pineapple.png": ("pineapple", "#E1A73B", "#2E7D32"),
}


def _round(s: pygame.Surface, main: RGB, other: RGB) -> None:
    pygame.draw.circle(s, main, (64, 70), 46)
    pygame.draw.circle(s, _lighter(main), (48, 54), 12)
    pygame.draw.ellipse(s, other, (62, 12, 26, 14))


def _oval(s: pygame.Surface, main: RGB, other: RGB) -> None:
    pygame.draw.ellipse(s, main, (14, 30, 100, 72))
    pygame.draw.ellipse(s, other, (14, 30, 100, 72), 3)
    pygame.draw.ellipse(s, _lighter(main), (34, 44, 26, 14))


def _long(s: pygame.Surface, main: RGB, other: RGB) -> None:
    pygame.draw.ellipse(s, main, (8, 46, 112, 40))
    for x in range(24, 110, 16):
        pygame.draw.circle(s, other, (x, 60), 3)


def _pear(s: pygame.Surface, main: RGB, other: RGB) -> None:
    pygame.draw.circle(s, main, (64, 80), 38)
    pygame.draw.circle(s, main, (64, 44), 26)
    pygame.draw.circle(s, other, (64, 82), 26)
    pygame.draw.circle(s, (120, 72, 30), (64, 86), 12)


def _slice(s: pygame.Surface, main: RGB, other: RGB) -> None:
    pygame.draw.circle(s, main, (64, 64), 50)
    pygame.draw.circle(s, other, (64, 64), 42)
    pygame.draw.circle(s, (240, 240, 220), (64, 64), 12)
    for i in range(12):
        v = pygame.math.Vector2(0, -24).rotate(i * 30)
        pygame.draw.circle(s, (30, 30, 30), (64 + int(v.x), 64 + int(v.y)), 3)


def _bananas(s: pygame.Surface, main: RGB, other: RGB) -> None:
    for dy in (0, 16, 32):
        rect = pygame.Rect(10, 4 + dy, 108, 90)
        pygame.draw.arc(s, main, rect, 3.5, 6.0, 16)
    pygame.draw.rect(s, other, (100, 58, 14, 10))


def _carrot(s: pygame.Surface, main: RGB, other: RGB) -> None:
    pygame.draw.polygon(s, main, [(40, 34), (88, 34), (64, 124)])
    for x in (52, 64, 76):
        pygame.draw.line(s, other, (64, 36), (x, 6), 6)


def _pineapple(s: pygame.Surface, main: RGB, other: RGB) -> None:
    pygame.draw.ellipse(s, main, (34, 44, 60, 80))
    for x in (50, 64, 78):
        pygame.draw.polygon(s, other, [(x - 8, 48), (x + 8, 48), (x, 6)])
    for y in range(56, 120, 14):
        pygame.draw.line(s, (150, 100, 30), (38, y), (90, y + 8), 2)


SHAPES = {
    "round": _round,
    "oval": _oval,
    "long": _long,
    "pear": _pear,
    "slice": _slice,
    "bananas": _bananas,
    "carrot": _carrot,
    "pineapple": _pineapple,
}


def _lighter(rgb: RGB) -> RGB:
    r, g, b = rgb
    return (min(255, r + 60), min(255, g + 60), min(255, b + 60))


def draw(name: str) -> pygame.Surface:
    shape, main, other = ART[name]
    surface = pygame.Surface((SIZE, SIZE), pygame.SRCALPHA)
    SHAPES[shape](surface, hex_rgb(main), hex_rgb(other))
    return surface


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else PRODUCE
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    out.mkdir(parents=True, exist_ok=True)
    for name in ART:
        pygame.image.save(draw(name), str(out / name))
        print(out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
