"""The GPIO devices on a real Raspberry Pi (lgpio), for `make test-hw` only.

These need a person at the kiosk: they read the inputs as they are now, then walk the
outputs one by one and ask the person to look and listen (docs/hardware-test.md). They are
skipped everywhere else (marker `hw`, and KIOSK_HW=1 must be set).
"""

from __future__ import annotations

import os
import queue
import time

import pytest

from appliance import config as config_mod
from appliance.bootstrap import _real_pin_factory
from appliance.core.events import DrawerSensorChanged, Event, KeyTurned
from appliance.core.signals import Buzz, Colour, Lamp
from drivers.gpio import GpioDrawer, GpioKeySwitch, GpioLightTower

pytestmark = [
    pytest.mark.hw,
    pytest.mark.skipif(os.environ.get("KIOSK_HW") != "1", reason="needs the kiosk's GPIO"),
]
LOOK_S = 1.5  # how long each lamp stays on for the person watching


def test_the_inputs_read_and_report_where_they_are() -> None:
    """GIVEN the kiosk's wiring WHEN the drawer sensor and key switch start THEN each
    reports its position at once (print: the person checks it against the hardware)."""
    config = config_mod.load()
    factory = _real_pin_factory(config.devices.gpio)
    inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()
    drawer = GpioDrawer(config.gpio, factory, time.monotonic)
    key = GpioKeySwitch(config.gpio, factory, time.monotonic)
    try:
        drawer.start(inbox.put)
        key.start(inbox.put)
        seen = [inbox.get(timeout=2.0), inbox.get(timeout=2.0)]
        kinds = {type(e) for e in seen}
        assert kinds == {DrawerSensorChanged, KeyTurned}, seen
        for event in seen:
            print(event)
    finally:
        key.close()
        drawer.close()
        factory.close()


def test_each_lamp_and_the_buzzer_in_turn() -> None:
    """The person sees green, amber, red, then red blinking with the buzzer pulsing, then
    everything off; every output is low when the test ends."""
    config = config_mod.load()
    factory = _real_pin_factory(config.devices.gpio)
    tower = GpioLightTower(config.gpio, factory)
    try:
        for lamp in (
            Lamp(Colour.GREEN),
            Lamp(Colour.AMBER),
            Lamp(Colour.RED),
            Lamp(Colour.RED, blinking=True, buzzer=Buzz.PULSE),
            Lamp(Colour.OFF),
        ):
            print(f"now showing {lamp}")
            tower.show(lamp)
            time.sleep(LOOK_S)
        pins = (config.gpio.tower_red, config.gpio.tower_amber, config.gpio.tower_green)
        assert all(not factory.pin(n).state for n in pins)
    finally:
        tower.close()
        factory.close()
