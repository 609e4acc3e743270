"""The pygame shell against a whole simulated kiosk: keys reach the twins, touches the core."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pygame
import pytest

import ui.app
from appliance.bootstrap import Kiosk, build
from appliance.config import Config
from appliance.core import buttons
from appliance.core.events import KeyPosition, PaperState
from appliance.core.state import Checkout
from appliance.money import format_minor
from appliance.shell.clock import SystemClock
from ui import staff_input
from ui.app import Touchscreen, _handle, run
from ui.render import Renderer
from ui.shots import sample_view_models
from ui.view import ViewModel, screen_for
from ui.widgets import HitBox

MILK = "5900012345074"  # "Whole milk 1 l" in the demo catalog
SETTLE_S = 2.0  # an upper bound for GPIO twin callbacks, never a speed requirement


def make_kiosk(tmp_path: Path, *, thank_you_s: float = 5.0, terminal_delay_s: float = 0.0) -> Kiosk:
    base = Config()
    config = replace(
        base,
        kiosk=replace(base.kiosk, data_dir=str(tmp_path), thank_you_s=thank_you_s),
        broker=replace(base.broker, enabled=False),
    )
    return build(config, SystemClock(), sim=True, terminal_delay_s=terminal_delay_s)


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    k = make_kiosk(tmp_path)
    yield k
    k.close()


def key(code: int) -> pygame.event.Event:
    return pygame.event.Event(pygame.KEYDOWN, key=code, mod=0, unicode="", scancode=0)


def settle(kiosk: Kiosk, done: Callable[[], bool]) -> None:
    """Step the loop until `done()` (device callbacks may arrive on gpiozero's threads)."""
    give_up = time.monotonic() + SETTLE_S
    while not done() and time.monotonic() < give_up:
        kiosk.run_once(0.02)
    assert done()


def test_typed_barcode_reaches_the_scanning_screen_and_a_screenshot_is_saved(
    tmp_path: Path,
) -> None:
    """GIVEN a simulated kiosk and the digits of a demo product typed with Enter
    WHEN the app runs headless for a moment
    THEN the product is in the basket, the scanning screen shows, a PNG was saved."""
    kiosk = make_kiosk(tmp_path / "data")
    pygame.display.init()  # posting events needs the video subsystem
    for digit in MILK:
        pygame.event.post(key(getattr(pygame, f"K_{digit}")))
    pygame.event.post(key(pygame.K_RETURN))
    shot = tmp_path / "shot.png"

    assert run(kiosk, headless=True, screenshot=shot, run_for_s=0.5) == 0

    assert shot.exists() and shot.stat().st_size > 0
    assert screen_for(kiosk.state) == "scanning"
    assert [line.product.name for line in kiosk.state.basket.lines] == ["Whole milk 1 l"]
    assert pygame.image.load(str(shot)).get_size() == (800, 480)


def test_escape_quits_and_the_kiosk_is_closed(tmp_path: Path) -> None:
    kiosk = make_kiosk(tmp_path)
    pygame.display.init()
    pygame.event.post(key(pygame.K_ESCAPE))
    assert run(kiosk, headless=True, run_for_s=30) == 0
    assert kiosk._closed  # closed in the finally, the tower driven to its safe red


def test_a_scan_from_another_thread_wakes_the_loop(tmp_path: Path) -> None:
    """GIVEN the app running WHEN a device thread reports a scan and then Escape is posted
    from that thread THEN the scan is in the basket (posting from threads is allowed)."""
    kiosk = make_kiosk(tmp_path)
    sim = kiosk.sim
    assert sim is not None

    def device_thread() -> None:
        time.sleep(0.2)
        sim.scanner.scan(MILK)
        time.sleep(0.2)
        pygame.event.post(key(pygame.K_ESCAPE))

    pygame.display.init()
    worker = threading.Thread(target=device_thread)
    worker.start()
    try:
        assert run(kiosk, headless=True, run_for_s=30) == 0
    finally:
        worker.join()
    assert kiosk.state.basket.item_count == 1


def test_a_whole_sale_by_touch_ends_back_on_the_welcome_screen(tmp_path: Path) -> None:
    """GIVEN a scanned item WHEN the shopper touches Pay and the terminal approves later
    (from its own thread) THEN thank-you shows, and its deadline brings back the welcome."""
    kiosk = make_kiosk(tmp_path, thank_you_s=1.0, terminal_delay_s=0.2)
    pay_at = _button_centre("scanning", buttons.PAY)
    seen: list[str] = []

    def shopper() -> None:
        for screen, then in (("scanning", pay_at), ("thank-you", None), ("welcome", None)):
            give_up = time.monotonic() + 10
            while screen_for(kiosk.state) != screen and time.monotonic() < give_up:
                time.sleep(0.01)
            seen.append(screen_for(kiosk.state))
            if then is not None:
                click = {"pos": then, "button": 1, "touch": False}
                pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, click))
        pygame.event.post(key(pygame.K_ESCAPE))

    pygame.display.init()
    for digit in MILK:
        pygame.event.post(key(getattr(pygame, f"K_{digit}")))
    pygame.event.post(key(pygame.K_RETURN))
    worker = threading.Thread(target=shopper)
    worker.start()
    try:
        run(kiosk, headless=True, run_for_s=30)
    finally:
        worker.join()
    assert seen == ["scanning", "thank-you", "welcome"]
    assert kiosk.state.sales_committed == 1


