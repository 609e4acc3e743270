"""The scanner twin: scans typed or scripted text, and can be unplugged and plugged back.

While unplugged it delivers nothing, as a real USB scanner would not.
"""

from __future__ import annotations

from collections.abc import Callable

from appliance.core.events import BarcodeScanned, ScannerFound, ScannerLost
from appliance.ports import Emit


class SimScanner:
    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self._emit: Emit | None = None
        self._typed = ""
        self.plugged = True
        self.scans: list[str] = []

    def start(self, emit: Emit) -> None:
        self._emit = emit

    def scan(self, text: str) -> bool:
        """A barcode passes the window. Returns False when the scanner is unplugged."""
        if not self.plugged or self._emit is None:
            return False
        self.scans.append(text)
        self._emit(BarcodeScanned(at=self._monotonic(), text=text))
        return True

    def type_key(self, char: str) -> None:
        """A keyboard-wedge keystroke: characters collect until Enter ('\\r' or '\\n')."""
        if char in "\r\n":
            text, self._typed = self._typed, ""
            if text:
                self.scan(text)
        else:
            self._typed += char

    def unplug(self) -> None:
        if self.plugged:
            self.plugged = False
            self._typed = ""
            if self._emit is not None:
                self._emit(ScannerLost(at=self._monotonic(), reason="unplugged"))

    def plug(self) -> None:
        if not self.plugged:
            self.plugged = True
            if self._emit is not None:
                self._emit(ScannerFound(at=self._monotonic()))

    def close(self) -> None:
        self._emit = None
