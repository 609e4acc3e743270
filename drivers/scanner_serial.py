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
import threading
from collections.abc import Callable
from types import TracebackType

import serial

from appliance.core.barcodes import MAX_SCAN_LENGTH
from appliance.core.events import BarcodeScanned, ScannerFound, ScannerLost
from appliance.ports import Emit
from drivers.scanner_decode import LineDecoder, Rejected, Result, ScannerFault, barcode_text

log = logging.getLogger(__name__)

Monotonic = Callable[[], float]
Problem = tuple[ScannerFault, str]
_DENIED = {errno.EACCES, errno.EPERM}
_LOCKED = {errno.EWOULDBLOCK, errno.EAGAIN, errno.EBUSY}


class SerialScanner:
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
        if not 0 < reconnect_s <= 1.5:
            raise ValueError(
                f"reconnect_s must be in (0, 1.5] to recover within 2 s: {reconnect_s}"
            )
        self._port, self._baudrate = port, baudrate
        self._monotonic = monotonic
        self._decoder = LineDecoder(aim_prefix, fnc1, max_length, gap_s)
        self._reconnect_s = reconnect_s
        self._read_timeout_s = read_timeout_s
        self._closing = threading.Event()
        self._pause = pause or self._closing.wait
        self._emit: Emit | None = None
        self._thread: threading.Thread | None = None

    def start(self, emit: Emit) -> None:
        if self._thread is not None or self._closing.is_set():
            raise RuntimeError("start() once, before close()")
        self._emit = emit
        self._thread = threading.Thread(target=self._run, name="scanner-serial", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closing.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self._read_timeout_s + 5.0)
            if thread.is_alive():
                log.error("serial scanner reader did not stop")

    def __enter__(self) -> SerialScanner:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- the reader thread ---

    def _run(self) -> None:
        present: bool | None = None  # None: not known yet
        last_problem = ""
        while not self._closing.is_set():
            port = self._open()
            if isinstance(port, tuple):
                fault, detail = port
                if (problem := f"{fault}: {detail}") != last_problem:
                    log.warning("serial scanner %s %s", self._port, problem)
                    last_problem = problem
                if present is not False:
                    self._send(ScannerLost(at=self._monotonic(), reason=fault.value))
                    present = False
                self._pause(self._reconnect_s)
                continue
            log.info("serial scanner %s open at %d baud", self._port, self._baudrate)
            present, last_problem = True, ""
            self._decoder.reset()
            self._send(ScannerFound(at=self._monotonic()))
            lost = self._read_until_lost(port)
            with contextlib.suppress(OSError):
                port.close()
            self._decoder.reset()  # a half line dies with the connection
            if lost is None:
                return
            self._send(ScannerLost(at=self._monotonic(), reason=lost.value))
            present = False
            self._pause(self._reconnect_s)

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
                self._deliver(self._decoder.feed(data, at) if data else self._decoder.tick(at))
        except OSError as exc:  # SerialException too: read failed, device disconnected
            log.warning("serial scanner %s lost: %s", self._port, exc)
            return ScannerFault.UNPLUGGED
        except Exception:  # a driver bug: report the scanner lost, and try again
            log.exception("serial scanner %s: reader failed", self._port)
            return ScannerFault.READ_ERROR
        return None

    def _deliver(self, results: list[Result]) -> None:
        for result in results:
            if isinstance(result, Rejected):
                log.warning("scan rejected: %s (read %r)", result.reason, result.text)
            self._send(BarcodeScanned(at=result.at, text=barcode_text(result)))

    def _send(self, event: BarcodeScanned | ScannerLost | ScannerFound) -> None:
        if self._emit is not None and not self._closing.is_set():
            self._emit(event)
