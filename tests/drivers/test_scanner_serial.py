"""Serial scanners: the pure line decoder, then SerialScanner over a real pty.

pyserial opens the pty's slave through a symlink, as the kiosk opens /dev/serial/by-id/...;
the test writes what a scanner sends to the master, in chunks. Closing the master is the
unplug (the slave's reads fail with EIO, as a USB-serial device's do); a new pty behind
the same link is the replug.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from appliance.core import barcodes
from appliance.core.events import BarcodeScanned, ScannerFound, ScannerLost
from drivers.scanner_decode import DecodedScan, LineDecoder, Rejected, ScannerFault
from drivers.scanner_serial import SerialScanner
from tests.drivers.test_scanner_evdev import FakeClock, Inbox

EAN = "5901234123457"
GS1 = "]C1010590123412345710ABC123"

# --- the line decoder (pure) ---------------------------------------------------------------


def lines(chunks: list[bytes], **options: object) -> list[DecodedScan | Rejected]:
    decoder = LineDecoder(**options)  # type: ignore[arg-type]
    return [r for i, chunk in enumerate(chunks) for r in decoder.feed(chunk, 10.0 + i * 0.01)]


@pytest.mark.parametrize(
    "chunks",
    [
        [b"5901234123457\r\n"],
        [b"5901234123457\r"],
        [b"5901234123457\n"],
        [b"59012", b"34123", b"457\r", b"\n"],
        [b"\r\n\r\n5901234123457\n\r"],
        [b"5", b"9", b"0", b"1", b"2", b"3", b"4", b"1", b"2", b"3", b"4", b"5", b"7", b"\r"],
    ],
)
def test_cr_lf_or_both_frame_one_scan_in_any_chunking(chunks: list[bytes]) -> None:
    assert [r.text for r in lines(chunks)] == [EAN]


def test_several_scans_in_one_read() -> None:
    assert [r.text for r in lines([b"5901234123457\r\n96385074\r\n4011\r\n"])] == [
        EAN,
        "96385074",
        "4011",
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe590\r", "byte 0xff is not ASCII"),
        (b"\x02590123\x03\r", "control byte 0x02"),
        (b"590\x00123\r", "control byte 0x00"),
        (b"590\x7f\r", "control byte 0x7f"),
    ],
)
def test_garbage_rejects_its_line_with_a_reason(data: bytes, reason: str) -> None:
    [rejected] = lines([data, b"5901234123457\r\n"])[:1]
    assert isinstance(rejected, Rejected) and reason in rejected.reason
    assert [r.text for r in lines([data, b"5901234123457\r\n"])[1:]] == [EAN]


def test_an_overlong_line_is_rejected_once() -> None:
    [rejected, scan] = lines([b"7" * 300, b"1" * 300 + b"\r\n", b"5901234123457\r\n"])
    assert isinstance(rejected, Rejected) and "too long" in rejected.reason
    assert scan == DecodedScan(EAN, "", 10.02)


def test_gs_aim_and_fnc1_substitute() -> None:
    [scan] = lines([f"{GS1}~17261231\r".encode()], aim_prefix=True, fnc1="~")
    assert scan == DecodedScan(f"{GS1}\x1d17261231", "]C1", 10.0)
    [scan] = lines([f"{GS1}\x1d17261231\r".encode()])
    assert barcodes.parse(scan.text).expiry_yymmdd == "261231"


def test_a_line_that_stalls_is_dropped_not_joined() -> None:
    decoder = LineDecoder(gap_s=0.5)
    assert decoder.feed(b"590123", 10.0) == []
    assert decoder.tick(10.4) == []
    [stalled] = decoder.tick(10.6)
    assert isinstance(stalled, Rejected) and "no CR/LF" in stalled.reason
    assert [r.text for r in decoder.feed(b"4011\r", 11.0)] == ["4011"]


# --- SerialScanner over a pty --------------------------------------------------------------


class PtyScanner:
    """A serial scanner behind a stable link; plug() makes a new pty, unplug() hangs it up."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master: int | None = None

    def plug(self) -> None:
        master, slave = os.openpty()
        name = os.ttyname(slave)
        os.close(slave)
        tmp = self.link.with_suffix(".new")
        tmp.symlink_to(name)
        tmp.replace(self.link)
        self.master = master

    def unplug(self) -> None:
        if self.master is not None:
            os.close(self.master)
            self.master = None
            self.link.unlink()

    def send(self, data: bytes) -> bool:
        if self.master is None:
            return False
        os.write(self.master, data)
        return True

    def scan(self, text: str) -> bool:
        return self.send(text.encode() + b"\r\n")


