"""Serial barcode scanner (RS-232, or USB in CDC/virtual COM mode) through pyserial.

Lines end in CR, LF or both; each line is decoded like a keyboard-wedge scan (AIM prefix,
FNC1 substitute, length cap: drivers.scanner_decode.LineDecoder) and bytes that are not
ASCII reject the line. Name the port by a stable path (/dev/serial/by-id/...): ttyACMn
numbers move on replug. The port is opened exclusively (pyserial's flock), so no other
program (ModemManager probing a CDC device, a second kiosk process) reads half the scans.

One daemon thread reads with a short timeout, so it notices close() and can drop a line
that stalls. A USB scanner pulled out makes the read fail (SerialException): the thread
closes the port, emits ScannerLost, and reopens it every `reconnect_s`, then emits
ScannerFound. The thread only emits events.
"""

from __future__ import annotations

import contextlib
import errno
import logging
from collections.abc import Callable

import serial

from appliance.core.barcodes import MAX_SCAN_LENGTH
from drivers.scanner_decode import LineDecoder, ScannerFault
from drivers.scanner_reader import Problem, ScannerReader

log = logging.getLogger(__name__)

Monotonic = Callable[[], float]
_DENIED = {errno.EACCES, errno.EPERM}
_LOCKED = {errno.EWOULDBLOCK, errno.EAGAIN, errno.EBUSY}


class SerialScanner(ScannerReader[serial.Serial]):
    """The Scanner port over a serial line (8N1 at `baudrate`)."""

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        *,
        monotonic: Monotonic,
        aim_prefix: bool = False,
        fnc1: str = "",
        max_length: int = MAX_SCAN_LENGTH,
        gap_s: float = 0.5,
        reconnect_s: float = 0.5,
        read_timeout_s: float = 0.05,
        pause: Callable[[float], object] | None = None,
    ) -> None:
        """`gap_s`: a line without CR/LF for this long is dropped. `reconnect_s`: how often
        a missing port is tried again. `read_timeout_s` bounds every read, so close() never
        waits longer. `pause` is the wait between attempts, injectable for tests."""
        if baudrate not in serial.Serial.BAUDRATES:
            raise ValueError(f"baudrate {baudrate} is not a standard rate")
        self._lines = LineDecoder(aim_prefix, fnc1, max_length, gap_s)
        super().__init__(self._lines, monotonic, reconnect_s, read_timeout_s, pause)
        self._port, self._baudrate = port, baudrate

    thread_name = "scanner-serial"

    @property
    def label(self) -> str:
        return f"serial scanner {self._port}"

    def _describe(self, port: serial.Serial) -> str:
        return f"open at {self._baudrate} baud"

    def _attach(self) -> serial.Serial | Problem:
        return self._open()

    def _release(self, port: serial.Serial) -> None:
        with contextlib.suppress(OSError):
            port.close()

    # --- opening and reading ---

    def _open(self) -> serial.Serial | Problem:
        try:
            return serial.Serial(
                self._port, self._baudrate, timeout=self._read_timeout_s, exclusive=True
            )
        except OSError as exc:  # serial.SerialException is an OSError
            if exc.errno in _DENIED:
                return ScannerFault.NO_PERMISSION, f"{exc} (is the user in group dialout?)"
            if exc.errno in _LOCKED:
                return ScannerFault.BUSY, str(exc)
            return ScannerFault.NOT_FOUND, str(exc)
        except ValueError as exc:  # settings the port refuses
            return ScannerFault.READ_ERROR, str(exc)

    def _read_until_lost(self, port: serial.Serial) -> ScannerFault | None:
        try:
            while not self._closing.is_set():
                data = port.read(max(1, port.in_waiting))
                at = self._monotonic()
                self._deliver(self._lines.feed(data, at) if data else self._lines.tick(at))
        except OSError as exc:  # SerialException too: read failed, device disconnected
            log.warning("serial scanner %s lost: %s", self._port, exc)
            return ScannerFault.UNPLUGGED
        except Exception:  # a driver bug: report the scanner lost, and try again
            log.exception("serial scanner %s: reader failed", self._port)
            return ScannerFault.READ_ERROR
        return None
