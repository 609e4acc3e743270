"""What every real scanner adapter shares: one daemon thread that attaches to the scanner,
reads until it is lost, and attaches again every `reconnect_s` (a replug is back within 2 s).

ScannerFound and ScannerLost are sent once per change, never repeated while the scanner
stays missing; a half scan dies with the connection. The thread only emits events. The
adapters (drivers/scanner_evdev.py, drivers/scanner_serial.py) say how to attach, read
and let go of their kind of link.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

from appliance.core.events import BarcodeScanned, ScannerFound, ScannerLost
from appliance.ports import Emit
from drivers.scanner_decode import Rejected, Result, ScannerFault, barcode_text

log = logging.getLogger(__name__)

Monotonic = Callable[[], float]
Problem = tuple[ScannerFault, str]
Link = TypeVar("Link")


class Decoder(Protocol):
    def reset(self) -> None: ...


class ScannerReader(Generic[Link]):
    """The reader thread and the Scanner port's start/close around it."""

    thread_name = "scanner"

    def __init__(
        self,
        decoder: Decoder,
        monotonic: Monotonic,
        reconnect_s: float,
        read_timeout_s: float,
        pause: Callable[[float], object] | None,
    ) -> None:
        """`read_timeout_s` bounds every read, so close() never waits longer; `pause` is
        the wait between attempts (injectable for tests)."""
        if not 0 < reconnect_s <= 1.5:
            raise ValueError(
                f"reconnect_s must be in (0, 1.5] to recover within 2 s: {reconnect_s}"
            )
        self._decoder = decoder
        self._monotonic = monotonic
        self._reconnect_s = reconnect_s
        self._read_timeout_s = read_timeout_s
        self._closing = threading.Event()
        self._pause = pause or self._closing.wait
        self._emit: Emit | None = None
        self._thread: threading.Thread | None = None

    # --- what an adapter says ---

    @property
    def label(self) -> str:
        """The scanner as the log names it."""
        raise NotImplementedError

    def _attach(self) -> Link | Problem:
        raise NotImplementedError

    def _describe(self, link: Link) -> str:
        raise NotImplementedError

    def _read_until_lost(self, link: Link) -> ScannerFault | None:
        """Read and deliver scans; the fault when the link is lost, None on close()."""
        raise NotImplementedError

    def _release(self, link: Link) -> None:
        raise NotImplementedError

    # --- the port ---

    def start(self, emit: Emit) -> None:
        if self._thread is not None or self._closing.is_set():
            raise RuntimeError("start() once, before close()")
        self._emit = emit
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closing.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self._read_timeout_s + 5.0)
            if thread.is_alive():
                log.error("%s: the reader did not stop within %.1f s", self.label, 5.0)

    def __enter__(self) -> Self:
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
            link = self._attach()
            if isinstance(link, tuple):
                fault, detail = link
                if (problem := f"{fault}: {detail}") != last_problem:
                    log.warning("%s %s", self.label, problem)
                    last_problem = problem
                if present is not False:
                    self._send(ScannerLost(at=self._monotonic(), reason=fault.value))
                    present = False
                self._pause(self._reconnect_s)
                continue
            log.info("%s attached: %s", self.label, self._describe(link))
            present, last_problem = True, ""
            self._decoder.reset()
            self._send(ScannerFound(at=self._monotonic()))
            lost = self._read_until_lost(link)
            self._release(link)
            self._decoder.reset()  # a half scan dies with the connection
            if lost is None:
                return
            log.warning("%s lost: %s", self.label, lost)
            self._send(ScannerLost(at=self._monotonic(), reason=lost.value))
            present = False
            self._pause(self._reconnect_s)

    def _deliver(self, results: list[Result]) -> None:
        for result in results:
            if isinstance(result, Rejected):
                log.warning("scan rejected: %s (read %r)", result.reason, result.text)
            self._send(BarcodeScanned(at=result.at, text=barcode_text(result)))

    def _send(self, event: BarcodeScanned | ScannerLost | ScannerFound) -> None:
        if self._emit is not None and not self._closing.is_set():
            self._emit(event)
