"""GPIO devices through gpiozero: light tower, cash drawer, staff key switch, help button.

The pin factory is injected (lgpio on a Pi, MockFactory for the twin), so the same code
runs on the bench and in the kiosk. gpiozero calls `when_*` callbacks from its own
thread; ours only emit events into the main loop's inbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpiozero import LED, DigitalInputDevice, DigitalOutputDevice

from appliance.config import GpioSection
from appliance.core.events import DrawerSensorChanged, HelpButtonPressed, KeyPosition, KeyTurned
from appliance.core.signals import Colour, Lamp
from appliance.ports import Emit

Monotonic = Callable[[], float]


class GpioLightTower:
    """Three lamps, one lit at a time (red over amber over green), steady or blinking."""

    def __init__(self, pins: GpioSection, factory: Any) -> None:
        self._blink_s = pins.blink_s
        self._lamps = {
            Colour.RED: LED(pins.tower_red, pin_factory=factory),
            Colour.AMBER: LED(pins.tower_amber, pin_factory=factory),
            Colour.GREEN: LED(pins.tower_green, pin_factory=factory),
        }
        self.lamp = Lamp(Colour.OFF)

    def show(self, lamp: Lamp) -> None:
        for colour, led in self._lamps.items():
            if colour is not lamp.colour:
                led.off()
        led = self._lamps.get(lamp.colour)
        if led is not None:
            if lamp.blinking:
                led.blink(on_time=self._blink_s, off_time=self._blink_s)
            else:
                led.on()
        self.lamp = lamp

    def close(self) -> None:
        for led in self._lamps.values():
            led.close()


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


class GpioKeySwitch:
    """Two-position staff key: the staff position pulls the pin low."""

    def __init__(self, pins: GpioSection, factory: Any, monotonic: Monotonic) -> None:
        self._monotonic = monotonic
        self._button = DigitalInputDevice(
            pins.key_switch, pull_up=True, bounce_time=0.05, pin_factory=factory
        )

    @property
    def position(self) -> KeyPosition:
        return KeyPosition.STAFF if self._button.is_active else KeyPosition.NORMAL

    def start(self, emit: Emit) -> None:
        def turned() -> None:
            emit(KeyTurned(at=self._monotonic(), position=self.position))

        self._button.when_activated = turned
        self._button.when_deactivated = turned
        turned()  # a kiosk that boots with the key turned starts in staff mode

    def close(self) -> None:
        self._button.close()


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
