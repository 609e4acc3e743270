"""`kiosk out-of-service`: what kiosk-out-of-service.service shows once the kiosk has failed
for good: the tower red and the whole screen red with the words, until it is stopped.
Headless (SDL's dummy driver), the tower on gpiozero's MockFactory (drivers/sim/gpio_sim.py)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pygame
import pytest

from appliance import out_of_service
from appliance.cli import main
from appliance.config import Config, GpioSection
from drivers.sim.gpio_sim import SimGpioBench


@pytest.fixture(autouse=True)
def _headless(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")


def _red_share(png: Path) -> float:
    """The share of the picture that is the sign's red."""
    image = pygame.image.load(str(png))
    width, height = image.get_size()
    points = [(x, y) for x in range(0, width, 8) for y in range(0, height, 8)]
    red = sum(1 for p in points if tuple(image.get_at(p))[:3] == out_of_service.BACKGROUND)
    return red / len(points)


def test_the_tower_goes_red_and_the_screen_says_out_of_service(tmp_path: Path) -> None:
    """GIVEN the kiosk's pins on the mock factory WHEN the sign goes up THEN red lamp only,
    no buzzer, and a red screen with white words on it."""
    bench = SimGpioBench(GpioSection())
    shot = tmp_path / "sign.png"
    seen: list[dict[str, bool]] = []

    def stop() -> bool:
        seen.append(bench.lamp_pins())
        return True

    try:
        code = out_of_service.show(
            Config(), factory=bench.factory, headless=True, screenshot=shot, stop=stop
        )
        assert code == 0
        assert seen[0] == {"red": True, "amber": False, "green": False}
        assert not bench.buzzing
    finally:
        bench.close()
    share = _red_share(shot)
    assert 0.7 < share < 1.0, f"{share:.0%} red: the sign should fill the screen, with words"
    assert pygame.image.load(str(shot)).get_size() == (800, 480)


def test_the_words_fit_a_small_screen(tmp_path: Path) -> None:
    surface = pygame.Surface((320, 240))
    pygame.font.init()
    out_of_service.draw(surface)
    assert tuple(surface.get_at((2, 2)))[:3] == out_of_service.BACKGROUND
    inked = [
        x
        for x in range(320)
        if any(tuple(surface.get_at((x, y)))[:3] == (255, 255, 255) for y in range(240))
    ]
    assert inked and min(inked) > 0 and max(inked) < 319, "the words are cut at the edges"


def test_no_gpio_still_puts_the_screen_up(tmp_path: Path) -> None:
    """A missing GPIO chip may be why the kiosk failed: the sign must not fail on it too."""

    class Broken:
        def __getattr__(self, name: str) -> object:
            raise RuntimeError("no /dev/gpiochip0")

    shot = tmp_path / "sign.png"
    code = out_of_service.show(
        Config(), factory=Broken(), headless=True, screenshot=shot, stop=lambda: True
    )
    assert code == 0 and _red_share(shot) > 0.7


def test_the_command_runs_on_the_simulator_with_a_broken_config(tmp_path: Path) -> None:
    """`kiosk out-of-service` on the sim config lights nothing; a config it cannot read
    still gives the sign (on default settings)."""
    sim = tmp_path / "sim.toml"
    sim.write_text('[devices]\ngpio = "sim"\n')
    shot = tmp_path / "sign.png"
    args = ["out-of-service", "--headless", "--show-for", "0.1", "--screenshot", str(shot)]
    assert main([*args, "--config", str(sim)]) == 0
    assert _red_share(shot) > 0.7
    broken = tmp_path / "broken.toml"
    broken.write_text('[devices]\ngpio = "sim"\nno_such_key = 1\n')
    shot.unlink()
    assert main([*args, "--config", str(sim), "--config", str(broken)]) == 0
    assert shot.exists()


def test_sigterm_takes_the_sign_down_cleanly(tmp_path: Path) -> None:
    """GIVEN the sign up in its own process WHEN systemd stops it (SIGTERM) THEN it exits 0
    at once: starting the kiosk again must not wait for TimeoutStopSec."""
    sim = tmp_path / "sim.toml"
    sim.write_text('[devices]\ngpio = "sim"\n')
    shot = tmp_path / "sign.png"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    command = [sys.executable, "-m", "appliance", "out-of-service", "--headless"]
    sign = subprocess.Popen(
        [*command, "--config", str(sim), "--screenshot", str(shot)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert sign.stderr is not None
        said = b""
        deadline = time.monotonic() + 30
        while b"sign up" not in said:  # SDL has started and turns SIGTERM into QUIT
            assert time.monotonic() < deadline and sign.poll() is None, said.decode()
            if select.select([sign.stderr], [], [], 0.1)[0]:
                said += os.read(sign.stderr.fileno(), 4096)
        sign.send_signal(signal.SIGTERM)
        assert sign.wait(timeout=5) == 0
        assert shot.exists(), "the sign was up when it was stopped"
    finally:
        if sign.poll() is None:
            sign.kill()
            sign.wait()
        for stream in (sign.stdout, sign.stderr):
            if stream:
                stream.close()
