"""The ReceiptPrinter contract, run against the twin and the ESC/POS adapter + peer.

The adapter runs over TCP (a peer on a loopback port) and over a serial line (a peer on
a pty's master; the adapter opens the slave through pyserial). It reports from its worker
thread; tests wait for its events on a queue with a bounded timeout (never a sleep, never
an assertion on speed).
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from appliance.core.events import (
    Event,
    PaperState,
    PrinterStatusChanged,
    PrintFailed,
    ReceiptPrinted,
)
from appliance.core.receipt import Receipt
from drivers.printer_escpos import EscPosReceiptPrinter, PrinterFault, decode_status
from drivers.printer_transports import NetworkTransport, SerialTransport, Transport
from drivers.receipt_layout import return_code
from drivers.sim.printer_sim import SimReceiptPrinter
from tests.support.printer_peer import PrinterPeer, PtyPrinterPeer

MakeReceipt = Callable[..., Receipt]
E = TypeVar("E", bound=Event)
WAIT_S = 15.0  # a bound for a stuck worker, not an expectation of speed
TIMEOUT_S = 2.0  # generous: a loaded test machine must not look like a silent printer


@dataclass
class Rig:
    """One printer under test, its device-side controls, and the events it emitted."""

    printer: Any
    paper: Callable[[str], None]
    cover: Callable[[bool], None]
    fail_next_print: Callable[[], None]
    receipts: Callable[[], list[str]]
    pulses: Callable[[], list[tuple[int, int, int]]]
    peer: PrinterPeer | None = None
    inbox: queue.Queue[Event] = field(default_factory=queue.Queue)
    seen: list[Event] = field(default_factory=list)

    def start(self) -> None:
        self.printer.start(self.inbox.put)

    def wait_for(self, kind: type[E], where: Callable[[E], bool] = lambda e: True) -> E:
        for event in self.seen:
            if isinstance(event, kind) and where(event):
                self.seen.remove(event)
                return event
        while True:
            event = self.inbox.get(timeout=WAIT_S)  # queue.Empty fails the test
            if isinstance(event, kind) and where(event):
                return event
            self.seen.append(event)

    def status_seen(self, where: Callable[[PrinterStatusChanged], bool]) -> bool:
        while not self.inbox.empty():
            self.seen.append(self.inbox.get_nowait())
        return any(isinstance(e, PrinterStatusChanged) and where(e) for e in self.seen)


def _twin_rig(monotonic: Callable[[], float]) -> Rig:
    twin = SimReceiptPrinter(monotonic)
    papers = {"ok": twin.paper_in, "low": twin.paper_low, "out": twin.paper_out}
    return Rig(
        printer=twin,
        paper=lambda state: papers[state](),
        cover=lambda is_open: twin.cover_open() if is_open else twin.cover_close(),
        fail_next_print=twin.fail_next_print,
        receipts=lambda: twin.receipts,
        pulses=lambda: twin.kicks,
    )


def _peer_rig(
    monotonic: Callable[[], float], peer: PrinterPeer, timeout_s: float = TIMEOUT_S
) -> Rig:
    transport: Transport
    if isinstance(peer, PtyPrinterPeer):
        transport = SerialTransport(peer.serial_port, 19200)
    else:
        transport = NetworkTransport(peer.host, peer.port)
    printer = EscPosReceiptPrinter(
        transport,
        monotonic=monotonic,
        timeout_s=timeout_s,
        print_timeout_s=timeout_s,
        poll_interval_s=None,
    )

    def set_cover(is_open: bool) -> None:
        peer.cover_open = is_open

    def set_paper(state: Any) -> None:
        peer.paper = state

    return Rig(
        printer=printer,
        paper=set_paper,
        cover=set_cover,
        fail_next_print=peer.fail_next_print,
        receipts=lambda: peer.receipts,
        pulses=lambda: [(p.pin, p.on_ms, p.off_ms) for p in peer.pulses],
        peer=peer,
    )


def _peer(link: str, tmp_path: Path) -> PrinterPeer:
    if link == "serial":
        return PtyPrinterPeer(tmp_path / "usb-EPSON_TM-T88V-if00-port0")
    return PrinterPeer()


@pytest.fixture(params=["twin", "network", "serial"])
def rig(
    request: pytest.FixtureRequest, monotonic: Callable[[], float], tmp_path: Path
) -> Iterator[Rig]:
    if request.param == "twin":
        built = _twin_rig(monotonic)
        yield built
        built.printer.close()
        return
    with _peer(request.param, tmp_path) as peer:
        built = _peer_rig(monotonic, peer)
        yield built
        built.printer.close()


@pytest.fixture(params=["network", "serial"])
def adapter(
    request: pytest.FixtureRequest, monotonic: Callable[[], float], tmp_path: Path
) -> Iterator[Rig]:
    """The ESC/POS adapter over each link, against a peer (no twin)."""
    with _peer(request.param, tmp_path) as peer:
        built = _peer_rig(monotonic, peer, timeout_s=1.0)  # silent tests wait it out
        yield built
        built.printer.close()


def test_reports_its_status_when_started(rig: Rig) -> None:
    """GIVEN a ready printer WHEN started THEN it reports on-line with paper."""
    rig.start()

    status = rig.wait_for(PrinterStatusChanged)
    assert (status.online, status.paper, status.reason) == (True, PaperState.OK, "")


def test_prints_a_receipt_the_customer_can_read(rig: Rig, receipt: Receipt) -> None:
    """GIVEN a ready printer WHEN a receipt is printed THEN ReceiptPrinted comes back and the
    paper shows the receipt."""
    rig.start()
    rig.printer.print_receipt(receipt)

    assert rig.wait_for(ReceiptPrinted).sale_id == receipt.sale_id
    [printed] = rig.receipts()
    for text in ("Corner Shop", "Żubrówka", "Müsli", "TOTAL", "£57.47", return_code(receipt)):
        assert text in printed


def test_paper_out_refuses_to_print(rig: Rig, receipt: Receipt) -> None:
    """GIVEN no paper WHEN a receipt is printed THEN PrintFailed(paper out), the status
    says paper OUT, and nothing is printed."""
    rig.start()
    rig.paper("out")
    rig.printer.print_receipt(receipt)

    failed = rig.wait_for(PrintFailed)
    assert (failed.sale_id, failed.reason) == (receipt.sale_id, PrinterFault.PAPER_OUT)
    assert rig.status_seen(lambda s: s.paper is PaperState.OUT and not s.online)
    assert rig.receipts() == []


def test_paper_low_prints_and_warns(rig: Rig, receipt: Receipt) -> None:
    """GIVEN the paper near its end WHEN a receipt is printed THEN it prints, and the
    status says LOW (still on-line) so staff can change the roll in time."""
    rig.start()
    rig.paper("low")
    rig.printer.print_receipt(receipt)

    rig.wait_for(ReceiptPrinted)
    assert rig.status_seen(lambda s: s.online and s.paper is PaperState.LOW)
    assert len(rig.receipts()) == 1


def test_cover_open_refuses_to_print(rig: Rig, receipt: Receipt) -> None:
    """GIVEN the cover open WHEN a receipt is printed THEN PrintFailed(cover open)."""
    rig.start()
    rig.cover(True)
    rig.printer.print_receipt(receipt)

    assert rig.wait_for(PrintFailed).reason == PrinterFault.COVER_OPEN
    assert rig.receipts() == []


def test_paper_running_out_mid_receipt_fails_it(rig: Rig, receipt: Receipt) -> None:
    """GIVEN the paper will run out during the next receipt WHEN it prints
    THEN PrintFailed(paper out) and the status says paper OUT."""
    rig.start()
    rig.fail_next_print()
    rig.printer.print_receipt(receipt)

    assert rig.wait_for(PrintFailed).reason == PrinterFault.PAPER_OUT
    assert rig.status_seen(lambda s: s.paper is PaperState.OUT)
    assert rig.receipts() == []


def test_no_stale_receipt_when_paper_returns(rig: Rig, receipt_factory: MakeReceipt) -> None:
    """GIVEN a receipt that failed for lack of paper WHEN paper is loaded and the next
    sale prints THEN only the next sale's receipt comes out."""
    first, second = receipt_factory(seq=1), receipt_factory(seq=2, sale_id="a" * 32)
    rig.start()
    rig.paper("out")
    rig.printer.print_receipt(first)
    rig.wait_for(PrintFailed)
    rig.paper("ok")
    rig.printer.print_receipt(second)

    assert rig.wait_for(ReceiptPrinted).sale_id == second.sale_id
    [printed] = rig.receipts()
    assert return_code(second) in printed and return_code(first) not in printed


