"""`kiosk doctor` on the twins and on injected host facts: each line says what a technician
needs, one broken probe never hides the others, and only what selling needs fails the run."""

from __future__ import annotations

import errno
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from appliance import config as config_mod
from appliance import doctor
from appliance.core.events import KeyPosition
from appliance.doctor import FAULT, OK, WARN, Check, Probe, Twins, examine
from appliance.doctor_probes import MB, Finding, HostSources, scanner
from drivers.scanner_decode import ScanDecoder
from drivers.scanner_evdev import EvdevScanner

EVERY_CHECK = [
    "scanner",
    "printer",
    "drawer",
    "key switch",
    "help button",
    "card terminal",
    "broker",
    "disk space",
    "store",
    "clock",
]
SYNCED = HostSources(kernel_clock_synced=lambda: True)


def sim_config(tmp_path: Path) -> config_mod.Config:
    """Every device its twin (as --sim makes them), the store in a fresh directory."""
    settings = {
        "kiosk": {"data_dir": str(tmp_path / "data")},
        "devices": {"scanner": "sim", "printer": "sim", "gpio": "sim"},
    }
    return config_mod.merge(config_mod.Config(), settings, "test")


@pytest.fixture
def twins(tmp_path: Path) -> Iterator[Twins]:
    built = Twins.build(sim_config(tmp_path))
    yield built
    built.close()


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_every_twin_healthy_is_ready_to_sell_and_lists_every_device(tmp_path: Path) -> None:
    """GIVEN --sim and a synchronised clock WHEN the doctor runs THEN every configured
    device and service has its line, all OK, and the run says ready to sell."""
    checks = examine(sim_config(tmp_path), sim=True, host=SYNCED)
    assert [c.name for c in checks] == EVERY_CHECK
    assert [c.status for c in checks] == [OK] * len(EVERY_CHECK), checks
    assert doctor.ready_to_sell(checks)
    report = json.loads(doctor.render_json(checks))
    assert report["ok"] is True
    assert [c["name"] for c in report["checks"]] == EVERY_CHECK


def test_a_twin_printer_out_of_paper_is_a_fault_that_stops_selling(
    tmp_path: Path, twins: Twins
) -> None:
    twins.hardware.printer.paper_out()
    checks = by_name(examine(sim_config(tmp_path), twins=twins, host=SYNCED))
    assert checks["printer"].status == FAULT
    assert checks["printer"].reason.startswith("paper out: load a new roll")
    assert not doctor.ready_to_sell(list(checks.values()))


def test_an_unplugged_twin_scanner_is_a_fault(tmp_path: Path, twins: Twins) -> None:
    twins.hardware.scanner.unplug()
    checks = by_name(examine(sim_config(tmp_path), twins=twins, host=SYNCED))
    assert checks["scanner"].status == FAULT and "not found" in checks["scanner"].reason


def test_an_open_drawer_a_turned_key_a_held_button_and_low_paper_only_warn(
    tmp_path: Path, twins: Twins
) -> None:
    twins.hardware.gpio.pull_drawer_open()
    twins.hardware.gpio.turn_key(KeyPosition.STAFF)
    twins.hardware.printer.paper_low()
    bench = twins.hardware.gpio
    bench.pin(bench.config.help_button).drive_low()  # held down, or stuck
    checks = examine(sim_config(tmp_path), twins=twins, host=SYNCED)
    found = by_name(checks)
    assert (found["drawer"].status, found["drawer"].state) == (WARN, "open")
    assert (found["key switch"].status, found["key switch"].state) == (WARN, "staff")
    assert (found["help button"].status, found["help button"].state) == (WARN, "pressed")
    assert found["printer"].status == WARN and "paper low" in found["printer"].reason
    assert doctor.ready_to_sell(checks)


def test_a_probe_that_raises_is_its_own_fault_and_the_others_still_run() -> None:
    def broken() -> Finding:
        raise OSError("the bus fell off")

    checks = doctor.run(
        [
            Probe("printer", True, broken),
            Probe("broker", False, broken),
            Probe("clock", False, lambda: Finding(True, "synchronised")),
        ]
    )
    assert [(c.status, c.reason) for c in checks] == [
        (FAULT, "the bus fell off"),
        (WARN, "the bus fell off"),  # not needed for selling: a warning, not a fault
        (OK, ""),
    ]


def test_a_probe_that_hangs_is_given_up_on_at_its_timeout() -> None:
    release = threading.Event()

    def hangs() -> Finding:
        release.wait(30)
        return Finding(True, "too late")

    started = time.monotonic()
    try:
        checks = doctor.run(
            [Probe("scanner", True, hangs, timeout_s=0.2), Probe("clock", False, hangs, 0.2)]
        )
    finally:
        release.set()
    assert time.monotonic() - started < 2.0
    assert [(c.status, c.state) for c in checks] == [(FAULT, "no answer"), (WARN, "no answer")]
    assert checks[0].reason == "no answer in 0.2 s"


