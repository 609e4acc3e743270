"""The GPIO twin: the real gpiozero drivers on MockFactory pins, plus the physics around them.

A pulse on the drawer solenoid springs the drawer open (its sensor goes high) and it
stays open until someone pushes it shut (`push_drawer_shut`). A jammed drawer ignores
the pulse. The key switch and help button are driven from outside, as a person would:
`turn_key` turns it cleanly and lets the contacts rest (the driver's settle check runs at
once), `bounce_key` makes them chatter first, as worn contacts do.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
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


class _BenchFactory(MockFactory):  # type: ignore[misc]
    """MockFactory with a settle queue: the key switch driver schedules its debounce check
    here (GpioKeySwitch looks for `schedule`), and the bench runs it when the hand rests."""

    def __init__(self) -> None:
        super().__init__()
        self.settling: list[Callable[[], None]] = []

    def schedule(self, delay_s: float, run: Callable[[], None]) -> None:
        self.settling.append(run)


class SimGpioBench:
    """Owns the MockFactory; drive inputs with the methods below, read `.pins` for history."""

    def __init__(self, pins: GpioSection) -> None:
        self.config = pins
        self.factory = _BenchFactory()
        self.drawer_jammed = False
        self.pulses = 0
        self._solenoid = self.factory.pin(pins.drawer_solenoid, pin_class=_SolenoidPin, bench=self)

    def rest(self) -> None:
        """Put the inputs in their resting state: drawer shut, key normal, help button up.

        Call after the devices are built: a Button's pull-up resets its mock pin high.
        """
        self.pin(self.config.drawer_sensor).drive_low()
        for number in self._key_pins():
            self.pin(number).drive_high()
        self.pin(self.config.help_button).drive_high()
        self.settle_key()

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

    def _key_pins(self) -> list[int]:
        c = self.config
        return [c.key_switch, c.key_switch_2] if c.key_positions == 3 else [c.key_switch]

    def _key_levels(self, position: KeyPosition) -> list[bool]:
        """Each contact's pin level for `position` (a closed contact pulls its pin low)."""
        if position is KeyPosition.SERVICE and self.config.key_positions != 3:
            raise ValueError("this key switch has two positions (gpio.key_positions = 2)")
        levels = [position is not KeyPosition.STAFF, position is not KeyPosition.SERVICE]
        return levels[: len(self._key_pins())]

    def _drive_key(self, position: KeyPosition) -> None:
        # open the contact being left before closing the new one, as a rotary switch does
        pins = list(zip(self._key_pins(), self._key_levels(position), strict=True))
        for number, high in sorted(pins, key=lambda pin: not pin[1]):
            if high:
                self.pin(number).drive_high()
            else:
                self.pin(number).drive_low()

    def turn_key(self, position: KeyPosition) -> None:
        """Turn the key cleanly and let go: the contacts rest, the turn counts at once."""
        self._drive_key(position)
        self.settle_key()

    def bounce_key(self, *positions: KeyPosition) -> None:
        """Worn contacts: the key passes through `positions` within the debounce window,
        without resting. `settle_key()` then lets it rest on the last one."""
        for position in positions:
            self._drive_key(position)

    def settle_key(self) -> None:
        """The contacts have rested: run the driver's pending settle checks."""
        settling, self.factory.settling = self.factory.settling, []
        for run in settling:
            run()

    @property
    def key_position(self) -> KeyPosition:
        """Where the simulated key is now, from its pins."""
        levels = [bool(self.pin(n).state) for n in self._key_pins()]
        for position in KeyPosition:
            if position is KeyPosition.SERVICE and self.config.key_positions != 3:
                continue
            if self._key_levels(position) == levels:
                return position
        return KeyPosition.NORMAL

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

    @property
    def buzzing(self) -> bool:
        """Whether the tower's buzzer sounds at this instant."""
        return bool(self.pin(self.config.tower_buzzer).state)

    def buzzer_history(self) -> list[bool]:
        """The buzzer pin's levels, oldest first, with repeats folded (MockPin.states)."""
        levels: list[bool] = []
        for change in self.pin(self.config.tower_buzzer).states:
            if not levels or levels[-1] != bool(change.state):
                levels.append(bool(change.state))
        return levels

    def buzzer_beeps(self) -> int:
        """How many times the buzzer has sounded (rising edges) since the bench was built."""
        history = self.buzzer_history()
        return sum(1 for before, now in pairwise([False, *history]) if now and not before)

    def close(self) -> None:
        self.factory.close()