def _button_centre(screen: str, button_id: str) -> tuple[int, int]:
    """Where a button is on an 800×480 simulator frame (the action bar does not move)."""
    surface = pygame.Surface((800, 480))
    boxes = Renderer(surface).draw(sample_view_models(sim=True)[screen])
    (box,) = [b for b in boxes if b.button_id == button_id]
    return box.rect.center


class CountingRenderer(Renderer):
    frames: ClassVar[list[str]] = []

    def draw(self, vm: ViewModel) -> list[HitBox]:
        CountingRenderer.frames.append(vm.screen)
        return super().draw(vm)


def test_the_frame_is_drawn_again_only_when_the_view_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN an idle kiosk that gets one scan WHEN the app runs for over a second
    THEN exactly two frames were drawn: the welcome and the basket."""
    CountingRenderer.frames = []
    monkeypatch.setattr(ui.app, "Renderer", CountingRenderer)
    kiosk = make_kiosk(tmp_path)
    pygame.display.init()
    for digit in MILK:
        pygame.event.post(key(getattr(pygame, f"K_{digit}")))
    pygame.event.post(key(pygame.K_RETURN))
    run(kiosk, headless=True, run_for_s=1.5)
    assert CountingRenderer.frames == ["welcome", "scanning"]


def _screen(kiosk: Kiosk, size: tuple[int, int] = (800, 480)) -> Touchscreen:
    surface = pygame.Surface(size)
    touchscreen = Touchscreen(kiosk, surface, Renderer(surface))
    touchscreen.draw()
    return touchscreen


def click(at: tuple[int, int]) -> pygame.event.Event:
    return pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=at, button=1, touch=False)


def test_a_touch_on_a_button_becomes_a_touched_event(kiosk: Kiosk) -> None:
    """GIVEN the welcome screen WHEN the shopper touches Help THEN help is requested."""
    kiosk.start()
    screen = _screen(kiosk)
    (help_box,) = [b for b in screen.renderer.hit_boxes if b.button_id == buttons.HELP]
    x, y = help_box.rect.center
    touch = pygame.event.Event(pygame.FINGERDOWN, x=x / 800, y=y / 480, touch_id=0, finger_id=0)
    _handle(screen, touch)
    # the mouse click SDL makes from the same touch must not count twice
    echo = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1, touch=True)
    _handle(screen, echo)
    kiosk.run_once(0)
    assert kiosk.state.help_requested
    assert kiosk.loop.rejected == []


def test_a_mouse_click_outside_every_button_does_nothing(kiosk: Kiosk) -> None:
    kiosk.start()
    screen = _screen(kiosk)
    _handle(screen, click((400, 10)))
    kiosk.run_once(0)
    assert not kiosk.state.help_requested


def test_function_keys_drive_the_twins(kiosk: Kiosk) -> None:
    kiosk.start()
    sim = kiosk.sim
    assert sim is not None
    screen = _screen(kiosk)

    def press(code: int) -> None:
        _handle(screen, key(code))

    press(pygame.K_F2)
    settle(kiosk, lambda: kiosk.state.key is KeyPosition.STAFF)
    press(pygame.K_F2)
    settle(kiosk, lambda: kiosk.state.key is KeyPosition.NORMAL)
    press(pygame.K_F3)
    assert sim.gpio.drawer_open
    press(pygame.K_F3)
    assert not sim.gpio.drawer_open
    press(pygame.K_F4)
    assert sim.printer.paper is PaperState.OUT
    press(pygame.K_F4)
    assert sim.printer.paper is PaperState.OK
    press(pygame.K_F5)
    assert not sim.scanner.plugged
    settle(kiosk, lambda: screen_for(kiosk.state) == "scanner-lost")
    press(pygame.K_F5)
    assert sim.scanner.plugged
    press(pygame.K_F6)
    settle(kiosk, lambda: kiosk.state.help_requested)


def test_without_the_simulator_the_keyboard_does_nothing(kiosk: Kiosk) -> None:
    kiosk.start()
    sim = kiosk.sim
    assert sim is not None
    screen = _screen(kiosk)
    kiosk.sim = None  # as on a real kiosk: touch only
    for digit in MILK:
        _handle(screen, key(getattr(pygame, f"K_{digit}")))
    _handle(screen, key(pygame.K_RETURN))
    _handle(screen, key(pygame.K_F5))
    kiosk.run_once(0)
    assert sim.scanner.scans == [] and sim.scanner.plugged
    assert kiosk.state.checkout is Checkout.WELCOME


def _signed_in_with_milk(kiosk: Kiosk) -> None:
    """GIVEN a simulated kiosk with milk scanned, the staff key turned and a badge scanned."""
    kiosk.start()
    sim = kiosk.sim
    assert sim is not None
    sim.scanner.scan(MILK)
    settle(kiosk, lambda: kiosk.state.basket.item_count == 1)
    sim.gpio.turn_key(KeyPosition.STAFF)
    settle(kiosk, lambda: kiosk.state.key is KeyPosition.STAFF)
    sim.scanner.scan("STAFF-0042")
    settle(kiosk, lambda: kiosk.state.staff_id == "0042")


def tap(screen: Touchscreen, button: str, arg: str = "") -> None:
    """Draw the frame, touch the centre of `button` (with `arg`), let the core step."""
    screen.draw()
    (box,) = [b for b in screen.renderer.hit_boxes if (b.button_id, b.arg) == (button, arg)]
    _handle(screen, click(box.rect.center))
    screen.kiosk.run_once(0)


@pytest.mark.parametrize("size", [(800, 480), (1080, 1920)], ids=["800x480", "portrait"])
def test_staff_change_a_price_by_touch_alone(kiosk: Kiosk, size: tuple[int, int]) -> None:
    """WHEN staff touch Change a price, the milk's row, 2 9 9, OK and "Damaged"
    THEN the core lowers the price (nothing refused) and the staff menu is back."""
    _signed_in_with_milk(kiosk)
    screen = _screen(kiosk, size)
    tap(screen, buttons.STAFF_OVERRIDE_PRICE)
    assert screen.view().screen == "staff-pick-line"
    tap(screen, staff_input.LINE, "1")
    for digit in "299":
        tap(screen, staff_input.KEY, digit)
    money = format_minor(299, kiosk.state.rules.currency, kiosk.config.kiosk.locale)
    assert screen.view().total == money  # the keypad shows the price typed, as money
    tap(screen, staff_input.OK)
    tap(screen, staff_input.REASON, "Damaged")
    assert kiosk.loop.rejected == []
    assert kiosk.state.basket.lines[0].unit_price_minor == 299
    assert screen.view().screen == "staff"


def test_staff_void_a_line_by_touch_and_the_key_turned_back_ends_a_flow(kiosk: Kiosk) -> None:
    _signed_in_with_milk(kiosk)
    sim = kiosk.sim
    assert sim is not None
    screen = _screen(kiosk)
    tap(screen, buttons.STAFF_OVERRIDE_PRICE)
    tap(screen, staff_input.CANCEL)
    assert screen.view().screen == "staff"
    tap(screen, buttons.STAFF_VOID_LINE)
    tap(screen, staff_input.LINE, "1")
    assert kiosk.loop.rejected == []
    assert kiosk.state.basket.lines[0].voided

    sim.scanner.scan(MILK)
    settle(kiosk, lambda: kiosk.state.basket.item_count == 1)
    tap(screen, buttons.STAFF_OVERRIDE_PRICE)
    tap(screen, staff_input.LINE, "2")
    assert screen.view().screen == "staff-price"
    sim.gpio.turn_key(KeyPosition.NORMAL)
    settle(kiosk, lambda: kiosk.state.key is KeyPosition.NORMAL)
    assert screen.view().screen == "scanning"
    assert screen.input.step is staff_input.Step.MENU


def test_an_unchanged_kiosk_is_not_made_into_a_view_again(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The idle loop asks for the view 20 times a second: GIVEN a kiosk whose state did not
    change WHEN the view is asked for again THEN it is the same view, made once; a scan (a
    new state) makes a new one."""
    made: list[str] = []
    real = ui.app.view_model

    def counting(*args: object, **kwargs: object) -> ViewModel:
        vm = real(*args, **kwargs)  # type: ignore[arg-type]
        made.append(vm.screen)
        return vm

    monkeypatch.setattr(ui.app, "view_model", counting)
    kiosk.start()
    settle(kiosk, lambda: not kiosk.state.devices.drawer_open)
    screen = _screen(kiosk)
    first = screen.view()
    assert all(screen.view() is first for _ in range(50))
    assert made == ["welcome"]  # the one made by _screen's draw
    assert kiosk.sim is not None
    kiosk.sim.scanner.scan(MILK)
    settle(kiosk, lambda: kiosk.state.basket.item_count == 1)
    assert screen.view().screen == "scanning" and made[-1] == "scanning"
    assert screen.view() is screen.view() and made.count("scanning") == 1


def test_browsing_the_look_up_keeps_the_idle_prompt_away(kiosk: Kiosk) -> None:
    """GIVEN milk in the basket WHEN the shopper opens the look-up and turns its page (a
    touch the UI keeps to itself) THEN the core hears ShopperActive: its idle clock starts
    again from that touch, so "Still there?" does not close the look-up under them."""
    kiosk.start()
    sim = kiosk.sim
    assert sim is not None
    sim.scanner.scan(MILK)
    settle(kiosk, lambda: kiosk.state.basket.item_count == 1)
    screen = _screen(kiosk)
    tap(screen, buttons.LOOK_UP)
    assert screen.view().screen == "lookup"
    before = kiosk.state.last_input_at
    assert before is not None
    time.sleep(0.01)  # the touch must come later than the scan, on the kiosk's clock
    tap(screen, staff_input.PAGE_ON)
    assert screen.view().screen == "lookup" and kiosk.loop.rejected == []
    assert kiosk.state.last_input_at is not None and kiosk.state.last_input_at > before