def test_drawer_kick_pulses_only_an_online_printer(rig: Rig, receipt: Receipt) -> None:
    """GIVEN a ready printer WHEN the drawer is kicked THEN one pulse on that pin;
    GIVEN paper out WHEN kicked THEN no pulse (it would fire late, after a roll change)."""
    rig.start()
    rig.printer.drawer_kick(pin=5, on_ms=50, off_ms=500)
    if rig.peer is not None:  # the worker sends it in its own time
        assert rig.peer.wait_until(lambda: len(rig.pulses()) == 1)
    assert rig.pulses() == [(5, 50, 500)]

    rig.paper("out")
    rig.printer.drawer_kick(pin=2)
    rig.printer.print_receipt(receipt)  # queued behind the kick: its outcome orders them
    rig.wait_for(PrintFailed)
    assert rig.pulses() == [(5, 50, 500)]


def test_close_twice_and_printing_after_close(rig: Rig, receipt: Receipt) -> None:
    """GIVEN a started printer WHEN closed twice THEN no error; printing afterwards fails
    with "printer closed" instead of vanishing."""
    rig.start()
    rig.printer.close()
    rig.printer.close()
    rig.printer.print_receipt(receipt)

    assert rig.wait_for(PrintFailed).reason == PrinterFault.CLOSED


