"""A QR code drawn as pygame rectangles: the qrcode package's module matrix, no image library.

Dark modules on white whatever the theme (phone cameras read dark-on-light codes; the
high-contrast theme's black background would swallow the quiet zone otherwise), with the
4-module quiet zone ISO/IEC 18004 asks for, and whole-pixel modules so none is blurred.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pygame
import qrcode
from qrcode.constants import ERROR_CORRECT_M

QUIET = 4  # modules of white around the code
DARK = (0, 0, 0)
LIGHT = (255, 255, 255)


@dataclass(frozen=True, slots=True)
class DrawnQr:
    """Where a code was drawn: its first module's top left, module size, modules a side."""

    data: str
    origin: tuple[int, int]
    module_px: int
    modules: int
    rect: pygame.Rect


@lru_cache(maxsize=8)
def matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """The code's modules, True for dark, without the quiet zone (error correction M)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(bool(m) for m in row) for row in code.get_matrix())


def side_px(data: str, room: int) -> int:
    """The drawn size (quiet zone included) that fits in a `room` px square."""
    n = len(matrix(data)) + 2 * QUIET
    return (room // n) * n


def draw(surface: pygame.Surface, data: str, rect: pygame.Rect) -> DrawnQr | None:
    """The code for `data`, as large as fits centred in `rect`; None if a module would be
    under 2 px (no phone reads that)."""
    rows = matrix(data)
    n = len(rows)
    module = min(rect.width, rect.height) // (n + 2 * QUIET)
    if module < 2:
        return None
    side = module * (n + 2 * QUIET)
    box = pygame.Rect(0, 0, side, side)
    box.center = rect.center
    pygame.draw.rect(surface, LIGHT, box)
    x0, y0 = box.x + QUIET * module, box.y + QUIET * module
    for r, row in enumerate(rows):
        c = 0
        while c < n:  # one rectangle per run of dark modules
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            run = pygame.Rect(x0 + start * module, y0 + r * module, (c - start) * module, module)
            pygame.draw.rect(surface, DARK, run)
    return DrawnQr(data, (x0, y0), module, n, box)


def read(surface: pygame.Surface, drawn: DrawnQr) -> tuple[tuple[bool, ...], ...]:
    """The modules as drawn, read back from the pixels at each module's centre."""
    x0, y0 = drawn.origin
    m = drawn.module_px
    half = m // 2
    return tuple(
        tuple(
            tuple(surface.get_at((x0 + c * m + half, y0 + r * m + half)))[:3] == DARK
            for c in range(drawn.modules)
        )
        for r in range(drawn.modules)
    )


def url_lines(font: pygame.font.Font, url: str, width: int) -> list[str]:
    """A link without spaces, broken into lines of `width`: after a '/', '-' or '.' where
    one is near the end of the line, else wherever the width runs out."""
    lines: list[str] = []
    rest = url
    while rest:
        n = len(rest)
        while n > 1 and font.size(rest[:n])[0] > width:
            n -= 1
        if n < len(rest):
            breaks = [i + 1 for i in range(n // 2, n) if rest[i] in "/-."]
            n = breaks[-1] if breaks else n
        lines.append(rest[:n])
        rest = rest[n:]
    return lines


def shown_link(url: str) -> str:
    """The link as a person reads it: without "https://"."""
    return url.removeprefix("https://")
