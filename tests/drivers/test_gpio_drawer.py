"""The cash drawer through the whole simulated kiosk: real gpiozero drivers on MockFactory
pins, the loop, the store's audit log and the light tower, on a simulated clock.

GIVEN/WHEN/THEN: staff release the drawer or someone forces it; it stays open past
drawer_alarm_s; the loop wakes at the deadline, the tower blinks red and pulses the buzzer,
the screen says so and the audit log has it; shutting the drawer clears it all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from appliance.bootstrap import Kiosk, build
from appliance.config import Config
from appliance.core import buttons
from appliance.core.checkout import next_deadline
from appliance.core.events import KeyPosition, Touched
from appliance.core.signals import TOWER, Signal
from appliance.shell.clock import SimClock
from drivers.sim.gpio_sim import SimGpioBench
from ui.view import DRAWER_ALARM, view_model


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    base = Config()
    config = replace(
        base,
        kiosk=replace(base.kiosk, data_dir=str(tmp_path)),
        broker=replace(base.broker, enabled=False),
    )
    k = build(config, SimClock(), sim=True)
    k.start()
    yield k
    k.close()


def bench(kiosk: Kiosk) -> SimGpioBench:
    assert kiosk.sim is not None
    return kiosk.sim.gpio


def clock(kiosk: Kiosk) -> SimClock:
    assert isinstance(kiosk.clock, SimClock)
    return kiosk.clock


def audit(kiosk: Kiosk) -> list[tuple[str, str, str]]:
    return [(action, detail, staff) for _, action, detail, staff, _ in kiosk.store.audit_log()]


def staff_release(kiosk: Kiosk) -> None:
    assert kiosk.sim is not None
    gpio = bench(kiosk)
    gpio.turn_key(KeyPosition.STAFF)
    kiosk.sim.scanner.scan("STAFF-0042")
    kiosk.loop.process_pending()
    kiosk.loop.emit(Touched(at=clock(kiosk).monotonic(), button=buttons.STAFF_OPEN_DRAWER))
    kiosk.loop.process_pending()
    gpio.turn_key(KeyPosition.NORMAL)
    kiosk.loop.process_pending()


def test_a_staff_release_is_audited_and_a_drawer_left_open_raises_the_alarm(
    kiosk: Kiosk,
) -> None:
    gpio = bench(kiosk)
    staff_release(kiosk)
    assert gpio.pulses == 1 and gpio.drawer_open
    assert ("drawer-opened", "released (staff)", "0042") in audit(kiosk)
    assert kiosk.tower.lamp == TOWER[Signal.AVAILABLE]

    # WHEN the clock reaches just short of the alarm THEN the loop has nothing to do
    alarm_s = kiosk.state.rules.drawer_alarm_s
    clock(kiosk).advance(alarm_s - 0.5)
    kiosk.loop.tick()
    assert not kiosk.state.devices.drawer_alarm

    # WHEN it reaches the deadline THEN the loop ticks: tower, screen and audit log say so
    clock(kiosk).advance(0.5)
    kiosk.loop.tick()
    assert kiosk.state.devices.drawer_alarm
    assert kiosk.tower.lamp == TOWER[Signal.DRAWER_ALARM]
    assert gpio.lamp_pins()["green"] is False
    assert DRAWER_ALARM in view_model(kiosk.state).problems
    assert ("drawer-alarm", f"open for {alarm_s:.0f} s", "") in audit(kiosk)

    # WHEN the drawer is pushed shut THEN it all clears by itself, buzzer silent
    gpio.push_drawer_shut()
    kiosk.loop.process_pending()
    assert not kiosk.state.devices.drawer_alarm
    assert kiosk.tower.lamp == TOWER[Signal.AVAILABLE]
    assert gpio.lamp_pins() == {"red": False, "amber": False, "green": True}
    assert not gpio.buzzing
    assert gpio.buzzer_history()[-1] is False
    assert ("drawer-alarm", "cleared: drawer shut", "") in audit(kiosk)
    assert DRAWER_ALARM not in view_model(kiosk.state).problems


def test_a_forced_drawer_is_audited_without_any_pulse(kiosk: Kiosk) -> None:
    """WHEN someone pulls the drawer open with no release THEN the sensor's opening is in
    the audit log as one nobody asked for, and the solenoid never fired."""
    gpio = bench(kiosk)
    gpio.pull_drawer_open()
    kiosk.loop.process_pending()
    assert gpio.pulses == 0
    assert ("drawer-opened", "no release asked for", "") in audit(kiosk)
    assert kiosk.state.devices.drawer_open


def test_the_loop_wakes_for_the_drawer_alarm_with_nothing_else_due(kiosk: Kiosk) -> None:
    """The alarm needs no other event: the loop's next deadline is the alarm's."""
    bench(kiosk).pull_drawer_open()
    kiosk.loop.process_pending()
    opened_at = clock(kiosk).monotonic()
    assert next_deadline(kiosk.state) == opened_at + kiosk.state.rules.drawer_alarm_s
