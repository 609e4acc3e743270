"""The staff key switch on MockFactory pins: read at start, debounced by our own settle check.

gpiozero's MockPin ignores bounce_time, so chatter is driven from outside with
drive_low()/drive_high() at explicit times on a fake clock, and the driver's settle checks
run from a manual scheduler on that clock: no test waits on the wall clock.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from appliance.bootstrap import Kiosk, build
from appliance.config import Config, GpioSection
from appliance.core.events import Event, KeyPosition, KeyTurned
from appliance.shell.clock import SimClock
from drivers.gpio import GpioKeySwitch
from drivers.sim.gpio_sim import SimGpioBench
from ui.view import view_model

PINS = GpioSection()
THREE = replace(PINS, key_positions=3)
DEBOUNCE_S = PINS.key_debounce_s


class Scheduler:
    """A fake monotonic clock and the settle checks due on it, run in time order."""

    def __init__(self) -> None:
        self.now = 100.0
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self.now

    def schedule(self, delay_s: float, run: Callable[[], None]) -> None:
        heapq.heappush(self._due, (self.now + delay_s, next(self._order), run))

    def advance_to(self, at: float) -> None:
        while self._due and self._due[0][0] <= at:
            due, _, run = heapq.heappop(self._due)
            self.now = due
            run()
        self.now = at


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    f = MockFactory()
    yield f
    f.close()


def started(
    factory: MockFactory, clock: Scheduler, pins: GpioSection = PINS
) -> tuple[GpioKeySwitch, list[Event]]:
    for number in (pins.key_switch, pins.key_switch_2):
        factory.pin(number).drive_high()  # every contact open: NORMAL
    key = GpioKeySwitch(pins, factory, clock.monotonic, schedule=clock.schedule)
    events: list[Event] = []
    key.start(events.append)
    return key, events


def turns(events: list[Event]) -> list[tuple[float, KeyPosition]]:
    return [(e.at, e.position) for e in events if isinstance(e, KeyTurned)]


def test_the_position_is_read_at_start(factory: MockFactory) -> None:
    """GIVEN the key already in STAFF when the kiosk starts THEN start() reports STAFF at
    once (no edge, so no debounce wait)."""
    clock = Scheduler()
    key = GpioKeySwitch(PINS, factory, clock.monotonic, schedule=clock.schedule)
    factory.pin(PINS.key_switch).drive_low()  # after the pull-up set the mock pin high
    events: list[Event] = []
    key.start(events.append)
    assert turns(events) == [(100.0, KeyPosition.STAFF)]
    key.close()


def test_chatter_within_the_window_is_one_turn_once_the_contacts_rest(
    factory: MockFactory,
) -> None:
    """GIVEN a key at NORMAL WHEN it is turned to STAFF and the contact chatters five times
    2 ms apart THEN nothing is reported while it chatters, and exactly one KeyTurned(STAFF)
    comes key_debounce_s after the last edge."""
    clock = Scheduler()
    key, events = started(factory, clock)
    events.clear()
    pin = factory.pin(PINS.key_switch)
    for i, low in enumerate([True, False, True, False, True]):
        clock.advance_to(100.0 + i * 0.002)
        pin.drive_low() if low else pin.drive_high()
    assert len(pin.states) >= 6, "the edges really reached the pin"
    last_edge = clock.now
    clock.advance_to(last_edge + DEBOUNCE_S - 0.001)
    assert turns(events) == [], "still inside the window"
    clock.advance_to(last_edge + 1.0)
    assert turns(events) == [(pytest.approx(last_edge + DEBOUNCE_S), KeyPosition.STAFF)]
    key.close()


def test_a_glitch_that_ends_where_it_began_reports_nothing(factory: MockFactory) -> None:
    clock = Scheduler()
    key, events = started(factory, clock)
    events.clear()
    pin = factory.pin(PINS.key_switch)
    pin.drive_low()
    clock.advance_to(100.003)
    pin.drive_high()
    clock.advance_to(200.0)
    assert turns(events) == []
    key.close()


def test_turns_further_apart_than_the_window_are_each_reported(factory: MockFactory) -> None:
    clock = Scheduler()
    key, events = started(factory, clock)
    events.clear()
    pin = factory.pin(PINS.key_switch)
    pin.drive_low()
    clock.advance_to(101.0)
    pin.drive_high()
    clock.advance_to(102.0)
    assert turns(events) == [
        (pytest.approx(100.0 + DEBOUNCE_S), KeyPosition.STAFF),
        (pytest.approx(101.0 + DEBOUNCE_S), KeyPosition.NORMAL),
    ]
    key.close()


def test_a_settle_check_due_after_close_does_nothing(factory: MockFactory) -> None:
    clock = Scheduler()
    key, events = started(factory, clock)
    events.clear()
    factory.pin(PINS.key_switch).drive_low()
    key.close()
    clock.advance_to(200.0)
    assert turns(events) == []


def test_a_three_position_switch_reports_service_on_its_second_contact(
    factory: MockFactory,
) -> None:
    """GIVEN key_positions = 3 WHEN the key goes NORMAL → SERVICE → STAFF → NORMAL THEN each
    position is reported once, from the two contacts (service pulls key_switch_2 low)."""
    clock = Scheduler()
    key, events = started(factory, clock, THREE)
    staff, service = factory.pin(THREE.key_switch), factory.pin(THREE.key_switch_2)
    service.drive_low()
    clock.advance_to(101.0)
    service.drive_high()  # the rotary switch opens one contact, then closes the next
    staff.drive_low()
    clock.advance_to(102.0)
    staff.drive_high()
    clock.advance_to(103.0)
    assert [p for _, p in turns(events)] == [
        KeyPosition.NORMAL,  # read at start
        KeyPosition.SERVICE,
        KeyPosition.STAFF,
        KeyPosition.NORMAL,
    ]
    key.close()


def test_both_contacts_closed_is_a_wiring_fault_read_as_normal(factory: MockFactory) -> None:
    clock = Scheduler()
    key, _ = started(factory, clock, THREE)
    factory.pin(THREE.key_switch).drive_low()
    factory.pin(THREE.key_switch_2).drive_low()
    assert key.position is KeyPosition.NORMAL
    key.close()


def test_a_two_position_switch_ignores_the_second_pin(factory: MockFactory) -> None:
    clock = Scheduler()
    key, events = started(factory, clock)
    factory.pin(PINS.key_switch_2).drive_low()
    clock.advance_to(200.0)
    assert key.position is KeyPosition.NORMAL
    assert [p for _, p in turns(events)] == [KeyPosition.NORMAL]
    key.close()


# -- the twin -------------------------------------------------------------------------------


@pytest.fixture
def bench() -> Iterator[SimGpioBench]:
    b = SimGpioBench(THREE)
    yield b
    b.close()


def bench_key(bench: SimGpioBench) -> tuple[GpioKeySwitch, list[Event]]:
    key = GpioKeySwitch(bench.config, bench.factory, lambda: 5.0)
    bench.rest()
    events: list[Event] = []
    key.start(events.append)
    return key, events


def test_the_twin_turns_cleanly_and_the_turn_counts_at_once(bench: SimGpioBench) -> None:
    key, events = bench_key(bench)
    for position in (KeyPosition.STAFF, KeyPosition.SERVICE, KeyPosition.NORMAL):
        bench.turn_key(position)
        assert bench.key_position is position
    assert [p for _, p in turns(events)] == [
        KeyPosition.NORMAL,
        KeyPosition.STAFF,
        KeyPosition.SERVICE,
        KeyPosition.NORMAL,
    ]
    key.close()


def test_the_twins_worn_contacts_chatter_into_one_turn(bench: SimGpioBench) -> None:
    """WHEN the twin's key bounces STAFF/NORMAL/STAFF/NORMAL/STAFF without resting
    THEN nothing is reported; once it rests, exactly one KeyTurned(STAFF)."""
    key, events = bench_key(bench)
    events.clear()
    s, n = KeyPosition.STAFF, KeyPosition.NORMAL
    bench.bounce_key(s, n, s, n, s)
    assert turns(events) == []
    bench.settle_key()
    assert [p for _, p in turns(events)] == [KeyPosition.STAFF]
    key.close()


def test_a_two_position_twin_has_no_service_position() -> None:
    bench = SimGpioBench(PINS)
    try:
        with pytest.raises(ValueError, match="two positions"):
            bench.turn_key(KeyPosition.SERVICE)
    finally:
        bench.close()


# -- the whole kiosk ------------------------------------------------------------------------


def test_a_kiosk_booted_with_the_key_in_staff_starts_in_staff_mode(tmp_path: Path) -> None:
    """GIVEN the simulated kiosk's key is in STAFF before it starts WHEN it starts
    THEN it is in staff mode and the screen asks staff for their badge."""
    base = Config()
    config = replace(
        base,
        kiosk=replace(base.kiosk, data_dir=str(tmp_path)),
        broker=replace(base.broker, enabled=False),
    )
    kiosk: Kiosk = build(config, SimClock(), sim=True)
    try:
        assert kiosk.sim is not None
        kiosk.sim.gpio.turn_key(KeyPosition.STAFF)
        kiosk.start()
        assert kiosk.state.key is KeyPosition.STAFF
        vm = view_model(kiosk.state)
        assert vm.screen == "staff" and vm.title == "Staff: scan your badge"
    finally:
        kiosk.close()
