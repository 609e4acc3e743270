"""The GPIO twin: the real gpiozero drivers on MockFactory pins, plus the physics around them.

A pulse on the drawer solenoid springs the drawer open (its sensor goes high) and it
stays open until someone pushes it shut (`push_drawer_shut`). A jammed drawer ignores
the pulse. The key switch and help button are driven from outside, as a person would.
"""

from __future__ import annotations

from typing import Any

from gpiozero.pins.mock import MockFactory, MockPin

from appliance.config import GpioSection
from appliance.core.events import KeyPosition


class _SolenoidPin(MockPin):  # type: ignore[misc]
    """An output pin whose rising edge releases the drawer latch."""

    def __init__(self, factory: Any, info: Any, bench: SimGpioBench | None = None) -> None:
        super().__init__(factory, info)
        self.bench = bench

    def _change_state(self, value: bool) -> bool:
        changed = bool(super()._change_state(value))
        if changed and value and self.bench is not None:
            self.bench.solenoid_pulsed()
        return changed


class SimGpioBench:
    """Owns the MockFactory; drive inputs with the methods below, read `.pins` for history."""

    def __init__(self, pins: GpioSection) -> None:
        self.config = pins
        self.factory = MockFactory()
        self.drawer_jammed = False
        self.pulses = 0
        self._solenoid = self.factory.pin(pins.drawer_solenoid, pin_class=_SolenoidPin, bench=self)

    def rest(self) -> None:
        """Put the inputs in their resting state: drawer shut, key normal, help button up.

        Call after the devices are built: a Button's pull-up resets its mock pin high.
        """
        self.pin(self.config.drawer_sensor).drive_low()
        self.pin(self.config.key_switch).drive_high()
        self.pin(self.config.help_button).drive_high()

    def pin(self, number: int) -> Any:
        return self.factory.pin(number)

    def solenoid_pulsed(self) -> None:
        self.pulses += 1
        if not self.drawer_jammed:
            self.pin(self.config.drawer_sensor).drive_high()

    @property
    def drawer_open(self) -> bool:
        return bool(self.pin(self.config.drawer_sensor).state)

    def push_drawer_shut(self) -> None:
        self.pin(self.config.drawer_sensor).drive_low()

    def pull_drawer_open(self) -> None:
        """Someone forces the drawer (no solenoid pulse): the sensor must still notice."""
        self.pin(self.config.drawer_sensor).drive_high()

    def turn_key(self, position: KeyPosition) -> None:
        pin = self.pin(self.config.key_switch)
        if position is KeyPosition.STAFF:
            pin.drive_low()
        else:
            pin.drive_high()

    def press_help(self) -> None:
        pin = self.pin(self.config.help_button)
        pin.drive_low()
        pin.drive_high()

    def lamp_pins(self) -> dict[str, bool]:
        c = self.config
        return {
            "red": bool(self.pin(c.tower_red).state),
            "amber": bool(self.pin(c.tower_amber).state),
            "green": bool(self.pin(c.tower_green).state),
        }

    def close(self) -> None:
        self.factory.close()
