"""Golden images: every sample screen in every language at every size, drawn headless and
kept in tests/ui/golden as `<screen>-<lang>-<W>x<H>.png`; tests/ui/test_golden.py compares.

    python -m ui.golden update     (make golden) draw them all again; say which changed

A drawing matches its golden image when it is the same size and at most MAX_DIFFERING of
its pixels differ by more than CHANNEL_TOLERANCE in any colour channel: a pinned pygame
with its bundled font draws the same pixels every time (byte-identical PNGs), so the
slack is only for a library update's antialiasing, never for a moved box or a changed digit.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pygame

from ui.i18n import LANGUAGES
from ui.render import Renderer
from ui.shots import SAMPLES, sample_view_models
from ui.view import ViewModel

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "tests" / "ui" / "golden"
SIZES = ((800, 480), (1280, 800), (1080, 1920))
CHANNEL_TOLERANCE = 16  # out of 255, per red, green or blue
# of the pixels: 1 in 20,000 (19 at 800×480, 103 at 1080×1920). Not the 0.5 % one might
# guess: one changed digit of a price is 0.034 % of 800×480 and 0.011 % of 1080×1920
MAX_DIFFERING = 0.00005
UPDATE_COMMAND = "make golden  (.venv/bin/python -m ui.golden update)"
MARK = (255, 0, 255)  # differing pixels in a diff image


@dataclass(frozen=True, slots=True)
class Golden:
    screen: str
    language: str
    size: tuple[int, int]

    @property
    def filename(self) -> str:
        width, height = self.size
        return f"{self.screen}-{self.language}-{width}x{height}.png"


@dataclass(frozen=True, slots=True)
class Difference:
    """How a drawing differs from its golden image."""

    same_size: bool
    differing: int  # pixels off by more than CHANNEL_TOLERANCE
    pixels: int

    @property
    def fraction(self) -> float:
        return self.differing / self.pixels if self.pixels else 1.0

    @property
    def matches(self) -> bool:
        return self.same_size and self.fraction <= MAX_DIFFERING

    @property
    def identical(self) -> bool:
        return self.same_size and self.differing == 0


def goldens() -> Iterator[Golden]:
    """Every golden image there should be: each sample × language × size."""
    for screen in SAMPLES:
        for language in LANGUAGES:
            for size in SIZES:
                yield Golden(screen, language, size)


def draw(vm: ViewModel, size: tuple[int, int]) -> pygame.Surface:
    if not pygame.font.get_init():
        pygame.font.init()
    surface = pygame.Surface(size)
    Renderer(surface).draw(vm)
    return surface


def compare(drawn: pygame.Surface, golden: pygame.Surface) -> Difference:
    if drawn.get_size() != golden.get_size():
        return Difference(False, drawn.get_width() * drawn.get_height(), 0)
    pixels = drawn.get_width() * drawn.get_height()
    threshold = (CHANNEL_TOLERANCE, CHANNEL_TOLERANCE, CHANNEL_TOLERANCE, 255)
    # counts the pixels within the threshold of the golden pixel at the same place
    alike = pygame.transform.threshold(None, drawn, None, threshold, None, 0, golden)
    return Difference(True, pixels - int(alike), pixels)


def diff_image(drawn: pygame.Surface, golden: pygame.Surface) -> pygame.Surface:
    """The drawing faded to a third, each pixel that differs from the golden one in magenta."""
    out = drawn.copy()
    veil = pygame.Surface(out.get_size())
    veil.fill((255, 255, 255))
    veil.set_alpha(170)
    out.blit(veil, (0, 0))
    if drawn.get_size() == golden.get_size():
        threshold = (CHANNEL_TOLERANCE, CHANNEL_TOLERANCE, CHANNEL_TOLERANCE, 255)
        # set_behavior 1 with inverse_set False marks the pixels outside the threshold
        pygame.transform.threshold(out, drawn, None, threshold, MARK, 1, golden, False)
    return out


def update(golden_dir: Path = GOLDEN_DIR) -> list[str]:
    """Draw every golden image again; write the new and changed ones, delete the stale
    ones; one line per file touched."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    golden_dir.mkdir(parents=True, exist_ok=True)
    models = {language: sample_view_models(language=language) for language in LANGUAGES}
    wanted = set()
    report = []
    for golden in goldens():
        path = golden_dir / golden.filename
        wanted.add(path.name)
        drawn = draw(models[golden.language][golden.screen], golden.size)
        if path.exists():
            difference = compare(drawn, pygame.image.load(str(path)))
            if difference.identical:
                continue  # the same pixels: keep the file, no churn in git
            report.append(f"changed {path.name}: {difference.fraction:.2%} of pixels differ")
        else:
            report.append(f"new     {path.name}")
        pygame.image.save(drawn, str(path))
    for path in sorted(golden_dir.glob("*.png")):
        if path.name not in wanted:
            path.unlink()
            report.append(f"removed {path.name}: no such sample")
    return report


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["update"]:
        print("usage: python -m ui.golden update", file=sys.stderr)
        return 2
    report = update()
    for line in report:
        print(line)
    print(f"{len(report)} golden images changed in {GOLDEN_DIR}" if report else "all unchanged")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
