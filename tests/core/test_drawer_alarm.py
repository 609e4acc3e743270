"""The cash drawer in the core: every opening audited, and the alarm for a drawer left open.

Pure: the sensor's events carry `at`, Ticks carry the time, nothing reads a clock.
"""

from __future__ import annotations

from dataclasses import replace

from appliance.core import buttons as b
from appliance.core import checkout
from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.signals import Buzz, Colour, Lamp, Signal, lamp_for, signal_for
from appliance.core.state import Checkout, KioskState, Rules

ALARM_S = 30.0


def kiosk(alarm_s: float = ALARM_S) -> KioskState:
    return KioskState(rules=Rules(drawer_alarm_s=alarm_s))


def opened(state: KioskState, at: float) -> tuple[KioskState, list[fx.Effect]]:
    return checkout.step(state, ev.DrawerSensorChanged(at=at, is_open=True))


def shut(state: KioskState, at: float) -> tuple[KioskState, list[fx.Effect]]:
    return checkout.step(state, ev.DrawerSensorChanged(at=at, is_open=False))


def tick(state: KioskState, at: float) -> tuple[KioskState, list[fx.Effect]]:
    return checkout.step(state, ev.Tick(at=at))


def audits(effects: list[fx.Effect]) -> list[tuple[str, str]]:
    return [(e.action, e.detail) for e in effects if isinstance(e, fx.Audit)]


def test_a_drawer_left_open_raises_the_alarm_exactly_at_the_deadline() -> None:
    """GIVEN the drawer opened at 100 s WHEN time reaches 100 + drawer_alarm_s
    THEN (not a moment before) the alarm is on, audited once, and the tower says so."""
    state, _ = opened(kiosk(), at=100.0)
    assert checkout.next_deadline(state) == 100.0 + ALARM_S, "the loop must wake then"

    state, effects = tick(state, at=129.9)
    assert not state.devices.drawer_alarm and effects == []

    state, effects = tick(state, at=130.0)
    assert state.devices.drawer_alarm
    assert audits(effects) == [("drawer-alarm", "open for 30 s")]
    assert signal_for(state) is Signal.DRAWER_ALARM
    assert lamp_for(state) == Lamp(Colour.RED, blinking=True, buzzer=Buzz.PULSE)
    assert checkout.next_deadline(state) is None, "no more wake-ups for an alarm that is on"

    state, effects = tick(state, at=500.0)
    assert effects == [], "the alarm is reported once, not on every tick"


def test_the_alarm_clears_by_itself_when_the_drawer_is_shut() -> None:
    state, _ = opened(kiosk(), at=0.0)
    state, _ = tick(state, at=ALARM_S)
    state, effects = shut(state, at=45.0)
    assert not state.devices.drawer_alarm and not state.devices.drawer_open
    assert audits(effects) == [("drawer-alarm", "cleared: drawer shut")]
    assert signal_for(state) is Signal.AVAILABLE
    assert lamp_for(state).buzzer is Buzz.OFF
    assert checkout.next_deadline(state) is None


def test_a_drawer_shut_in_time_never_alarms_and_a_new_opening_starts_a_new_clock() -> None:
    state, _ = opened(kiosk(), at=0.0)
    state, effects = shut(state, at=29.0)
    assert effects == []  # nothing to clear
    state, _ = opened(state, at=40.0)
    state, effects = tick(state, at=69.0)
    assert not state.devices.drawer_alarm, "the clock restarted at 40 s"
    state, _ = tick(state, at=70.0)
    assert state.devices.drawer_alarm


def test_the_alarm_time_is_the_store_rule() -> None:
    state, _ = opened(kiosk(alarm_s=5.0), at=10.0)
    assert checkout.next_deadline(state) == 15.0
    state, _ = tick(state, at=15.0)
    assert state.devices.drawer_alarm


def test_the_alarm_and_the_thank_you_screen_share_the_tick() -> None:
    """GIVEN a thank-you screen due to end at 12 s and a drawer due to alarm at 30 s
    THEN the loop wakes at 12 s first, and a late tick past both does both."""
    state = replace(kiosk(), checkout=Checkout.THANK_YOU, deadline_at=12.0)
    state, _ = opened(state, at=0.0)
    assert checkout.next_deadline(state) == 12.0
    early, _ = tick(state, at=12.0)
    assert early.checkout is Checkout.WELCOME and not early.devices.drawer_alarm
    assert checkout.next_deadline(early) == ALARM_S

    late, effects = tick(state, at=31.0)
    assert late.checkout is Checkout.WELCOME and late.devices.drawer_alarm
    assert ("drawer-alarm", "open for 31 s") in audits(effects)


def test_the_drawer_alarm_outranks_every_other_signal() -> None:
    state, _ = opened(replace(kiosk(), checkout=Checkout.OUT_OF_SERVICE), at=0.0)
    state, _ = tick(state, at=ALARM_S)
    assert signal_for(state) is Signal.DRAWER_ALARM
    blocked = replace(state, checkout=Checkout.BLOCKED, help_requested=True)
    assert signal_for(blocked) is Signal.DRAWER_ALARM


# -- every opening is audited ------------------------------------------------------------------


def staff_signed_in(state: KioskState) -> KioskState:
    state, _ = checkout.step(state, ev.KeyTurned(at=1, position=ev.KeyPosition.STAFF))
    state, _ = checkout.step(state, ev.BarcodeScanned(at=1, text="STAFF-0042"))
    assert state.staff_id == "0042"
    return state


def test_an_opening_after_a_staff_release_is_audited_as_released_by_that_staff() -> None:
    state = staff_signed_in(kiosk())
    state, effects = checkout.step(state, ev.Touched(at=5.0, button=b.STAFF_OPEN_DRAWER))
    assert fx.OpenDrawer("staff") in effects
    state, effects = opened(state, at=5.2)
    assert effects == [fx.Audit("drawer-opened", "released (staff)", "0042")]


def test_a_forced_opening_without_a_release_is_audited_too() -> None:
    """GIVEN nobody asked for the drawer WHEN the sensor sees it open THEN it is audited as
    opened with no release asked for (a forced drawer, or one found open at start)."""
    state, effects = opened(kiosk(), at=3.0)
    assert effects == [fx.Audit("drawer-opened", "no release asked for", "")]
    assert state.devices.drawer_open


def test_a_release_long_ago_does_not_excuse_a_later_opening() -> None:
    """A jammed drawer that staff released earlier and that is later forced: forced."""
    state = staff_signed_in(kiosk())
    state, _ = checkout.step(state, ev.Touched(at=5.0, button=b.STAFF_OPEN_DRAWER))
    state, effects = opened(state, at=5.0 + checkout.RELEASE_WINDOW_S + 1)
    assert audits(effects) == [("drawer-opened", "no release asked for")]


def test_a_repeated_sensor_reading_is_not_a_new_opening() -> None:
    """The drivers read the sensor at start: the same reading twice changes nothing."""
    state, _ = opened(kiosk(), at=0.0)
    again, effects = opened(state, at=10.0)
    assert again == state and effects == []
    closed = kiosk()
    assert shut(closed, at=0.0) == (closed, [])
