"""The ports: one typing.Protocol per device or service the shell drives.

Each port has a real adapter and a simulated twin in drivers/. Adapters never call the
core: they report through `emit`, a thread-safe callable that puts an event in the
main loop's inbox (like Klipper's register_async_callback).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from appliance.core.events import Event
from appliance.core.receipt import Receipt
from appliance.core.records import Document
from appliance.core.signals import Lamp

Emit = Callable[[Event], None]


class Device(Protocol):
    def close(self) -> None:
        """Release the device. Idempotent."""


class Scanner(Device, Protocol):
    """Delivers BarcodeScanned, ScannerLost and ScannerFound through `emit`."""

    def start(self, emit: Emit) -> None: ...


class LightTower(Device, Protocol):
    def show(self, lamp: Lamp) -> None: ...


class Drawer(Device, Protocol):
    """Cash drawer: a solenoid pulse opens it; its sensor reports DrawerSensorChanged."""

    def start(self, emit: Emit) -> None: ...

    def release(self) -> None: ...

    @property
    def is_closed(self) -> bool: ...


class KeySwitch(Device, Protocol):
    """Staff key: reports KeyTurned (and the position at start) through `emit`."""

    def start(self, emit: Emit) -> None: ...


class HelpButton(Device, Protocol):
    def start(self, emit: Emit) -> None: ...


class ReceiptPrinter(Device, Protocol):
    """Prints a receipt; reports ReceiptPrinted / PrintFailed and PrinterStatusChanged.

    `print_receipt` may return before the paper is out: the outcome always comes back
    as an event, so the main loop never waits on the printer.
    """

    def start(self, emit: Emit) -> None: ...

    def print_receipt(self, receipt: Receipt) -> None: ...

    def print_document(self, document: Document) -> None:
        """A slip, refund or report; outcome as for a receipt, with an empty sale id."""


class CardTerminal(Device, Protocol):
    """Takes a card payment; reports PaymentApproved or PaymentDeclined."""

    def start(self, emit: Emit) -> None: ...

    def request_payment(self, amount_minor: int, currency: str) -> None: ...


class Speaker(Device, Protocol):
    def play(self, sound: str) -> None: ...


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds from an arbitrary start; never goes backwards."""

    def wall_iso(self) -> str:
        """Wall time as ISO 8601 UTC with offset."""