@pytest.fixture
def pty(tmp_path: Path) -> Iterator[PtyScanner]:
    line = PtyScanner(tmp_path / "usb-Datalogic_QuickScan-if00")
    line.plug()
    yield line
    line.unplug()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def serial_scanner(pty: PtyScanner, clock: FakeClock, **options: object) -> SerialScanner:
    return SerialScanner(str(pty.link), 9600, monotonic=clock, pause=clock.pause, **options)  # type: ignore[arg-type]


def test_scans_arrive_in_chunks_with_split_frames_crlf_and_garbage(
    pty: PtyScanner, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = Inbox()
    with serial_scanner(pty, clock) as scanner, caplog.at_level(logging.WARNING):
        scanner.start(inbox.put)
        inbox.next(ScannerFound)
        for chunk in (b"59012", b"3412", b"3457\r", b"\n96385074\n", b"\xfe\xff12\r\n"):
            pty.send(chunk)
        pty.send(b"4" * 200 + b"\r\n")
        pty.scan(EAN)
        assert inbox.next(BarcodeScanned).text == EAN
        assert inbox.next(BarcodeScanned).text == "96385074"
        garbage = inbox.next(BarcodeScanned).text
        overlong = inbox.next(BarcodeScanned).text
        assert inbox.next(BarcodeScanned).text == EAN
    assert not barcodes.parse(garbage).valid
    assert "too long" in barcodes.parse(overlong).error
    assert "byte 0xfe is not ASCII" in caplog.text and "too long" in caplog.text


def test_unplug_is_reported_and_a_replug_recovers_within_the_reconnect_period(
    pty: PtyScanner, clock: FakeClock
) -> None:
    inbox = Inbox()
    with serial_scanner(pty, clock) as scanner:
        scanner.start(inbox.put)
        inbox.next(ScannerFound)
        pty.unplug()
        assert inbox.next(ScannerLost).reason == ScannerFault.UNPLUGGED
        assert not pty.scan(EAN)
        clock.advance(5.0)
        with clock.lock:
            pty.plug()
            plugged_at = clock.now
        assert inbox.next(ScannerFound).at - plugged_at <= 0.5
        pty.scan(EAN)
        assert inbox.next(BarcodeScanned).text == EAN


def test_a_missing_port_at_start_is_reported(tmp_path: Path, clock: FakeClock) -> None:
    inbox = Inbox()
    path = str(tmp_path / "no-such-port")
    with SerialScanner(path, monotonic=clock, pause=clock.pause) as scanner:
        scanner.start(inbox.put)
        assert inbox.next(ScannerLost).reason == ScannerFault.NOT_FOUND


def test_a_port_held_by_another_program_is_retried(pty: PtyScanner, clock: FakeClock) -> None:
    inbox = Inbox()
    other = serial.Serial(str(pty.link), 9600, timeout=0.1, exclusive=True)
    try:
        with serial_scanner(pty, clock) as scanner:
            scanner.start(inbox.put)
            assert inbox.next(ScannerLost).reason == ScannerFault.BUSY
            other.close()
            inbox.next(ScannerFound)
    finally:
        other.close()


def test_close_is_idempotent_and_start_after_close_is_refused(
    pty: PtyScanner, clock: FakeClock
) -> None:
    inbox = Inbox()
    scanner = serial_scanner(pty, clock)
    scanner.start(inbox.put)
    inbox.next(ScannerFound)
    scanner.close()
    scanner.close()
    pty.scan(EAN)
    with pytest.raises(RuntimeError):
        scanner.start(inbox.put)
    assert inbox.empty()
    serial_scanner(pty, clock).close()  # never started


@pytest.mark.parametrize("options", [{"baudrate": 1234}, {"reconnect_s": 2.5}, {"fnc1": "1"}])
def test_bad_options_are_refused(options: dict[str, object]) -> None:
    args: dict[str, object] = {"port": "/dev/null", "monotonic": FakeClock()} | options
    with pytest.raises(ValueError):
        SerialScanner(**args)  # type: ignore[arg-type]
