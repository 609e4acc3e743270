"""Paper out mid-receipt, end to end: the core's decisions driving the real ESC/POS adapter
against a printer peer on a loopback port (no twin), its events fed back to the core.

GIVEN e-receipts and a customer who chose Print WHEN the paper runs out during the receipt
THEN the customer is offered the e-receipt, the sale stays committed, a new roll prints
nothing by itself (no stale backlog), and the staff reprint prints that sale exactly once.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator

import pytest

from appliance.core import buttons as b
from appliance.core import checkout
from appliance.core import effects as fx
from appliance.core import events as ev
from appliance.core.state import Checkout, KioskState, Rules
from drivers.printer_escpos import EscPosReceiptPrinter
from drivers.printer_transports import NetworkTransport
from drivers.receipt_layout import ReceiptLayout, return_code
from tests.core.test_checkout import MILK, sell, touch
from tests.support.printer_peer import PrinterPeer

URL = "https://receipts.example.com/r"
WAIT_S = 15.0  # a bound for a stuck worker, not an expectation of speed


class Lane:
    """The core and the printer adapter, wired as the shell wires them (effects out,
    events back), one event at a time."""

    def __init__(self, printer: EscPosReceiptPrinter) -> None:
        self.printer = printer
        self.inbox: queue.Queue[ev.Event] = queue.Queue()
        self.state = KioskState(rules=Rules(ereceipt_url=URL))
        self.printed: list[fx.PrintReceipt] = []
        printer.start(self.inbox.put)

    def step(self, event: ev.Event) -> None:
        self.state, effects = checkout.step(self.state, event)
        for effect in effects:
            if isinstance(effect, fx.PrintReceipt):
                self.printed.append(effect)
                self.printer.print_receipt(effect.receipt)

    def until(self, done: Callable[[ev.Event], bool]) -> None:
        """Feed the printer's events to the core until one satisfies `done`."""
        while True:
            event = self.inbox.get(timeout=WAIT_S)  # queue.Empty fails the test
            self.step(event)
            if done(event):
                return


@pytest.fixture
def lane(monotonic: Callable[[], float]) -> Iterator[tuple[Lane, PrinterPeer]]:
    with PrinterPeer() as peer:
        printer = EscPosReceiptPrinter(
            NetworkTransport(peer.host, peer.port),
            monotonic=monotonic,
            timeout_s=2.0,
            print_timeout_s=2.0,
            poll_interval_s=None,
            layout=ReceiptLayout(ereceipt_base_url=URL),
        )
        yield Lane(printer), peer
        printer.close()


def test_paper_out_mid_receipt_offers_the_e_receipt_and_prints_no_backlog(
    lane: tuple[Lane, PrinterPeer],
) -> None:
    kiosk, peer = lane
    kiosk.until(lambda e: isinstance(e, ev.PrinterStatusChanged))  # the first status
    kiosk.state, _ = sell(kiosk.state, MILK)
    kiosk.step(touch(b.PAY))
    kiosk.step(ev.PaymentApproved(at=2, method="card", reference="R"))
    kiosk.step(ev.SaleCommitted(at=3, sale_id="a" * 32, seq=9, wall_at=""))
    assert kiosk.state.checkout is Checkout.RECEIPT_CHOICE and kiosk.printed == []

    peer.fail_next_print()
    kiosk.step(touch(b.PRINT_RECEIPT))
    kiosk.until(lambda e: isinstance(e, ev.PrintFailed))
    assert kiosk.state.checkout is Checkout.ERECEIPT
    assert "did not print" in kiosk.state.notice
    assert peer.receipts == [] and len(peer.torn) == 1

    # the customer leaves; a new roll goes in: nothing prints by itself
    kiosk.step(touch(b.DONE))
    kiosk.step(ev.Tick(at=100))
    assert kiosk.state.checkout is Checkout.WELCOME
    peer.paper = "ok"
    assert not peer.wait_until(lambda: bool(peer.receipts), timeout_s=0.5)

    # staff reprint: exactly that sale's receipt, once, with its e-receipt QR code
    kiosk.step(ev.KeyTurned(at=101, position=ev.KeyPosition.STAFF))
    kiosk.step(ev.BarcodeScanned(at=101, text="STAFF-0042"))
    kiosk.step(touch(b.STAFF_REPRINT))
    kiosk.until(lambda e: isinstance(e, ev.ReceiptPrinted))
    assert len(kiosk.printed) == 2  # the torn print and the reprint, nothing queued between
    receipt = kiosk.printed[-1].receipt
    assert receipt.sale_id == "a" * 32
    [paper] = peer.receipts
    assert return_code(receipt) in paper and "Your e-receipt" in paper
