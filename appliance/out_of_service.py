"""`kiosk out-of-service`: the lane's sign when the kiosk itself cannot run.

systemd starts it (systemd/kiosk-out-of-service.service) once kiosk.service has failed too
often to be restarted. It lights the tower red and fills the screen with "Out of service"
until it is stopped, which starting the kiosk again does. It must show something even when
the cause of the failure is a broken config, a missing GPIO chip or no display: each
output is tried on its own, and what cannot be shown is logged, not fatal.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance import config as config_mod
from appliance.config import Config
from appliance.core.signals import Colour, Lamp

if TYPE_CHECKING:  # pygame and gpiozero load only when the sign goes up, not for every command
    import pygame

    from drivers.gpio import GpioLightTower

TITLE = "Out of service"
HINT = "Please use another till"
BACKGROUND = (176, 0, 0)
INK = (255, 255, 255)
POLL_S = 0.25
"""How often the sign looks for a stop (SIGTERM arrives as pygame's QUIT event)."""

log = logging.getLogger("kiosk.out_of_service")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cmd = sub.add_parser(
        "out-of-service",
        help="red tower and an out-of-service screen until stopped (after the kiosk failed)",
    )
    cmd.add_argument("--config", type=Path, action="append", help="extra TOML file")
    cmd.add_argument("--headless", action="store_true", help="SDL's dummy video driver")
    cmd.add_argument("--screenshot", type=Path, help="save the sign as PNG on exit")
    cmd.add_argument("--show-for", type=float, help="stop after this many seconds (demos)")


def run_from_args(args: argparse.Namespace) -> int:
    files = [config_mod.SYSTEM_FILE, config_mod.BOOT_FILE, *(args.config or [])]
    try:
        config = config_mod.load(files)
    except config_mod.ConfigError as exc:
        # a broken config may be why the kiosk failed: the sign still goes up, on defaults
        log.error("configuration error, showing the sign with default pins: %s", exc)
        config = Config()
    stop = None
    if args.show_for is not None:
        ends_at = time.monotonic() + args.show_for
        stop = lambda: time.monotonic() >= ends_at  # noqa: E731
    return show(config, headless=args.headless, screenshot=args.screenshot, stop=stop)


def pin_factory(config: Config) -> Any | None:
    """The real pins, or None: the simulator has no tower to light."""
    if config.devices.gpio == "sim":
        return None
    from gpiozero.pins.lgpio import LGPIOFactory

    return LGPIOFactory()


def show(
    config: Config,
    *,
    factory: Any | None = None,
    headless: bool = False,
    screenshot: Path | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Red tower, red screen, until SIGTERM (or `stop()` says so). `factory`: the pin
    factory (default: the configured one; none for the simulator)."""
    import pygame

    tower = _red_tower(config, factory)
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    try:
        screen = _open_screen(config, headless)
        if screen is not None:
            draw(screen)
            pygame.display.flip()
        log.info(
            "out-of-service sign up (screen: %s, tower: %s)", screen is not None, tower is not None
        )
        _wait(stop or (lambda: False), screen is not None)
        if screen is not None and screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            pygame.image.save(screen, str(screenshot))
    finally:
        pygame.quit()
        if tower is not None:
            tower.close()
    return 0


def draw(surface: pygame.Surface) -> None:
    """The sign: white words on red, as large as the screen allows."""
    from ui.widgets import Fonts

    surface.fill(BACKGROUND)
    width, height = surface.get_size()
    fonts = Fonts()
    title = _fitted(fonts, TITLE, width * 9 // 10, height // 4, bold=True)
    hint = _fitted(fonts, HINT, width * 9 // 10, height // 9, bold=False)
    title_img = title.render(TITLE, True, INK)
    hint_img = hint.render(HINT, True, INK)
    gap = hint.get_height() // 2
    top = (height - title_img.get_height() - gap - hint_img.get_height()) // 2
    surface.blit(title_img, title_img.get_rect(midtop=(width // 2, top)))
    surface.blit(
        hint_img, hint_img.get_rect(midtop=(width // 2, top + title_img.get_height() + gap))
    )


def _fitted(fonts: Any, text: str, width: int, px: int, *, bold: bool) -> pygame.font.Font:
    font = fonts.get(px, bold)
    while px > 8 and font.size(text)[0] > width:
        px = px * 9 // 10
        font = fonts.get(px, bold)
    return font  # type: ignore[no-any-return]


def _red_tower(config: Config, factory: Any | None) -> GpioLightTower | None:
    from drivers.gpio import GpioLightTower

    try:
        factory = factory if factory is not None else pin_factory(config)
        if factory is None:
            return None
        tower = GpioLightTower(config.gpio, factory)
        tower.show(Lamp(Colour.RED))
        return tower
    except Exception as exc:  # the screen must still go up: log why the lamp cannot
        log.error("light tower not lit: %s", exc)
        return None


def _open_screen(config: Config, headless: bool) -> pygame.Surface | None:
    import pygame

    try:
        pygame.display.init()
        pygame.font.init()
        if headless:
            return pygame.display.set_mode((config.ui.width, config.ui.height))
        screen = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)  # the display's own size
        pygame.mouse.set_visible(False)
        return screen
    except pygame.error as exc:  # the tower alone still says it
        log.error("no screen for the out-of-service sign: %s", exc)
        return None


def _wait(stop: Callable[[], bool], with_screen: bool) -> None:
    import pygame

    while not stop():
        if not with_screen:
            time.sleep(POLL_S)
            continue
        for event in pygame.event.get():
            if event.type == pygame.QUIT:  # SDL turns SIGTERM and SIGINT into QUIT
                return
            if event.type in (pygame.WINDOWEXPOSED, pygame.VIDEOEXPOSE):
                pygame.display.flip()
        pygame.time.wait(int(POLL_S * 1000))
