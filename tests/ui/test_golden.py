"""Every sample screen in every language at every size looks as its golden image does
(tests/ui/golden, kept by `make golden`; ui/golden.py says what "looks as" allows).

A failed comparison leaves the new drawing and a diff image (differing pixels in magenta)
in pytest's temporary directory and names them: look at both, then run `make golden` if
the change is meant, look at the changed PNGs and commit them with the change.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from pathlib import Path

import pygame
import pytest

from ui.golden import (
    GOLDEN_DIR,
    MAX_DIFFERING,
    SIZES,
    UPDATE_COMMAND,
    Golden,
    compare,
    diff_image,
    draw,
    goldens,
)
from ui.i18n import LANGUAGES
from ui.shots import SAMPLES, sample_view_models
from ui.view import ViewModel

SCREENS_DOC = Path(__file__).resolve().parents[2] / "docs" / "screens.md"


@cache
def samples(language: str) -> dict[str, ViewModel]:
    return sample_view_models(language=language)


def _params() -> list[object]:
    return [pytest.param(g, id=g.filename.removesuffix(".png")) for g in goldens()]


@pytest.mark.parametrize("golden", _params())
def test_the_screen_looks_as_its_golden_image(golden: Golden, tmp_path: Path) -> None:
    """GIVEN a sample screen in a language WHEN drawn headless at a size THEN it is the
    size of its golden image and no more than 1 pixel in 20,000 differs visibly."""
    path = GOLDEN_DIR / golden.filename
    assert path.exists(), f"no golden image {path.name}: run {UPDATE_COMMAND}"
    drawn = draw(samples(golden.language)[golden.screen], golden.size)
    expected = pygame.image.load(str(path))
    difference = compare(drawn, expected)
    if difference.matches:
        return
    new = tmp_path / f"new-{golden.filename}"
    diff = tmp_path / f"diff-{golden.filename}"
    pygame.image.save(drawn, str(new))
    pygame.image.save(diff_image(drawn, expected), str(diff))
    what = (
        f"{difference.fraction:.2%} of pixels differ (at most {MAX_DIFFERING:.3%} may)"
        if difference.same_size
        else f"drawn {drawn.get_size()}, golden {expected.get_size()}"
    )
    pytest.fail(
        f"{golden.filename}: {what}\n  new drawing: {new}\n  diff image:  {diff}\n"
        f"  if the change is meant: {UPDATE_COMMAND}, look at the PNGs, commit them"
    )


def test_every_sample_screen_has_its_golden_images() -> None:
    """GIVEN a new sample screen (or language, or size) THEN the suite fails until its
    golden images are drawn and committed."""
    missing = [g.filename for g in goldens() if not (GOLDEN_DIR / g.filename).exists()]
    assert not missing, f"no golden image for {missing}: run {UPDATE_COMMAND}"


def test_every_golden_image_is_a_sample_screen() -> None:
    """GIVEN a sample renamed or removed THEN its old golden images fail the suite: stale."""
    wanted = {g.filename for g in goldens()}
    stale = sorted(p.name for p in GOLDEN_DIR.iterdir() if p.name not in wanted)
    assert not stale, f"stale golden files {stale}: run {UPDATE_COMMAND}"


def test_the_goldens_cover_every_sample_language_and_size() -> None:
    assert len(list(goldens())) == len(SAMPLES) * len(LANGUAGES) * 3
    assert set(sample_view_models()) == set(SAMPLES)


def test_a_drawing_is_the_same_pixels_every_time() -> None:
    """The golden images hold only because drawing is deterministic: same model, same
    pixels, twice in one process."""
    vm = samples("pl")["lookup"]
    first, second = draw(vm, (800, 480)), draw(vm, (800, 480))
    assert compare(first, second).identical


def test_changed_words_fail_the_comparison_and_the_diff_marks_it() -> None:
    """The tolerance lets antialiasing noise through, not a changed screen: another
    sample's drawing does not match, and its diff image has magenta where they differ."""
    welcome = draw(samples("en")["welcome"], (800, 480))
    german = draw(samples("de")["welcome"], (800, 480))
    difference = compare(german, welcome)
    assert difference.same_size and not difference.matches
    marked = pygame.transform.threshold(
        None, diff_image(german, welcome), (255, 0, 255), (0, 0, 0, 255), None, 0
    )
    assert marked == difference.differing
    assert not compare(german, draw(samples("de")["welcome"], (1280, 800))).same_size


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_one_changed_digit_of_a_price_fails_the_comparison(size: tuple[int, int]) -> None:
    """GIVEN the basket with one line's price a grosz lower WHEN compared with the real
    one THEN it does not match, at every size: the tolerance hides no changed figure."""
    vm = samples("en")["scanning"]
    lines = list(vm.lines)
    lines[-2] = replace(lines[-2], amount=lines[-2].amount.replace("9,99", "9,98"))
    assert lines[-2] != vm.lines[-2]
    changed = replace(vm, lines=tuple(lines))
    assert not compare(draw(changed, size), draw(vm, size)).matches


def test_the_screens_doc_shows_every_sample() -> None:
    """docs/screens.md has a section for every sample with its 800x480 English image."""
    text = SCREENS_DOC.read_text(encoding="utf-8")
    sections = set(re.findall(r"^### `([a-z0-9-]+)`", text, flags=re.MULTILINE))
    assert sections == set(SAMPLES)
    for screen in SAMPLES:
        assert f"(screens/{screen}-800x480.png)" in text, screen