def statvfs(free_bytes: int, total_bytes: int = 16_000 * MB) -> Any:
    return lambda path: SimpleNamespace(
        f_bavail=free_bytes // 4096, f_blocks=total_bytes // 4096, f_frsize=4096
    )


@pytest.mark.parametrize(
    ("free", "status"),
    [(10 * MB, FAULT), (200 * MB, WARN), (2_000 * MB, OK)],
)
def test_free_space_below_the_minimum_stops_selling(tmp_path: Path, free: int, status: str) -> None:
    """GIVEN the data partition with `free` bytes left (50 MB minimum, 500 MB warning)."""
    host = HostSources(statvfs=statvfs(free), kernel_clock_synced=lambda: True)
    checks = examine(sim_config(tmp_path), sim=True, host=host)
    disk = by_name(checks)["disk space"]
    assert disk.status == status, disk
    assert str(tmp_path / "data") in disk.state  # the data dir does not exist yet: its parent
    assert doctor.ready_to_sell(checks) is (status != FAULT)


def test_a_tiny_threshold_reads_the_real_file_system(tmp_path: Path) -> None:
    host = HostSources(min_free_bytes=2**62, kernel_clock_synced=lambda: True)
    disk = by_name(examine(sim_config(tmp_path), sim=True, host=host))["disk space"]
    assert disk.status == FAULT and "needed to keep selling" in disk.reason


@pytest.mark.parametrize(
    ("kernel", "file_exists", "state"),
    [
        (True, False, "synchronised"),
        (None, True, "synchronised"),
        (False, True, "not synchronised"),
        (None, False, "unknown"),
    ],
)
def test_an_unsynchronised_clock_warns_but_does_not_stop_selling(
    tmp_path: Path, kernel: bool | None, file_exists: bool, state: str
) -> None:
    flag = tmp_path / "synchronized"
    if file_exists:
        flag.touch()
    host = HostSources(kernel_clock_synced=lambda: kernel, timesync_file=flag)
    checks = examine(sim_config(tmp_path), sim=True, host=host)
    clock = by_name(checks)["clock"]
    assert clock.state == state
    assert clock.status == (OK if state == "synchronised" else WARN)
    assert doctor.ready_to_sell(checks)


def test_the_kernel_clock_status_can_be_read_here() -> None:
    assert HostSources().kernel_clock_synced() in (True, False)


class BusyNode:
    """An evdev node another process has grabbed: EVIOCGRAB answers EBUSY."""

    path, name, phys = "/dev/input/by-id/usb-Scanner-event-kbd", "Scanner", "usb-1/input0"
    vendor, product, keys = 0x05E0, 0x1200, frozenset[int]()

    def fileno(self) -> int:
        return -1

    def read(self) -> list[Any]:
        return []

    def grab(self) -> None:
        raise OSError(errno.EBUSY, "Device or resource busy")

    def ungrab(self) -> None:
        pass

    def close(self) -> None:
        pass


class BusySystem:
    def list_devices(self) -> list[str]:
        return [BusyNode.path]

    def open(self, path: str) -> BusyNode:
        return BusyNode()


def test_a_scanner_grabbed_by_another_process_is_reported_busy() -> None:
    decoder = ScanDecoder("us", "enter", 0.1, False)
    device = EvdevScanner(BusyNode.path, decoder, time.monotonic, system=BusySystem())
    found = scanner(device, BusyNode.path, wait_s=3.0)
    assert not found.ok
    assert found.reason.startswith("busy: grabbed by another process")


def test_the_text_report_has_one_aligned_line_per_check_and_a_verdict(tmp_path: Path) -> None:
    checks = examine(sim_config(tmp_path), sim=True)  # the host's clock: OK or WARN
    lines = doctor.render_text(checks).splitlines()
    assert len(lines) == len(EVERY_CHECK) + 1 and lines[-1] == "ready to sell"
    assert {line.index(c.state) for line, c in zip(lines, checks, strict=False)} == {22}
    assert lines[0].split() == ["OK", "scanner", "simulated,", "plugged", "in"]


def test_a_three_position_key_in_service_warns(tmp_path: Path) -> None:
    cfg = config_mod.merge(sim_config(tmp_path), {"gpio": {"key_positions": 3}}, "test")
    twins = Twins.build(cfg)
    try:
        twins.hardware.gpio.turn_key(KeyPosition.SERVICE)
        key = by_name(examine(cfg, twins=twins, host=SYNCED))["key switch"]
    finally:
        twins.close()
    assert (key.status, key.state) == (WARN, "service")
    assert "closed to shoppers" in key.reason
