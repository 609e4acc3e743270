"""The shopper's language: chosen on the welcome screen, kept for the sale, then the
kiosk's own again (ui.language, through the app's Touchscreen and a simulated kiosk)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pygame

from appliance.bootstrap import Kiosk, build
from appliance.config import Config
from appliance.core import buttons
from appliance.core.events import KeyPosition
from appliance.core.state import Checkout
from appliance.money import format_minor
from appliance.shell.clock import SystemClock
from ui import language
from ui.app import Touchscreen, _handle
from ui.i18n import LANGUAGE_BUTTON
from ui.render import Renderer

MILK = "5900012345074"


def make_kiosk(tmp_path: Path, locale: str = "en_GB") -> Kiosk:
    base = Config()
    config = replace(
        base,
        kiosk=replace(base.kiosk, data_dir=str(tmp_path), locale=locale),
        broker=replace(base.broker, enabled=False),
    )
    return build(config, SystemClock(), sim=True, terminal_delay_s=0.0)


def settle(kiosk: Kiosk, done: Callable[[], bool]) -> None:
    give_up = time.monotonic() + 5.0
    while not done() and time.monotonic() < give_up:
        kiosk.run_once(0.02)
    assert done()


def tap(screen: Touchscreen, button: str, arg: str = "") -> None:
    screen.draw()
    (box,) = [b for b in screen.renderer.hit_boxes if (b.button_id, b.arg) == (button, arg)]
    click = {"pos": box.rect.center, "button": 1, "touch": False}
    _handle(screen, pygame.event.Event(pygame.MOUSEBUTTONDOWN, click))
    screen.kiosk.run_once(0)


def drawn(screen: Touchscreen) -> list[str]:
    screen.draw()
    return [t.text for t in screen.renderer.texts]


def test_polski_on_welcome_speaks_polish_for_the_sale_and_english_after_it(
    tmp_path: Path,
) -> None:
    """GIVEN an English kiosk on its welcome screen WHEN the shopper touches "Polski" and
    scans milk THEN the scanning screen is Polish (title, buttons, the total's label);
    WHEN they pay and touch Done THEN the next shopper's welcome is English again."""
    kiosk = make_kiosk(tmp_path)
    try:
        kiosk.start()
        surface = pygame.Surface((800, 480))
        screen = Touchscreen(kiosk, surface, Renderer(surface))
        assert screen.view().title == "Scan your first item to start"
        tap(screen, LANGUAGE_BUTTON, "pl")
        assert screen.view().title == "Zeskanuj pierwszy artykuł, aby zacząć"
        assert kiosk.loop.rejected == []

        assert kiosk.sim is not None
        kiosk.sim.scanner.scan(MILK)
        settle(kiosk, lambda: kiosk.state.basket.item_count == 1)
        vm = screen.view()
        assert vm.screen == "scanning" and vm.language == "pl"
        assert vm.title == "Zeskanuj kolejny artykuł albo zapłać"
        texts = drawn(screen)
        assert {"Zapłać", "Pomoc", "Razem"} <= set(texts), texts
        assert "Pay" not in texts
        # money as on the shelf labels: the kiosk's locale, whatever the language
        assert vm.total == format_minor(349, "PLN", "en_GB") and vm.total in texts

        tap(screen, buttons.PAY)
        settle(kiosk, lambda: kiosk.state.checkout is Checkout.THANK_YOU)
        assert screen.view().title == "Dziękujemy!", "the whole sale is in Polish"
        tap(screen, buttons.DONE)
        settle(kiosk, lambda: kiosk.state.checkout is Checkout.WELCOME)
        vm = screen.view()
        assert vm.language == "en" and vm.title == "Scan your first item to start"
        assert kiosk.state.sales_committed == 1
    finally:
        kiosk.close()


def test_a_polish_kiosk_starts_in_polish_and_english_lasts_one_sale(tmp_path: Path) -> None:
    """GIVEN kiosk.locale pl_PL THEN the welcome is Polish; English chosen and the sale
    cancelled by staff THEN Polish again."""
    kiosk = make_kiosk(tmp_path, locale="pl_PL")
    try:
        kiosk.start()
        surface = pygame.Surface((800, 480))
        screen = Touchscreen(kiosk, surface, Renderer(surface))
        assert screen.view().language == "pl"
        tap(screen, LANGUAGE_BUTTON, "en")
        assert kiosk.sim is not None
        kiosk.sim.scanner.scan(MILK)
        settle(kiosk, lambda: kiosk.state.basket.item_count == 1)
        assert screen.view().title == "Scan your next item, or pay"
        # staff read the staff menu in the store's language, whatever the shopper chose
        kiosk.sim.gpio.turn_key(KeyPosition.STAFF)
        kiosk.sim.scanner.scan("STAFF-0042")
        settle(kiosk, lambda: kiosk.state.staff_id == "0042")
        assert screen.view().title == "Menu obsługi"
        tap(screen, buttons.STAFF_CANCEL_SALE)
        kiosk.sim.gpio.turn_key(KeyPosition.NORMAL)
        settle(kiosk, lambda: kiosk.state.key is KeyPosition.NORMAL)
        vm = screen.view()
        assert vm.screen == "welcome" and vm.language == "pl"
    finally:
        kiosk.close()


def test_a_choice_nobody_follows_up_goes_back_after_the_welcome_timeout() -> None:
    """GIVEN Deutsch chosen on the welcome WHEN nobody touches or scans for
    WELCOME_TIMEOUT_S THEN the kiosk's language is back; a touch in between keeps it."""
    choice = language.choose("de", at=100.0)
    held = language.follow(choice, on_welcome=True, at=100.0 + language.WELCOME_TIMEOUT_S - 1)
    assert language.shown(held, "en", "welcome") == "de"
    kept = language.touched(held, at=150.0)
    assert language.follow(kept, on_welcome=True, at=200.0).language == "de"
    gone = language.follow(choice, on_welcome=True, at=100.0 + language.WELCOME_TIMEOUT_S)
    assert language.shown(gone, "en", "welcome") == "en"


def test_staff_screens_stay_in_the_kiosks_language() -> None:
    choice = language.choose("de", at=0.0)
    assert language.shown(choice, "pl", "scanning") == "de"
    for screen in ("staff", "refund", "report"):
        assert language.shown(choice, "pl", screen) == "pl"
