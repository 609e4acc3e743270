"""The Scanner contract, run against the twin, EvdevScanner on a fake kernel, SerialScanner
on a real pty. Events are read in order from the inbox, so "nothing in between" is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from appliance.core.events import BarcodeScanned, ScannerFound, ScannerLost
from drivers.scanner_decode import ScanDecoder
from drivers.scanner_evdev import EvdevScanner
from drivers.scanner_serial import SerialScanner
from drivers.sim.scanner_sim import SimScanner
from tests.drivers.test_scanner_evdev import FakeClock, FakeInputSystem, Inbox, honeywell
from tests.drivers.test_scanner_serial import PtyScanner

EAN = "5901234123457"
OTHER = "96385074"


@dataclass
class Rig:
    scanner: Any
    scan: Callable[[str], bool]  # False: the scan could not reach the kiosk
    unplug: Callable[[], None]
    plug: Callable[[], None]
    found_at_start: bool  # the real adapters report ScannerFound once they hold the device
    inbox: Inbox

    def start(self) -> None:
        self.scanner.start(self.inbox.put)
        if self.found_at_start:
            self.inbox.next(ScannerFound)


def _sim(tmp_path: Path) -> tuple[Rig, Callable[[], None]]:
    twin = SimScanner(FakeClock())
    return Rig(twin, twin.scan, twin.unplug, twin.plug, False, Inbox()), lambda: None


def _evdev(tmp_path: Path) -> tuple[Rig, Callable[[], None]]:
    system, clock, usb = FakeInputSystem(), FakeClock(), honeywell()
    system.plug(usb)
    scanner = EvdevScanner("0c2e:0b61", ScanDecoder("us"), clock, system=system, pause=clock.pause)
    rig = Rig(
        scanner, usb.scan, lambda: system.unplug(usb), lambda: system.plug(usb), True, Inbox()
    )
    return rig, lambda: None


def _serial(tmp_path: Path) -> tuple[Rig, Callable[[], None]]:
    clock, pty = FakeClock(), PtyScanner(tmp_path / "usb-scanner-if00")
    pty.plug()
    scanner = SerialScanner(str(pty.link), monotonic=clock, pause=clock.pause)
    return Rig(scanner, pty.scan, pty.unplug, pty.plug, True, Inbox()), pty.unplug


@pytest.fixture(params=["sim", "evdev", "serial"])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    build = {"sim": _sim, "evdev": _evdev, "serial": _serial}[request.param]
    made, cleanup = build(tmp_path)
    try:
        made.start()
        yield made
    finally:
        made.scanner.close()
        cleanup()


def test_one_scan_is_one_barcode_scanned_with_its_text(rig: Rig) -> None:
    assert rig.scan(EAN)
    assert rig.scan(OTHER)
    assert rig.inbox.next(BarcodeScanned).text == EAN
    assert rig.inbox.next(BarcodeScanned).text == OTHER  # nothing else came in between


def test_unplugged_delivers_nothing_until_replugged_then_scans_again(rig: Rig) -> None:
    """GIVEN a working scanner WHEN it is unplugged THEN ScannerLost, and a scan attempted
    meanwhile delivers nothing; WHEN replugged THEN ScannerFound and scanning works."""
    rig.unplug()
    assert rig.inbox.next(ScannerLost).reason == "unplugged"
    assert not rig.scan(EAN)
    rig.plug()
    rig.inbox.next(ScannerFound)
    assert rig.scan(OTHER)
    assert rig.inbox.next(BarcodeScanned).text == OTHER


def test_close_twice_is_fine_and_nothing_follows(rig: Rig) -> None:
    rig.scanner.close()
    rig.scanner.close()
    rig.scan(EAN)
    assert rig.inbox.empty()
