"""The pygame shell: owns the window, turns touches into Touched events, draws the state.

One thread. The main loop blocks on the kiosk's own inbox (`Kiosk.run_once`), where device
threads put their events, so a scan wakes it at once and its frame follows. SDL's queue
(touches, QUIT from SIGTERM) is read between waits, every POLL_ACTIVE_S for a few seconds
after any input and every POLL_IDLE_S otherwise: blocking in `pygame.event.wait` instead
would cost 4 % of a core doing nothing, because SDL's dummy and KMSDRM video drivers have no
real wait and poll every millisecond (bench/ui_idle.py). The frame is redrawn only when the
view model changes.

Staff input (which line to void, a new price and its reason, a terminal reference) is
the UI's own state (ui.staff_input): the app keeps it in `Touchscreen`, draws the flow's
screen, and only the flow's last touch reaches the core, as one Touched with its arg.
The shopper's lookup (ui.lookup_input: picture tiles, keyboard, PLU keypad) works the same
way; its answers come from the store through appliance.shell.lookup, asked on this thread.
So does the shopper's language (ui.language): chosen on the welcome screen, it picks the
catalogue and the money locale of every view model until the sale ends.

In the simulator the keyboard drives the twins (docs in ui.view.SIM_HELP); on a real
kiosk the keyboard does nothing, touch only.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pygame

from appliance.core import checkout
from appliance.core.events import KeyPosition, PaperState, ShopperActive, Touched
from appliance.core.state import Checkout, KioskState
from appliance.shell.lookup import ProduceLookup
from appliance.shell.notify import Notifier
from appliance.shell.store import StoreError
from ui import language, lookup_input, staff_input
from ui.i18n import LANGUAGE_BUTTON, language_of
from ui.lookup_input import LookupInput
from ui.produce_art import PRODUCE
from ui.render import Renderer, hit_box_at
from ui.staff_input import StaffInput
from ui.view import ViewModel, screen_for, view_model

if TYPE_CHECKING:
    from appliance.bootstrap import Kiosk, SimHardware

log = logging.getLogger(__name__)

IDLE_WAIT_MS = 1000
# how often SDL's queue is read: a touch waits at most this long before the core sees it
POLL_IDLE_S = 0.05
POLL_ACTIVE_S = 1 / 60
ACTIVE_FOR_S = 3.0  # after the last input, poll at the active rate this long
DIGIT_KEYS = {getattr(pygame, f"K_{d}"): str(d) for d in range(10)} | {
    getattr(pygame, f"K_KP{d}"): str(d) for d in range(10)
}
ENTER_KEYS = frozenset({pygame.K_RETURN, pygame.K_KP_ENTER})


def run(
    kiosk: Kiosk,
    *,
    headless: bool = False,
    screenshot: Path | None = None,
    run_for_s: float | None = None,
    high_contrast: bool = False,
    notifier: Notifier | None = None,
    after_start: Callable[[], None] | None = None,
) -> int:
    """Show the kiosk until the window closes (or SIGTERM: SDL turns it into QUIT), Escape
    in the simulator, or `run_for_s` (headless demos) ends. Always closes the kiosk."""
    if headless:
        # SDL reads these when the video and audio subsystems start, so before init
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ["SDL_AUDIODRIVER"] = "dummy"
    # this process's own clock, not the kiosk's: a simulated clock would never end the demo
    ends_at = None if run_for_s is None else time.monotonic() + run_for_s
    try:
        pygame.display.init()
        pygame.font.init()
        ui = kiosk.config.ui
        flags = pygame.FULLSCREEN if ui.fullscreen and not headless else 0
        screen = pygame.display.set_mode((ui.width, ui.height), flags)
        pygame.display.set_caption(f"kiosk: {kiosk.config.kiosk.store_name}")
        if flags & pygame.FULLSCREEN:
            pygame.mouse.set_visible(False)  # a touch kiosk shows no pointer
        kiosk.start()
        if after_start is not None:
            after_start()
        notifier = notifier or Notifier({})
        renderer = Renderer(screen, high_contrast=high_contrast)
        _main_loop(kiosk, screen, renderer, ends_at, notifier)
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            pygame.image.save(screen, str(screenshot))
    finally:
        kiosk.close()
        pygame.quit()
    return 0


class Touchscreen:
    """The window and the UI's own state: what was drawn from which view model, and the
    staff input flow or the shopper's lookup in progress. Only the main loop's thread uses
    it (and through it the store, for the lookup's answers: ui.lookup_input)."""

    def __init__(self, kiosk: Kiosk, surface: pygame.Surface, renderer: Renderer) -> None:
        self.kiosk = kiosk
        self.surface = surface
        self.renderer = renderer
        self.input = StaffInput()
        self.lookup = LookupInput()
        # the shopper's language (ui.language), and the kiosk's own (config kiosk.locale)
        self.choice = language.Choice()
        self.kiosk_language = language_of(kiosk.config.kiosk.locale)
        # the store's own pictures first (catalog imports), then the demo's
        pictures = (Path(kiosk.config.kiosk.data_dir) / "pictures", PRODUCE)
        self.finder = ProduceLookup(
            kiosk.store, wall_iso=kiosk.clock.wall_iso, picture_dirs=pictures
        )
        # the core's view model the current frame was made from: touches are read against
        # it, not against a state that moved on since the frame was drawn
        self.base: ViewModel | None = None
        # the last view made, by what it was made from: the state is immutable, so the same
        # object with the same input is the same view (the idle loop asks 20 times a second)
        self._made: _Made | None = None

    def view(self) -> ViewModel:
        """What to draw now: the core's view model, or an input flow's screen."""
        kiosk = self.kiosk
        state, before, looking = kiosk.state, self.input, self.lookup
        self.choice = language.follow(
            self.choice, on_welcome=state.checkout is Checkout.WELCOME, at=kiosk.clock.monotonic()
        )
        words = language.shown(self.choice, self.kiosk_language, screen_for(state))
        made = self._made
        # follow() is idempotent: its own answer as the input gives the same view again
        if (
            made is not None
            and made[0] is state
            and made[7] == words
            and before in (made[1], made[2])
            and looking in (made[3], made[4])
        ):
            self.input, self.lookup, self.base = made[2], made[4], made[5]
            return made[6]
        base = view_model(
            state,
            # money as on the shelf labels and the receipt, whatever the language: Babel's
            # de_DE or en_GB złoty ("6,99 PLN") is wider, and cut the 7" lookup tiles
            locale=kiosk.config.kiosk.locale,
            sim=kiosk.sim is not None,
            language=words,
        )
        self.input = staff_input.follow(before, base)
        self.lookup = lookup_input.follow(looking, base)
        self.base = base
        shown = staff_input.present(self.input, base)
        if self.lookup.step is not lookup_input.Step.OFF:
            # best sellers are counted again between sales, never while the shopper looks
            self.finder.refresh((state.catalog_version, state.sales_committed))
            try:
                items = lookup_input.items_for(self.lookup, self.finder)
                shown = lookup_input.present(self.lookup, base, items)
            except (StoreError, sqlite3.Error):
                log.exception("the lookup screen could not read the store; back to the basket")
                self.lookup = LookupInput()
        self._made = (state, before, self.input, looking, self.lookup, base, shown, words)
        return shown

    def draw(self) -> ViewModel:
        vm = self.view()
        self.renderer.draw(vm)
        return vm

    def touch(self, pos: tuple[int, int]) -> None:
        box = hit_box_at(self.renderer.hit_boxes, pos)
        if box is None:
            return
        base = self.base if self.base is not None else self.view()
        at = self.kiosk.clock.monotonic()
        event: Touched | None
        self.choice = language.touched(self.choice, at)
        if box.button_id == LANGUAGE_BUTTON:
            # the UI's own: the next frame speaks it; the core only hears someone is here
            self.choice, event = language.choose(box.arg, at), None
        elif lookup_input.handles(self.lookup, box.button_id, box.arg):
            try:
                self.lookup, event = lookup_input.touch(
                    self.lookup, base, box.button_id, box.arg, at=at, finder=self.finder
                )
            except (StoreError, sqlite3.Error):
                log.exception("the lookup screen could not read the store; back to the basket")
                self.lookup, event = LookupInput(), None
        else:
            self.input, event = staff_input.touch(self.input, base, box.button_id, box.arg, at=at)
        # a touch the UI kept (typing, a page, a keypad digit) still tells the core that
        # someone is at the lane, so the idle prompt does not interrupt a look-up
        self.kiosk.loop.emit(event if event is not None else ShopperActive(at=at))


# what a view was made from, and the view: (state, staff input before, after, lookup
# before, after, the core's view model, the view shown, its language)
_Made = tuple[
    KioskState, StaffInput, StaffInput, LookupInput, LookupInput, ViewModel, ViewModel, str
]


def _main_loop(
    kiosk: Kiosk,
    screen: pygame.Surface,
    renderer: Renderer,
    ends_at: float | None,
    notifier: Notifier,
) -> None:
    touchscreen = Touchscreen(kiosk, screen, renderer)
    shown: ViewModel | None = None
    redraw = True
    active_until = 0.0
    while True:
        vm = touchscreen.view()
        if redraw or vm != shown:
            renderer.draw(vm)
            pygame.display.flip()
            if shown is None:
                notifier.ready(f"showing {vm.screen}")  # systemd: READY after the first frame
            shown, redraw = vm, False
        # the loop wakes at least once a second, so a hung loop misses the watchdog
        notifier.ping(time.monotonic())
        timeout_ms = _timeout_ms(kiosk, ends_at)
        if timeout_ms is None:
            return
        now = time.monotonic()
        poll_s = POLL_ACTIVE_S if now < active_until else POLL_IDLE_S
        # blocks on the inbox: a device event (or the core's deadline) ends the wait at once
        kiosk.run_once(min(timeout_ms / 1000, poll_s))
        events = pygame.event.get()
        if events:
            active_until = time.monotonic() + ACTIVE_FOR_S
        for event in events:
            if event.type == pygame.QUIT:
                return
            # Escape is the simulator's; a keyboard plugged into a real kiosk must not stop it
            if (
                event.type == pygame.KEYDOWN
                and event.key == pygame.K_ESCAPE
                and kiosk.sim is not None
            ):
                return
            if event.type in (pygame.WINDOWEXPOSED, pygame.VIDEOEXPOSE):
                redraw = True
            _handle(touchscreen, event)
        if events:
            kiosk.run_once(0)  # a touch's event is stepped before the next frame


def _timeout_ms(kiosk: Kiosk, ends_at: float | None) -> int | None:
    """How long to block: until the core's next deadline, at most a second; None = stop."""
    wait_s = IDLE_WAIT_MS / 1000
    deadline = checkout.next_deadline(kiosk.state)
    if deadline is not None:
        wait_s = min(wait_s, deadline - kiosk.clock.monotonic())
    if ends_at is not None:
        left = ends_at - time.monotonic()
        if left <= 0:
            return None
        wait_s = min(wait_s, left)
    # round up: waking a millisecond early would only spin once more
    return max(0, math.ceil(wait_s * 1000))


def _handle(touchscreen: Touchscreen, event: pygame.event.Event) -> None:
    kiosk = touchscreen.kiosk
    pos: tuple[int, int] | None = None
    if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
        # SDL also turns each touch into a mouse click; FINGERDOWN handles touches
        if not getattr(event, "touch", False):
            pos = event.pos
    elif event.type == pygame.FINGERDOWN:
        width, height = touchscreen.surface.get_size()
        pos = (int(event.x * width), int(event.y * height))
    if pos is not None:
        touchscreen.touch(pos)
        return
    if event.type == pygame.KEYDOWN and kiosk.sim is not None:
        _sim_key(kiosk.sim, event)


def _sim_key(sim: SimHardware, event: pygame.event.Event) -> None:
    """The simulator's keyboard: a wedge scanner on the digits, the F keys on the twins."""
    key = event.key
    if key in DIGIT_KEYS:
        sim.scanner.type_key(DIGIT_KEYS[key])
    elif key in ENTER_KEYS:
        sim.scanner.type_key("\r")
    elif key == pygame.K_F2:
        gpio = sim.gpio
        staff = not gpio.pin(gpio.config.key_switch).state  # the switch pulls low in staff
        gpio.turn_key(KeyPosition.NORMAL if staff else KeyPosition.STAFF)
    elif key == pygame.K_F3:
        if sim.gpio.drawer_open:
            sim.gpio.push_drawer_shut()
        else:
            sim.gpio.pull_drawer_open()
    elif key == pygame.K_F4:
        if sim.printer.paper is PaperState.OUT:
            sim.printer.paper_in()
        else:
            sim.printer.paper_out()
    elif key == pygame.K_F5:
        if sim.scanner.plugged:
            sim.scanner.unplug()
        else:
            sim.scanner.plug()
    elif key == pygame.K_F6:
        sim.gpio.press_help()
