"""What the screen says about the GPIO devices: the drawer alarm and the key's positions."""

from __future__ import annotations

from dataclasses import replace

from appliance.core import checkout
from appliance.core import events as ev
from appliance.core.state import Checkout, Devices, KioskState
from ui.view import DRAWER_ALARM, view_model


def test_the_drawer_alarm_reads_in_kiosk_words_until_the_drawer_shuts() -> None:
    """WHEN the drawer is open THEN staff see "Drawer: open"; once the alarm is on the
    problem (the shoppers' strip, the staff status list) reads "Cash drawer open – please
    close it", and it goes when the drawer shuts."""
    assert DRAWER_ALARM == "Cash drawer open – please close it"
    state, _ = checkout.step(KioskState(), ev.DrawerSensorChanged(at=0, is_open=True))
    assert "Drawer: open" in view_model(state).problems
    state, _ = checkout.step(state, ev.Tick(at=state.rules.drawer_alarm_s))
    problems = view_model(state).problems
    assert DRAWER_ALARM in problems and "Drawer: open" not in problems
    state, _ = checkout.step(state, ev.DrawerSensorChanged(at=40, is_open=False))
    assert DRAWER_ALARM not in view_model(state).problems
    assert "Drawer: open" not in view_model(state).problems


def test_the_drawer_alarm_shows_on_a_shoppers_screen_too() -> None:
    state = replace(KioskState(), checkout=Checkout.WELCOME, devices=Devices(drawer_alarm=True))
    vm = view_model(state)
    assert vm.screen == "welcome" and DRAWER_ALARM in vm.problems


def test_booting_with_the_key_in_staff_shows_the_staff_screen() -> None:
    state, _ = checkout.step(KioskState(), ev.KeyTurned(at=0, position=ev.KeyPosition.STAFF))
    vm = view_model(state)
    assert vm.screen == "staff" and vm.staff
    assert vm.title == "Staff: scan your badge"


def test_the_service_position_shows_the_lane_closed_for_service() -> None:
    state, _ = checkout.step(KioskState(), ev.KeyTurned(at=0, position=ev.KeyPosition.SERVICE))
    vm = view_model(state)
    assert vm.screen == "out-of-service"
    assert vm.notice == "Closed for service"
    assert not vm.staff and vm.buttons == ()


def test_the_service_position_leaves_a_payment_on_its_screen() -> None:
    state = replace(KioskState(), checkout=Checkout.PAYING, key=ev.KeyPosition.SERVICE)
    assert view_model(state).screen == "paying"
