"""Receipt printer through python-escpos, over TCP (port 9100), a serial line or USB.

The link is a drivers.printer_transports.Transport (NetworkTransport, SerialTransport,
UsbTransport); everything else here is the same for all three. One daemon worker thread
owns the connection; `print_receipt` only queues, so the main loop never waits on paper.
For each receipt the worker (re)connects, reads the real-time status (DLE EOT 1, 2, 4),
refuses to print when the paper is out, the cover is open or the printer does not
answer, sends the receipt in one bounded write, asks `GS r 1` (answered only once the
data before it has been processed) to confirm, reads the status again, and reports
ReceiptPrinted or PrintFailed. A receipt that cannot print is dropped, never retried: the
sale is committed, and a backlog printing itself when paper is loaded is what field
reports warn about (wwandreww/esc_pos_printer#108).

Status bits (Epson ESC/POS reference, DLE EOT; TM-T88III reference p. 304 for n=4,
TM-L60II p. 1217 for n=2; GS r as in the TM-U220 reference). Each DLE EOT answer has
bit 1 and bit 4 on, bits 0 and 7 off (0x12 pattern):
  DLE EOT 1 printer:        bit 3 off-line
  DLE EOT 2 offline cause:  bit 2 cover open, bit 5 stopped at paper end, bit 6 error
  DLE EOT 4 paper sensor:   bits 2,3 near end (0x0C), bits 5,6 paper end (0x60)
python-escpos 3.1's `paper_status()` returns 2 ("adequate") for an empty answer and
`is_online()` folds "no answer" into "off-line", so answers are read and parsed here:
a missing (timeout), empty or malformed answer is a fault, never OK.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType

from appliance.core.events import PaperState, PrinterStatusChanged, PrintFailed, ReceiptPrinted
from appliance.core.receipt import Receipt
from appliance.core.records import Document
from appliance.ports import Emit
from drivers.printer_transports import Transport
from drivers.receipt_layout import Printable, ReceiptLayout

log = logging.getLogger(__name__)

Monotonic = Callable[[], float]

DLE_EOT = b"\x10\x04"
GS_R_PAPER = b"\x1dr\x01"
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12


class PrinterFault(StrEnum):
    """The one catalogue of printer reasons (PrintFailed.reason, PrinterStatusChanged.reason)."""

    PAPER_OUT = "paper out"
    PAPER_LOW = "paper low"
    COVER_OPEN = "cover open"
    OFFLINE = "offline"
    PRINTER_ERROR = "printer error"
    NO_STATUS_ANSWER = "no status answer"
    GARBLED_STATUS = "garbled status answer"
    CANNOT_CONNECT = "cannot connect"
    WRITE_FAILED = "write failed"
    NOT_CONFIRMED = "print not confirmed"
    EXPIRED = "receipt expired before printing"
    BUSY = "printer busy"
    LAYOUT_ERROR = "receipt layout error"
    DRIVER_ERROR = "printer driver error"
    CLOSED = "printer closed"


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    online: bool
    paper: PaperState
    reason: str = ""

    @property
    def can_print(self) -> bool:
        return self.online and self.paper is not PaperState.OUT

    def event(self, at: float) -> PrinterStatusChanged:
        return PrinterStatusChanged(at=at, online=self.online, paper=self.paper, reason=self.reason)


def unknown_status(reason: str) -> PrinterStatus:
    """Status when the printer could not be read: off-line, and no paper we know of."""
    return PrinterStatus(online=False, paper=PaperState.OUT, reason=reason)


def decode_status(printer: int, offline_cause: int, paper_sensor: int) -> PrinterStatus:
    """The answers to DLE EOT 1, 2 and 4 → one status (worst reason first)."""
    if any(b & _FIXED_MASK != _FIXED_BITS for b in (printer, offline_cause, paper_sensor)):
        return unknown_status(PrinterFault.GARBLED_STATUS)
    cover_open = bool(offline_cause & 0x04)
    paper_end = bool(paper_sensor & 0x60 or offline_cause & 0x20)
    near_end = bool(paper_sensor & 0x0C)
    error = bool(offline_cause & 0x40)
    offline = bool(printer & 0x08)
    paper = PaperState.OUT if paper_end else PaperState.LOW if near_end else PaperState.OK
    reason: str
    if cover_open:
        reason = PrinterFault.COVER_OPEN
    elif paper_end:
        reason = PrinterFault.PAPER_OUT
    elif error:
        reason = PrinterFault.PRINTER_ERROR
    elif offline:
        reason = PrinterFault.OFFLINE
    else:
        reason = PrinterFault.PAPER_LOW if near_end else ""
    online = not (offline or cover_open or paper_end or error)
    return PrinterStatus(online=online, paper=paper, reason=reason)


def pulse_command(pin: int, on_ms: int, off_ms: int) -> bytes:
    """ESC p m t1 t2, always with explicit times (a bare `ESC p m` eats the next 2 bytes)."""
    if pin not in (2, 5):
        raise ValueError(f"drawer pin must be 2 or 5, got {pin}")
    if not (2 <= on_ms <= 510 and 2 <= off_ms <= 510):
        raise ValueError("pulse on/off times must be 2..510 ms (2 ms steps)")
    return bytes([0x1B, ord("p"), 0 if pin == 2 else 1, on_ms // 2, off_ms // 2])


@dataclass(frozen=True, slots=True)
class _Print:
    """A receipt (job_id: its sale id) or any other document (job_id: "")."""

    printable: Printable
    queued_at: float

    @property
    def job_id(self) -> str:
        return self.printable.sale_id if isinstance(self.printable, Receipt) else ""


@dataclass(frozen=True, slots=True)
class _Kick:
    command: bytes
    queued_at: float


_STOP = object()


class EscPosReceiptPrinter:
    """The ReceiptPrinter port over one transport. Every write and read is bounded."""

    def __init__(
        self,
        transport: Transport,
        *,
        monotonic: Monotonic,
        timeout_s: float = 5.0,
        locale: str = "en_GB",
        layout: ReceiptLayout | None = None,
        profile: str = "default",
        print_timeout_s: float = 8.0,
        confirm_print: bool = True,
        poll_interval_s: float | None = 30.0,
        max_age_s: float = 3600.0,
        kick_max_age_s: float = 12.0,
        max_queued: int = 8,
    ) -> None:
        """`locale` is used when no `layout` is given. `print_timeout_s` bounds the wait
        for the GS r confirmation (a long receipt takes seconds to print); set
        `confirm_print=False` for printers without GS r. `poll_interval_s` reads the
        status when idle (None: only around jobs). Receipts older than `max_age_s` and
        drawer kicks older than `kick_max_age_s` (Odoo: 12 s) are dropped, not sent late.
        """
        self._transport = transport
        self._monotonic = monotonic
        self._timeout_s = timeout_s
        self._layout = layout or ReceiptLayout(locale=locale)
        self._profile = profile
        self._print_timeout_s = print_timeout_s
        self._confirm_print = confirm_print
        self._poll_interval_s = poll_interval_s
        self._max_age_s = max_age_s
        self._kick_max_age_s = kick_max_age_s
        self._max_queued = max_queued
        self._jobs: queue.Queue[object] = queue.Queue()
        self._emit: Emit | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._connected = False
        self._last: PrinterStatus | None = None

    # --- the port (main thread) ---

    def start(self, emit: Emit) -> None:
        if self._thread is not None or self._closing.is_set():
            raise RuntimeError("start() once, before close()")
        self._emit = emit
        self._thread = threading.Thread(target=self._run, name="receipt-printer", daemon=True)
        self._thread.start()

    def print_receipt(self, receipt: Receipt) -> None:
        """Queue the receipt and return; the outcome comes back as an event."""
        self._queue(_Print(receipt, self._monotonic()))

    def print_document(self, document: Document) -> None:
        """Queue a slip, refund or report; its outcome comes back as for a receipt."""
        self._queue(_Print(document, self._monotonic()))

    def _queue(self, job: _Print) -> None:
        if self._emit is None:
            raise RuntimeError("start() the printer before printing")
        with self._lock:  # never behind the stop marker, where nobody would answer it
            refused = self._refusal()
            if refused is None:
                self._jobs.put(job)
        if refused is not None:
            self._emit(PrintFailed(at=self._monotonic(), sale_id=job.job_id, reason=refused))

    def drawer_kick(self, pin: int = 2, on_ms: int = 100, off_ms: int = 100) -> None:
        """Pulse the drawer solenoid through the printer's RJ11 port (queued, like prints)."""
        command = pulse_command(pin, on_ms, off_ms)
        if self._thread is None:
            raise RuntimeError("start() the printer before kicking the drawer")
        with self._lock:
            if self._refusal() is None:
                self._jobs.put(_Kick(command, self._monotonic()))

    def close(self) -> None:
        """Stop the worker (finishing the job in hand, bounded) and close the link."""
        with self._lock:
            if self._closing.is_set():
                return
            self._closing.set()
            self._jobs.put(_STOP)
        thread = self._thread
        if thread is not None:
            thread.join(timeout=self._timeout_s)
            if thread.is_alive():
                self._transport.abort()  # unblock a call; every call is bounded anyway
                thread.join(timeout=self._timeout_s)
        else:
            self._disconnect()

    def _refusal(self) -> PrinterFault | None:
        if self._closing.is_set():
            return PrinterFault.CLOSED
        return PrinterFault.BUSY if self._jobs.qsize() >= self._max_queued else None

    def __enter__(self) -> EscPosReceiptPrinter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- the worker thread ---

    def _run(self) -> None:
        try:
            self._check()
            while True:
                try:
                    job = self._jobs.get(timeout=self._poll_interval_s)
                except queue.Empty:
                    self._check()
                    continue
                if job is _STOP:
                    return
                try:
                    self._do(job)
                except Exception:  # a bug must not kill the worker and silence the printer
                    log.exception("receipt printer worker")
                    self._disconnect()
                    if isinstance(job, _Print):
                        self._failed(job, PrinterFault.DRIVER_ERROR)
        finally:
            self._disconnect()

    def _do(self, job: object) -> None:
        if isinstance(job, _Print):
            if self._closing.is_set():
                self._failed(job, PrinterFault.CLOSED)
            else:
                self._print(job)
        elif isinstance(job, _Kick) and not self._closing.is_set():
            self._kick(job)

    def _print(self, job: _Print) -> None:
        if self._monotonic() - job.queued_at > self._max_age_s:
            self._failed(job, PrinterFault.EXPIRED)
            return
        try:
            data = self._layout.to_bytes(job.printable, self._profile)
        except Exception:
            log.exception("print job %r could not be laid out", job.job_id)
            self._failed(job, PrinterFault.LAYOUT_ERROR)
            return
        before = self._check()
        if not before.can_print:
            self._failed(job, before.reason or PrinterFault.OFFLINE)
            return
        if not self._write(data):
            self._failed(job, PrinterFault.WRITE_FAILED)
            return
        done = self._ask(GS_R_PAPER, self._print_timeout_s) if self._confirm_print else 0
        after = self._check()
        if not after.can_print:
            self._failed(job, after.reason or PrinterFault.OFFLINE)
        elif done is None or done & 0x90:  # GS r answers have bits 4 and 7 off
            self._failed(job, PrinterFault.NOT_CONFIRMED)
        else:
            self._send(ReceiptPrinted(at=self._monotonic(), sale_id=job.job_id))

    def _kick(self, job: _Kick) -> None:
        if self._monotonic() - job.queued_at > self._kick_max_age_s:
            log.warning("drawer kick dropped: queued too long ago")
            return
        status = self._check()
        if not status.online:
            # an off-line printer keeps ESC p in its buffer and fires it when it is back
            log.warning("drawer kick dropped: printer %s", status.reason)
            return
        self._write(job.command)

    def _check(self) -> PrinterStatus:
        status = self._read_status()
        if status != self._last:
            self._last = status
            self._send(status.event(self._monotonic()))
        return status

    def _read_status(self) -> PrinterStatus:
        if not self._connected:
            try:
                self._transport.open(self._timeout_s)
            except OSError as exc:  # logged as text: a kept record must not keep the link
                log.warning("printer %s: %s", self._transport.name, str(exc))
                return unknown_status(PrinterFault.CANNOT_CONNECT)
            self._connected = True
        answers: list[int] = []
        for n in (1, 2, 4):
            answer = self._ask(DLE_EOT + bytes([n]), self._timeout_s)
            if answer is None:
                self._disconnect()  # a late answer must not be read as the next one
                return unknown_status(PrinterFault.NO_STATUS_ANSWER)
            answers.append(answer)
        status = decode_status(*answers)
        if status.reason == PrinterFault.GARBLED_STATUS:
            self._disconnect()
        return status

    def _disconnect(self) -> None:
        if self._connected:
            self._connected = False
            self._transport.close()

    def _write(self, data: bytes) -> bool:
        try:
            self._transport.write(data)
        except OSError as exc:
            log.warning("printer %s: write failed: %s", self._transport.name, str(exc))
            self._disconnect()
            self._check()
            return False
        return True

    def _ask(self, request: bytes, timeout_s: float) -> int | None:
        """Send a status request and read its one-byte answer; None when none came."""
        if not self._connected:
            return None
        try:
            answer = self._transport.ask(request, timeout_s)
        except OSError:  # includes TimeoutError
            return None
        return answer[0] if answer else None

    def _failed(self, job: _Print, reason: str) -> None:
        self._send(PrintFailed(at=self._monotonic(), sale_id=job.job_id, reason=reason))

    def _send(self, event: PrinterStatusChanged | PrintFailed | ReceiptPrinted) -> None:
        if self._emit is not None:
            self._emit(event)