def test_the_twin_off_line_refuses_to_print(
    monotonic: Callable[[], float], receipt: Receipt
) -> None:
    """GIVEN the twin unplugged WHEN a receipt is printed THEN PrintFailed(offline), and
    plugging it back reports on-line; assert_printed finds printed text only."""
    rig = _twin_rig(monotonic)
    twin: SimReceiptPrinter = rig.printer
    rig.start()
    twin.go_offline()
    twin.print_receipt(receipt)

    assert rig.wait_for(PrintFailed).reason == PrinterFault.OFFLINE
    assert rig.status_seen(lambda s: not s.online)
    twin.go_online()
    assert rig.status_seen(lambda s: s.online)
    with pytest.raises(AssertionError):
        twin.assert_printed("Corner Shop")


# --- the adapter only (network and serial): what a real printer (or its absence) does ---


def test_silent_printer_is_a_fault_never_ok(adapter: Rig, receipt: Receipt) -> None:
    """GIVEN a printer that never answers status requests WHEN a receipt is printed
    THEN PrintFailed(no status answer), status off-line, and nothing was sent to print;
    WHEN it answers again THEN the adapter reconnects and prints."""
    assert adapter.peer is not None
    adapter.peer.silent = True
    adapter.start()

    status = adapter.wait_for(PrinterStatusChanged)
    assert (status.online, status.reason) == (False, PrinterFault.NO_STATUS_ANSWER)
    adapter.printer.print_receipt(receipt)
    assert adapter.wait_for(PrintFailed).reason == PrinterFault.NO_STATUS_ANSWER
    assert adapter.receipts() == []
    assert adapter.peer.torn == []

    adapter.peer.silent = False
    adapter.printer.print_receipt(receipt)
    adapter.wait_for(ReceiptPrinted)
    if not isinstance(adapter.peer, PtyPrinterPeer):  # a pty cannot count its opens
        assert adapter.peer.connections >= 2
    assert adapter.status_seen(lambda s: s.online)
    assert len(adapter.receipts()) == 1


def test_printer_gone_fails_within_the_timeout(adapter: Rig, receipt: Receipt) -> None:
    """GIVEN a printer that was there WHEN it disappears (port closed, serial line hung
    up) and a receipt is printed THEN PrintFailed and PrinterStatusChanged(online=False);
    the next attempt cannot connect, and fails too."""
    assert adapter.peer is not None
    adapter.start()
    adapter.wait_for(PrinterStatusChanged, lambda s: s.online)
    adapter.peer.close()

    adapter.printer.print_receipt(receipt)
    gone = (PrinterFault.NO_STATUS_ANSWER, PrinterFault.CANNOT_CONNECT)
    assert adapter.wait_for(PrintFailed).reason in gone
    assert adapter.wait_for(PrinterStatusChanged).online is False
    adapter.printer.print_receipt(receipt)
    assert adapter.wait_for(PrintFailed).reason == PrinterFault.CANNOT_CONNECT


@pytest.mark.parametrize(
    ("answers", "online", "paper", "reason"),
    [
        ((0x12, 0x12, 0x12), True, PaperState.OK, ""),
        ((0x12, 0x12, 0x1E), True, PaperState.LOW, PrinterFault.PAPER_LOW),
        ((0x1A, 0x32, 0x7E), False, PaperState.OUT, PrinterFault.PAPER_OUT),
        ((0x1A, 0x16, 0x12), False, PaperState.OK, PrinterFault.COVER_OPEN),
        ((0x1A, 0x52, 0x12), False, PaperState.OK, PrinterFault.PRINTER_ERROR),
        ((0x1A, 0x12, 0x12), False, PaperState.OK, PrinterFault.OFFLINE),
        ((0x00, 0x12, 0x12), False, PaperState.OUT, PrinterFault.GARBLED_STATUS),
    ],
)
def test_status_bytes_decode_per_the_epson_reference(
    answers: tuple[int, int, int], online: bool, paper: PaperState, reason: str
) -> None:
    """GIVEN DLE EOT 1, 2, 4 answers WHEN decoded THEN on-line, paper and reason follow
    the reference; an answer without the fixed bits is a fault, never OK."""
    status = decode_status(*answers)

    assert (status.online, status.paper, status.reason) == (online, paper, reason)


def test_pulse_command_is_checked() -> None:
    """GIVEN a pin other than 2 or 5 WHEN a kick is made THEN it is refused at once."""
    with (
        EscPosReceiptPrinter(NetworkTransport("127.0.0.1"), monotonic=lambda: 0.0) as printer,
        pytest.raises(ValueError, match="pin"),
    ):
        printer.drawer_kick(pin=3)
