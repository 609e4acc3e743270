"""The composition root picks real adapters by name and never falls back to a twin."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from appliance import config as config_mod
from appliance.bootstrap import DeviceUnavailable, build
from appliance.core.signals import Colour
from appliance.shell.clock import SystemClock


def _config(tmp_path: Path, **scanner: object) -> config_mod.Config:
    settings: dict[str, dict[str, object]] = {
        "kiosk": {"data_dir": str(tmp_path)},
        "devices": {"scanner": "evdev", "gpio": "sim", "printer": "sim"},
        "broker": {"enabled": False},
    }
    if scanner:
        settings["scanner"] = dict(scanner)
    return config_mod.merge(config_mod.Config(), settings, "test")


def test_an_unconfigured_real_scanner_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(DeviceUnavailable, match=r"scanner\.device is not set"):
        build(_config(tmp_path), SystemClock())


def test_a_configured_scanner_that_is_not_there_shows_red_not_a_twin(tmp_path: Path) -> None:
    """GIVEN the real evdev adapter and no such device WHEN the kiosk starts THEN the
    scanner is reported lost (red), and nothing simulated takes its place."""
    cfg = _config(tmp_path, device="/dev/input/by-id/usb-no-such-scanner-event-kbd")
    with build(cfg, SystemClock()) as kiosk:
        assert kiosk.sim is None
        kiosk.start()
        deadline = time.monotonic() + 5
        while kiosk.state.devices.scanner_ok and time.monotonic() < deadline:
            kiosk.run_once(0.05)
        assert not kiosk.state.devices.scanner_ok
        assert kiosk.tower.lamp.colour is Colour.RED
