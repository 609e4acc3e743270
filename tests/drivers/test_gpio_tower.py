"""The light tower on gpiozero's MockFactory: lamps and buzzer follow the signal table.

Blinking and pulsing run in gpiozero's background threads, so rhythms are checked by what
the driver asked gpiozero for (a spy on LED.blink and Buzzer.beep), and steady outputs by
the pins' state histories (MockPin.states); nothing waits on the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gpiozero import LED, Buzzer

from appliance.config import GpioSection
from appliance.core.signals import TOWER, Buzz, Colour, Lamp, Signal
from drivers.gpio import CHIRP_S, GpioLightTower
from drivers.sim.gpio_sim import SimGpioBench

PINS = GpioSection()


@pytest.fixture
def bench() -> Iterator[SimGpioBench]:
    b = SimGpioBench(PINS)
    yield b
    b.close()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, dict[str, Any]]]:
    """Every LED.blink and Buzzer.beep call as (method, pin, kwargs); the real ones still run."""
    seen: list[tuple[str, int, dict[str, Any]]] = []

    def spy(cls: type, name: str) -> None:
        real = getattr(cls, name)

        def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
            assert not args, "the driver names its timings"
            seen.append((name, int(self.pin.info.name.removeprefix("GPIO")), kwargs))
            return real(self, **kwargs)

        monkeypatch.setattr(cls, name, recorded)

    spy(LED, "blink")
    spy(Buzzer, "beep")
    return seen


def tower_on(bench: SimGpioBench) -> GpioLightTower:
    return GpioLightTower(PINS, bench.factory)


def test_steady_lamps_light_one_colour_and_keep_the_buzzer_silent(bench: SimGpioBench) -> None:
    """GIVEN a tower WHEN it shows green, then amber, then red THEN exactly that lamp is on
    each time (pin histories) and the buzzer pin never went high."""
    tower = tower_on(bench)
    for colour in (Colour.GREEN, Colour.AMBER, Colour.RED):
        tower.show(Lamp(colour))
        assert bench.lamp_pins() == {c: c == colour.value for c in ("red", "amber", "green")}
    bench.pin(PINS.tower_green).assert_states([False, True, False])
    bench.pin(PINS.tower_amber).assert_states([False, True, False])
    bench.pin(PINS.tower_red).assert_states([False, True])
    assert bench.buzzer_history() == [False] and bench.buzzer_beeps() == 0
    tower.close()


@pytest.mark.parametrize("signal", [s for s in Signal if s is not Signal.DRAWER_ALARM])
def test_no_customer_signal_sounds_the_buzzer(
    bench: SimGpioBench, calls: list[tuple[str, int, dict[str, Any]]], signal: Signal
) -> None:
    tower = tower_on(bench)
    tower.show(TOWER[signal])
    assert not any(name == "beep" for name, _, _ in calls)
    assert not bench.buzzing
    tower.close()


def test_the_drawer_alarm_blinks_red_and_pulses_the_buzzer_in_step(
    bench: SimGpioBench, calls: list[tuple[str, int, dict[str, Any]]]
) -> None:
    tower = tower_on(bench)
    tower.show(TOWER[Signal.DRAWER_ALARM])
    half = PINS.blink_s
    assert calls == [
        ("blink", PINS.tower_red, {"on_time": half, "off_time": half}),
        ("beep", PINS.tower_buzzer, {"on_time": half, "off_time": half}),
    ]
    tower.close()


def test_showing_the_same_lamp_again_does_not_restart_blinking_or_pulsing(
    bench: SimGpioBench, calls: list[tuple[str, int, dict[str, Any]]]
) -> None:
    """The loop shows the lamp after every step; a second show of the same lamp must leave
    the running rhythm alone (a restart would stutter the lamp and the buzzer)."""
    tower = tower_on(bench)
    alarm = TOWER[Signal.DRAWER_ALARM]
    tower.show(alarm)
    tower.show(alarm)
    tower.show(Lamp(Colour.RED, blinking=True, buzzer=Buzz.PULSE))  # equal, another object
    assert [name for name, _, _ in calls] == ["blink", "beep"]
    tower.close()


def test_a_buzzer_change_alone_leaves_the_blinking_lamp_alone(
    bench: SimGpioBench, calls: list[tuple[str, int, dict[str, Any]]]
) -> None:
    tower = tower_on(bench)
    tower.show(Lamp(Colour.RED, blinking=True))
    tower.show(Lamp(Colour.RED, blinking=True, buzzer=Buzz.PULSE))
    assert [name for name, _, _ in calls] == ["blink", "beep"]
    tower.close()


def test_a_chirp_is_one_short_beep(
    bench: SimGpioBench, calls: list[tuple[str, int, dict[str, Any]]]
) -> None:
    tower = tower_on(bench)
    tower.show(Lamp(Colour.AMBER, buzzer=Buzz.CHIRP))
    assert calls == [
        (
            "beep",
            PINS.tower_buzzer,
            {"on_time": CHIRP_S, "off_time": 0.0, "n": 1, "background": True},
        )
    ]
    tower.close()


def test_leaving_the_alarm_silences_the_buzzer_at_once(bench: SimGpioBench) -> None:
    """WHEN the drawer is shut (the tower goes back to green) THEN the buzzer pin is low
    and stays low: off() stops gpiozero's pulse thread before it returns."""
    tower = tower_on(bench)
    tower.show(TOWER[Signal.DRAWER_ALARM])
    tower.show(TOWER[Signal.AVAILABLE])
    assert not bench.buzzing
    settled = len(bench.pin(PINS.tower_buzzer).states)
    assert bench.lamp_pins() == {"red": False, "amber": False, "green": True}
    assert len(bench.pin(PINS.tower_buzzer).states) == settled, "nothing drives it any more"
    tower.close()


def test_the_safe_lamp_at_shutdown_silences_the_buzzer(bench: SimGpioBench) -> None:
    tower = tower_on(bench)
    tower.show(TOWER[Signal.DRAWER_ALARM])
    tower.show(Lamp(Colour.RED))  # bootstrap's SAFE_LAMP
    assert not bench.buzzing
    assert bench.lamp_pins()["red"]
    tower.close()
