"""GPIO devices through gpiozero: light tower, cash drawer, staff key switch, help button.

The pin factory is injected (lgpio on a Pi, MockFactory for the twin), so the same code
runs on the bench and in the kiosk. gpiozero calls `when_*` callbacks from its own
thread; ours only emit events into the main loop's inbox. docs/wiring.md has the pins.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from gpiozero import LED, Buzzer, DigitalInputDevice, DigitalOutputDevice

from appliance.config import GpioSection
from appliance.core.events import DrawerSensorChanged, HelpButtonPressed, KeyPosition, KeyTurned
from appliance.core.signals import Buzz, Colour, Lamp
from appliance.ports import Emit

Monotonic = Callable[[], float]
# run a callable after a delay in seconds (a threading.Timer, or the twin's settle queue)
Schedule = Callable[[float, Callable[[], None]], None]

CHIRP_S = 0.15  # one short beep: heard across the shop floor, not a siren


class GpioLightTower:
    """Three lamps, one lit at a time (red over amber over green), steady or blinking, and
    a buzzer that is silent, chirps once, or pulses in step with a blinking lamp.

    Showing the lamp already shown changes nothing: a blinking lamp or a pulsing buzzer
    keeps its rhythm instead of restarting (the loop shows a lamp after every step)."""

    def __init__(self, pins: GpioSection, factory: Any) -> None:
        self._blink_s = pins.blink_s
        self._lamps = {
            Colour.RED: LED(pins.tower_red, pin_factory=factory),
            Colour.AMBER: LED(pins.tower_amber, pin_factory=factory),
            Colour.GREEN: LED(pins.tower_green, pin_factory=factory),
        }
        self._buzzer = Buzzer(pins.tower_buzzer, pin_factory=factory)
        self.lamp = Lamp(Colour.OFF)

    def show(self, lamp: Lamp) -> None:
        shown = self.lamp
        if (lamp.colour, lamp.blinking) != (shown.colour, shown.blinking):
            for colour, led in self._lamps.items():
                if colour is not lamp.colour:
                    led.off()
            led = self._lamps.get(lamp.colour)
            if led is not None:
                if lamp.blinking:
                    led.blink(on_time=self._blink_s, off_time=self._blink_s)
                else:
                    led.on()
        if lamp.buzzer is not shown.buzzer:
            self._sound(lamp.buzzer)
        self.lamp = lamp

    def _sound(self, buzz: Buzz) -> None:
        if buzz is Buzz.PULSE:
            self._buzzer.beep(on_time=self._blink_s, off_time=self._blink_s)
        elif buzz is Buzz.CHIRP:
            self._buzzer.beep(on_time=CHIRP_S, off_time=0.0, n=1, background=True)
        else:
            self._buzzer.off()

    def close(self) -> None:
        for led in self._lamps.values():
            led.close()
        self._buzzer.close()


class GpioDrawer:
    """Solenoid pulse to release the drawer; a switch reports whether it is closed."""

    def __init__(self, pins: GpioSection, factory: Any, monotonic: Monotonic) -> None:
        self._pulse_s = pins.drawer_pulse_s
        self._monotonic = monotonic
        self._solenoid = DigitalOutputDevice(pins.drawer_solenoid, pin_factory=factory)
        # the drawer switch closes to ground when the drawer is shut. DigitalInputDevice, not
        # Button: Button's hold-detection thread is not needed and is slow to join on close.
        self._sensor = DigitalInputDevice(pins.drawer_sensor, pull_up=True, pin_factory=factory)
        self.releases = 0

    def start(self, emit: Emit) -> None:
        def changed(is_open: bool) -> Callable[[], None]:
            return lambda: emit(DrawerSensorChanged(at=self._monotonic(), is_open=is_open))

        self._sensor.when_deactivated = changed(True)
        self._sensor.when_activated = changed(False)
        emit(DrawerSensorChanged(at=self._monotonic(), is_open=not self._sensor.is_active))

    def release(self) -> None:
        """One bounded pulse: n=1 so a hung loop can never hold the solenoid on."""
        self.releases += 1
        self._solenoid.blink(on_time=self._pulse_s, off_time=0.0, n=1, background=True)

    @property
    def is_closed(self) -> bool:
        return bool(self._sensor.is_active)

    def close(self) -> None:
        self._solenoid.close()
        self._sensor.close()


def _timer(delay_s: float, run: Callable[[], None]) -> None:
    timer = threading.Timer(delay_s, run)
    timer.daemon = True  # a settle check due after close() must not hold the process
    timer.start()


class GpioKeySwitch:
    """The staff key: NORMAL, STAFF (key_switch pulled low) and, on a three-position switch
    (key_positions = 3), SERVICE (key_switch_2 pulled low).

    Debounced here, not by gpiozero's bounce_time (which MockPin ignores, and which only
    drops edges rather than waiting for the contacts to rest): every edge re-arms a settle
    check key_debounce_s later, and only the check that no newer edge has superseded reads
    the pins and emits KeyTurned, once, if the position changed. Chatter within the window
    is therefore one KeyTurned (or none, for a glitch that ends where it began).

    The settle check runs on `schedule`: the one given, else the pin factory's own (the
    twin's lets its simulated hand rest the key at once: SimGpioBench.turn_key), else a
    daemon threading.Timer.
    """

    def __init__(
        self,
        pins: GpioSection,
        factory: Any,
        monotonic: Monotonic,
        schedule: Schedule | None = None,
    ) -> None:
        self._monotonic = monotonic
        self._debounce_s = pins.key_debounce_s
        self._schedule: Schedule = schedule or getattr(factory, "schedule", None) or _timer
        numbers = [pins.key_switch] + ([pins.key_switch_2] if pins.key_positions == 3 else [])
        self._contacts = [
            DigitalInputDevice(number, pull_up=True, pin_factory=factory) for number in numbers
        ]
        self._lock = threading.Lock()
        self._edges = 0
        self._reported: KeyPosition | None = None
        self._emit: Emit | None = None
        self._closed = False

    @property
    def position(self) -> KeyPosition:
        """The position the pins say now. Both contacts closed is a wiring fault: NORMAL,
        the position that grants nothing."""
        staff = bool(self._contacts[0].is_active)
        service = len(self._contacts) > 1 and bool(self._contacts[1].is_active)
        if staff and not service:
            return KeyPosition.STAFF
        if service and not staff:
            return KeyPosition.SERVICE
        return KeyPosition.NORMAL

    def start(self, emit: Emit) -> None:
        self._emit = emit
        for contact in self._contacts:
            contact.when_activated = self._edge
            contact.when_deactivated = self._edge
        with self._lock:  # a kiosk that boots with the key turned starts in that mode
            self._report()

    def _edge(self) -> None:
        with self._lock:
            self._edges += 1
            edge = self._edges
        self._schedule(self._debounce_s, lambda: self._settle(edge))

    def _settle(self, edge: int) -> None:
        with self._lock:
            if edge == self._edges and not self._closed:
                self._report()

    def _report(self) -> None:
        position = self.position
        if position is not self._reported and self._emit is not None:
            self._reported = position
            self._emit(KeyTurned(at=self._monotonic(), position=position))

    def close(self) -> None:
        with self._lock:
            self._closed = True
        for contact in self._contacts:
            contact.close()


class GpioHelpButton:
    def __init__(self, pins: GpioSection, factory: Any, monotonic: Monotonic) -> None:
        self._monotonic = monotonic
        self._button = DigitalInputDevice(
            pins.help_button, pull_up=True, bounce_time=0.05, pin_factory=factory
        )

    def start(self, emit: Emit) -> None:
        self._button.when_activated = lambda: emit(HelpButtonPressed(at=self._monotonic()))

    def close(self) -> None:
        self._button.close()
