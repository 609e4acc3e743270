"""The light tower's table (appliance/core/signals.py): colours, blinking and the buzzer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from appliance.core.events import KeyPosition
from appliance.core.signals import TOWER, Buzz, Colour, Lamp, Signal, lamp_for, signal_for
from appliance.core.state import PAYMENT_STATES, Checkout, Devices, KioskState


def test_every_signal_has_a_lamp() -> None:
    assert set(TOWER) == set(Signal)


@pytest.mark.parametrize("signal", [s for s in Signal if s is not Signal.DRAWER_ALARM])
def test_the_buzzer_is_silent_for_every_signal_a_shopper_causes(signal: Signal) -> None:
    """Calm for shoppers: no signal of normal selling, help or approvals sounds the buzzer."""
    assert TOWER[signal].buzzer is Buzz.OFF


def test_the_drawer_alarm_blinks_red_and_pulses_the_buzzer() -> None:
    assert TOWER[Signal.DRAWER_ALARM] == Lamp(Colour.RED, blinking=True, buzzer=Buzz.PULSE)
    # distinct from every other signal, so staff can tell it from a blocked lane
    others = [lamp for signal, lamp in TOWER.items() if signal is not Signal.DRAWER_ALARM]
    assert TOWER[Signal.DRAWER_ALARM] not in others


def test_a_lamp_without_a_buzzer_named_is_silent() -> None:
    assert Lamp(Colour.GREEN).buzzer is Buzz.OFF


@pytest.mark.parametrize(
    ("change", "signal"),
    [
        ({"devices": Devices(drawer_open=True)}, Signal.AVAILABLE),
        ({"devices": Devices(drawer_open=True, drawer_alarm=True)}, Signal.DRAWER_ALARM),
        (
            {"devices": Devices(drawer_alarm=True), "checkout": Checkout.OUT_OF_SERVICE},
            Signal.DRAWER_ALARM,
        ),
        ({"key": KeyPosition.SERVICE}, Signal.OUT_OF_SERVICE),
        ({"key": KeyPosition.SERVICE, "checkout": Checkout.SCANNING}, Signal.OUT_OF_SERVICE),
        ({"key": KeyPosition.STAFF}, Signal.AVAILABLE),
    ],
)
def test_signal_priority(change: dict[str, object], signal: Signal) -> None:
    assert signal_for(replace(KioskState(), **change)) is signal  # type: ignore[arg-type]


@pytest.mark.parametrize("paying", sorted(PAYMENT_STATES))
def test_the_service_key_does_not_turn_a_payment_red(paying: Checkout) -> None:
    """A payment under way finishes as it was; the lane shows closed once it is done."""
    state = replace(KioskState(), key=KeyPosition.SERVICE, checkout=paying)
    assert signal_for(state) is not Signal.OUT_OF_SERVICE


def test_lamp_for_is_the_table() -> None:
    state = replace(KioskState(), devices=Devices(drawer_alarm=True))
    assert lamp_for(state) is TOWER[Signal.DRAWER_ALARM]
