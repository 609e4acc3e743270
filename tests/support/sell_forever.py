"""A simulated kiosk that sells until it is killed: the child of the power-cut test.

    python -m tests.support.sell_forever --data-dir DIR --seed N

It builds the kiosk exactly as `kiosk run --sim` does (bootstrap.build, every device a
twin, no broker) on a store the parent provisioned, prints "ready", then sells for ever:
1-4 scans, pay (the twin terminal approves at once), receipt, done. Now and then it
plays head office acknowledging outbox events, and staff refunding a line of a sale.

What it writes beside the store is the witness the parent checks the store against:
- printed.log  "<sale_id>" once the receipt has printed (fsync'd after the print)
- refunds.log  "<refund number>" once the refund slip has printed
- acked.log    "intent <event_id> <stream> <ref>" fsync'd BEFORE the ack enters the loop,
               "done <event_id> ..." fsync'd after the loop has processed it. An id with
               only an intent may or may not have left the outbox (the cut came between);
               an id marked done must have; every other committed event must still be there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

from appliance import config as config_mod
from appliance.bootstrap import Kiosk, build
from appliance.core import buttons as b
from appliance.core.events import Event, KeyPosition, ReportAcked, Touched
from appliance.core.interventions import Need
from appliance.core.kiosk_codes import receipt_code
from appliance.core.receipt import Receipt
from appliance.core.records import Document
from appliance.core.state import Checkout
from appliance.shell.clock import SystemClock
from tests.support.kiosk_process import CODES, kiosk_settings

PRINTED_LOG = "printed.log"
REFUNDS_LOG = "refunds.log"
ACKED_LOG = "acked.log"
BADGE = "STAFF-0042"


class Witness:
    """Append-only logs, each line on disk (fsync) before the next step is taken."""

    def __init__(self, directory: Path) -> None:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        self._fds = {
            name: os.open(directory / name, flags, 0o644)
            for name in (PRINTED_LOG, REFUNDS_LOG, ACKED_LOG)
        }

    def write(self, log: str, line: str) -> None:
        fd = self._fds[log]
        os.write(fd, f"{line}\n".encode())
        os.fsync(fd)


class Seller:
    def __init__(self, kiosk: Kiosk, witness: Witness, rng: random.Random) -> None:
        assert kiosk.sim is not None
        self.kiosk = kiosk
        self.sim = kiosk.sim
        self.witness = witness
        self.rng = rng
        # sales this run has printed a receipt for: (seq, sale_id); refunded at most once
        self.printed: list[tuple[int, str]] = []
        self._watch_printer()

    def _watch_printer(self) -> None:
        """Write the witness line after the twin has printed, before anything else runs."""
        printer = self.sim.printer
        print_receipt: Callable[[Receipt], None] = printer.print_receipt
        print_document: Callable[[Document], None] = printer.print_document

        def receipt_then_witness(receipt: Receipt) -> None:
            before = len(printer.receipts)
            print_receipt(receipt)
            if len(printer.receipts) > before:
                self.witness.write(PRINTED_LOG, receipt.sale_id)
                self.printed.append((receipt.seq, receipt.sale_id))

        def document_then_witness(document: Document) -> None:
            before = len(printer.documents)
            print_document(document)
            if len(printer.documents) > before and document.title.startswith("Refund "):
                self.witness.write(REFUNDS_LOG, document.title.removeprefix("Refund "))

        printer.print_receipt = receipt_then_witness  # type: ignore[method-assign]
        printer.print_document = document_then_witness  # type: ignore[method-assign]

    # -- driving the kiosk -------------------------------------------------------------

    def emit(self, event: Event) -> None:
        self.kiosk.loop.emit(event)
        self.kiosk.loop.process_pending()

    def touch(self, button: str, arg: str = "") -> None:
        self.emit(Touched(at=self.kiosk.clock.monotonic(), button=button, arg=arg))

    def scan(self, code: str) -> None:
        self.sim.scanner.scan(code)
        self.kiosk.loop.process_pending()

    def key(self, position: KeyPosition) -> None:
        self.sim.gpio.turn_key(position)
        self.kiosk.loop.process_pending()

    @property
    def checkout(self) -> Checkout:
        return self.kiosk.state.checkout

    def expect(self, *states: Checkout) -> None:
        if self.checkout not in states:
            state = self.kiosk.state
            raise SystemExit(
                f"sell_forever: expected {[s.value for s in states]}, got {self.checkout.value}"
                f" ({state.notice or state.out_of_service_reason})"
            )

    # -- what a day at the kiosk looks like -------------------------------------------------

    def settle(self) -> None:
        """After a restart: finish whatever the cut interrupted, as staff would."""
        state = self.kiosk.state
        if self.checkout is Checkout.BLOCKED and state.blocking is not None:
            self.key(KeyPosition.STAFF)
            self.scan(BADGE)
            if state.blocking.need is Need.PAYMENT_UNCERTAIN:
                # the twin approved before the cut: staff see the payment on the terminal
                self.touch(b.STAFF_PAYMENT_TAKEN, "SIM-RESTART")
            else:
                self.touch(b.STAFF_APPROVE)
            self.key(KeyPosition.NORMAL)
        if self.checkout is Checkout.SCANNING:
            self.pay()
        if self.checkout is Checkout.THANK_YOU:
            self.touch(b.DONE)
        self.expect(Checkout.WELCOME)

    def sell(self) -> None:
        for _ in range(self.rng.randint(1, 4)):
            self.scan(self.rng.choice(CODES))
        self.expect(Checkout.SCANNING)
        self.pay()
        self.touch(b.DONE)
        self.expect(Checkout.WELCOME)

    def pay(self) -> None:
        self.touch(b.PAY)
        self.expect(Checkout.THANK_YOU)  # approved, committed, printed: all synchronous

    def ack_some(self) -> None:
        """Head office acknowledges a few of the oldest events, as the reporter's path does."""
        rows = self.kiosk.store.outbox_pending(limit=self.rng.randint(1, 12))
        chosen = [row for row in rows if self.rng.random() < 0.8]
        if not chosen:
            return
        entries = []
        for row in chosen:
            body = json.loads(row.payload)["body"]
            ref = body.get("refund_id") or body.get("sale_id") or "-"
            entries.append(f"{row.event_id} {row.stream} {ref}")
        self.witness.write(ACKED_LOG, "intent " + " ".join(entries))
        ids = tuple(row.event_id for row in chosen)
        self.emit(ReportAcked(at=self.kiosk.clock.monotonic(), event_ids=ids))
        self.witness.write(ACKED_LOG, "done " + " ".join(ids))

    def refund_one(self) -> None:
        """Staff refund line 1 of a sale this run printed (one unit)."""
        if not self.printed:
            return
        seq, sale_id = self.printed.pop(self.rng.randrange(len(self.printed)))
        self.key(KeyPosition.STAFF)
        self.scan(BADGE)
        self.scan(receipt_code(seq, sale_id))
        self.expect(Checkout.REFUND)
        self.touch(b.STAFF_REFUND_LINE, "1")
        self.touch(b.STAFF_REFUND_CONFIRM)
        self.expect(Checkout.WELCOME)
        self.sim.gpio.push_drawer_shut()
        self.key(KeyPosition.NORMAL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    cfg = config_mod.merge(config_mod.Config(), kiosk_settings(args.data_dir), "sell_forever")
    # catalog=None: the parent provisioned the store once; loading a catalog again would
    # reset the stock levels this test is about
    kiosk = build(cfg, SystemClock(), sim=True)
    rng = random.Random(args.seed)
    seller = Seller(kiosk, Witness(args.data_dir), rng)
    kiosk.start()
    found = kiosk.state.checkout.value  # what the cut left: welcome, scanning, blocked
    seller.settle()
    print("ready", found, flush=True)
    while True:
        seller.sell()
        roll = rng.random()
        if roll < 0.3:
            seller.ack_some()
        elif roll < 0.38:
            seller.refund_one()


if __name__ == "__main__":
    sys.exit(main())
