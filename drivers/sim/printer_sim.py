"""The receipt printer twin: the real layout into python-escpos's Dummy, read back as text.

Synchronous: `print_receipt` reports before it returns. It fails on purpose like the
real thing: paper out, cover open, off-line (each refuses to print and prints nothing),
paper low (prints, warns), and `fail_next_print` (paper runs out mid-receipt). Status
changes are reported only when the status changes, as the network adapter does.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from appliance.core.events import PaperState, PrintFailed, ReceiptPrinted
from appliance.core.receipt import Receipt
from appliance.core.records import Document
from appliance.ports import Emit
from drivers.escpos_decode import receipt_text
from drivers.printer_escpos import PrinterFault, PrinterStatus, pulse_command, unknown_status
from drivers.receipt_layout import Printable, ReceiptLayout


class SimReceiptPrinter:
    def __init__(
        self,
        monotonic: Callable[[], float],
        *,
        locale: str = "en_GB",
        layout: ReceiptLayout | None = None,
        profile: str = "default",
        store_name: str | None = None,
    ) -> None:
        """`locale` and `store_name` (a header override) are used when no `layout` is given."""
        self._monotonic = monotonic
        self._layout = layout or ReceiptLayout(locale=locale, store_name=store_name)
        self._profile = profile
        self._emit: Emit | None = None
        self._closed = False
        self._last: PrinterStatus | None = None
        self._output = bytearray()
        self._fail_next: str | None = None
        self.paper = PaperState.OK
        self.cover_is_open = False
        self.reachable = True
        self.receipts: list[str] = []
        self.documents: list[str] = []
        """The text of every receipt printed in full, in order."""
        self.kicks: list[tuple[int, int, int]] = []
        """(pin, on_ms, off_ms) of every drawer pulse sent."""

    @property
    def output(self) -> bytes:
        """Every byte that reached the paper (a torn receipt's first half included)."""
        return bytes(self._output)

    @property
    def status(self) -> PrinterStatus:
        if not self.reachable:
            return unknown_status(PrinterFault.OFFLINE)
        if self.cover_is_open:
            return PrinterStatus(online=False, paper=self.paper, reason=PrinterFault.COVER_OPEN)
        if self.paper is PaperState.OUT:
            return PrinterStatus(online=False, paper=self.paper, reason=PrinterFault.PAPER_OUT)
        reason = PrinterFault.PAPER_LOW if self.paper is PaperState.LOW else ""
        return PrinterStatus(online=True, paper=self.paper, reason=reason)

    # --- the port ---

    def start(self, emit: Emit) -> None:
        self._emit = emit
        self._report()

    def print_receipt(self, receipt: Receipt) -> None:
        self._print(receipt, receipt.sale_id, self.receipts)

    def print_document(self, document: Document) -> None:
        """Slips, refunds, reports: printed like receipts, kept in `.documents`."""
        self._print(document, "", self.documents)

    def _print(self, printable: Printable, job_id: str, kept: list[str]) -> None:
        emit = self._emit
        if emit is None:
            raise RuntimeError("start() the printer before printing")
        status = self.status
        if self._closed or not status.can_print:
            reason = PrinterFault.CLOSED if self._closed else status.reason
            emit(PrintFailed(at=self._monotonic(), sale_id=job_id, reason=reason))
            return
        data = self._layout.to_bytes(printable, self._profile)
        if self._fail_next is not None:
            reason, self._fail_next = self._fail_next, None
            self._output += data[: len(data) // 2]
            self.paper = PaperState.OUT
            self._report()
            emit(PrintFailed(at=self._monotonic(), sale_id=job_id, reason=reason))
            return
        self._output += data
        kept.append(receipt_text(data))
        emit(ReceiptPrinted(at=self._monotonic(), sale_id=job_id))

    def drawer_kick(self, pin: int = 2, on_ms: int = 100, off_ms: int = 100) -> None:
        """A pulse through the printer's drawer port; dropped while the printer is off-line."""
        command = pulse_command(pin, on_ms, off_ms)
        if not self._closed and self.status.online:
            self._output += command
            self.kicks.append((pin, on_ms, off_ms))

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> SimReceiptPrinter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- faults on purpose ---

    def paper_out(self) -> None:
        self._set_paper(PaperState.OUT)

    def paper_low(self) -> None:
        self._set_paper(PaperState.LOW)

    def paper_in(self) -> None:
        """A fresh roll: no stale receipt comes out (none was kept)."""
        self._set_paper(PaperState.OK)

    def cover_open(self) -> None:
        self.cover_is_open = True
        self._report()

    def cover_close(self) -> None:
        self.cover_is_open = False
        self._report()

    def go_offline(self) -> None:
        """Cable pulled or power off: nothing answers."""
        self.reachable = False
        self._report()

    def go_online(self) -> None:
        self.reachable = True
        self._report()

    def fail_next_print(self, reason: str = PrinterFault.PAPER_OUT) -> None:
        """The next receipt tears halfway: the paper runs out, PrintFailed(reason)."""
        self._fail_next = reason

    def assert_printed(self, text: str) -> None:
        if not any(text in receipt for receipt in self.receipts):
            raise AssertionError(f"no receipt contains {text!r}; printed: {self.receipts!r}")

    def _set_paper(self, paper: PaperState) -> None:
        self.paper = paper
        self._report()

    def _report(self) -> None:
        status = self.status
        if self._emit is None or self._closed or status == self._last:
            return
        self._last = status
        self._emit(status.event(self._monotonic()))
