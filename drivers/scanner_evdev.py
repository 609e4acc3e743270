"""USB keyboard-wedge barcode scanner through evdev: find it, grab it, read it, re-attach it.

Only the configured device is ever grabbed, so the staff keyboard keeps working (Odoo's
name heuristics grabbed keyboards: comodoo/meta-comodoo#17). It is named by a stable path
(/dev/input/by-id/..., /dev/input/by-path/...) or by vendor:product in hex; eventN numbers
change on every replug and are refused. By vendor:product, the match must be one physical
device (cheap scanners and keyboards share generic ids) and must not be named a keyboard;
a device configured by its path is trusted as it is.

One daemon thread reads: `select` with a short timeout on the device, so it can also
`tick` the decoder (terminator-less scans, stalled half scans) and notice close(). An
unplugged device leaves its fd readable and read() fails with ENODEV (python-evdev#64,
#191): the thread releases it, emits ScannerLost, and looks for it again every
`reconnect_s` until it is back, then emits ScannerFound. The thread only emits events.

Keys are timed on the injected monotonic clock at the moment they are read; the kernel's
event timestamps only space them within one read (ScanDecoder.feed_batch). Those are
CLOCK_REALTIME by default, and a Pi without an RTC steps its wall clock by years when NTP
first answers.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import re
import select
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import evdev

from drivers.keymaps import KEY, KEYPAD_DIGITS
from drivers.scanner_decode import (
    InputEventLike,
    ScanDecoder,
    ScannerFault,
)
from drivers.scanner_reader import Problem, ScannerReader

log = logging.getLogger(__name__)

Monotonic = Callable[[], float]
EV_KEY = 0x01
_VID_PID = re.compile(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})")
_STABLE_DIRS = ("/dev/input/by-id/", "/dev/input/by-path/")
_SCANNER_WORDS = ("scanner", "barcode", "reader")


@dataclass(frozen=True, slots=True)
class DeviceId:
    """The configured scanner: a stable path, or a vendor:product pair."""

    path: str = ""
    vendor: int = -1
    product: int = -1

    @classmethod
    def parse(cls, text: str) -> DeviceId:
        if m := _VID_PID.fullmatch(text):
            return cls(vendor=int(m[1], 16), product=int(m[2], 16))
        if text.startswith(_STABLE_DIRS) and len(text) > len("/dev/input/by-id/"):
            return cls(path=text)
        if re.fullmatch(r"/dev/input/event\d+", text):
            raise ValueError(f"{text}: eventN numbers change on replug; use /dev/input/by-id/...")
        raise ValueError(f"scanner device {text!r}: expected /dev/input/by-id/... or vvvv:pppp")

    def __str__(self) -> str:
        return self.path or f"{self.vendor:04x}:{self.product:04x}"


class InputNode(Protocol):
    """One opened /dev/input/event* node: what this adapter needs of evdev.InputDevice."""

    @property
    def path(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def phys(self) -> str: ...
    @property
    def vendor(self) -> int: ...
    @property
    def product(self) -> int: ...
    @property
    def keys(self) -> frozenset[int]: ...

    def fileno(self) -> int: ...

    def read(self) -> Sequence[InputEventLike]:
        """Pending events; BlockingIOError when there are none, OSError(ENODEV) unplugged."""

    def grab(self) -> None: ...

    def ungrab(self) -> None: ...

    def close(self) -> None: ...


class InputSystem(Protocol):
    def list_devices(self) -> list[str]: ...

    def open(self, path: str) -> InputNode: ...


class EvdevNode:
    """evdev.InputDevice behind the InputNode protocol."""

    def __init__(self, path: str) -> None:
        # read-only: the kiosk never writes to an input device, and an O_RDWR open can
        # make some keyboards re-assert their LEDs (python-evdev's InputDevice docstring)
        self._device = evdev.InputDevice(path, readonly=True)
        try:
            self.path, self.name, self.phys = path, self._device.name, self._device.phys
            self.vendor, self.product = self._device.info.vendor, self._device.info.product
            self.keys = frozenset(self._device.capabilities().get(EV_KEY, ()))
        except BaseException:
            self._device.close()
            raise

    def fileno(self) -> int:
        return self._device.fileno()

    def read(self) -> Sequence[InputEventLike]:
        return list(self._device.read())  # the generator reads on first next(): drain here

    def grab(self) -> None:
        self._device.grab()

    def ungrab(self) -> None:
        self._device.ungrab()

    def close(self) -> None:
        self._device.close()


class EvdevSystem:
    def list_devices(self) -> list[str]:
        return sorted(evdev.list_devices(writable=False))

    def open(self, path: str) -> InputNode:
        return EvdevNode(path)


def types_barcodes(node: InputNode) -> bool:
    """The node has Enter and digits: a keyboard(-wedge) node, not a device's consumer-keys
    or system-control node (one USB scanner can expose several event nodes)."""
    digits = {KEY["1"], KEY["0"]} <= node.keys or {*KEYPAD_DIGITS} <= node.keys
    return digits and bool({KEY["ENTER"], KEY["KPENTER"]} & node.keys)


def named_keyboard(node: InputNode) -> bool:
    """Odoo's legacy rule, reversed: "keyboard" in the name and no scanner word."""
    name = node.name.lower()
    return "keyboard" in name and not any(word in name for word in _SCANNER_WORDS)


def _physical(phys: str) -> str:
    """usb-0000:01:00.0-1.2/input0 → usb-0000:01:00.0-1.2: the nodes of one USB device."""
    return phys.rsplit("/input", 1)[0]


class EvdevScanner(ScannerReader[InputNode]):
    """The Scanner port over one evdev keyboard-wedge scanner."""

    def __init__(
        self,
        device: str,
        decoder: ScanDecoder,
        monotonic: Monotonic,
        reconnect_s: float = 0.5,
        *,
        poll_s: float | None = None,
        system: InputSystem | None = None,
        pause: Callable[[float], object] | None = None,
    ) -> None:
        """`device`: /dev/input/by-id/... (or by-path) or "vvvv:pppp" in hex. `reconnect_s`:
        how often a missing scanner is looked for (a replug is back within it). `poll_s`:
        the read timeout, at most half the decoder's gap. `system` and `pause` are the
        kernel's device list and the wait between attempts, injectable for tests."""
        self._poll_s = poll_s if poll_s is not None else min(0.05, decoder.gap_s / 2)
        super().__init__(decoder, monotonic, reconnect_s, self._poll_s, pause)
        self._scans = decoder
        self._id = DeviceId.parse(device)
        self._system = system or EvdevSystem()

    thread_name = "scanner-evdev"

    @property
    def label(self) -> str:
        return f"scanner {self._id}"

    def _describe(self, node: InputNode) -> str:
        return f"{node.name} ({node.path})"

    # --- attaching and reading ---

    def _attach(self) -> InputNode | Problem:
        try:
            found = self._find()
            if isinstance(found, tuple):
                return found
            try:
                found.grab()
            except OSError as exc:
                found.close()
                busy = exc.errno == errno.EBUSY
                return (ScannerFault.BUSY if busy else ScannerFault.READ_ERROR), str(exc)
            return found
        except Exception as exc:  # a driver bug must show as a lost scanner, not kill the thread
            log.exception("scanner %s: cannot attach", self._id)
            return ScannerFault.READ_ERROR, repr(exc)

    def _find(self) -> InputNode | Problem:
        if self._id.path:
            try:
                return self._system.open(self._id.path)
            except PermissionError as exc:
                return ScannerFault.NO_PERMISSION, f"{exc} (is the user in group input?)"
            except OSError as exc:
                return ScannerFault.NOT_FOUND, str(exc)
        matches: list[InputNode] = []
        for path in self._system.list_devices():
            try:
                node = self._system.open(path)
            except OSError:
                continue  # gone since listed, or not ours to read
            wanted = (node.vendor, node.product) == (self._id.vendor, self._id.product)
            if wanted and types_barcodes(node):
                matches.append(node)
            else:
                node.close()  # never grabbed: keyboards, mice, touch screens, our other nodes
        if not matches:
            return ScannerFault.NOT_FOUND, "no input device with that vendor:product"
        chosen = matches[0]
        for node in matches[1:]:
            node.close()
        devices = sorted({_physical(n.phys) for n in matches})
        if len(devices) > 1:
            chosen.close()
            hint = "configure the scanner by its /dev/input/by-id path"
            return ScannerFault.AMBIGUOUS, f"{', '.join(devices)}: {hint}"
        if named_keyboard(chosen):
            chosen.close()
            hint = "if it really is the scanner, configure it by its /dev/input/by-id path"
            return ScannerFault.KEYBOARD, f"{chosen.name!r} ({chosen.path}): {hint}"
        return chosen

    def _read_until_lost(self, node: InputNode) -> ScannerFault | None:
        try:
            fd = node.fileno()
            while not self._closing.is_set():
                try:
                    ready, _, _ = select.select([fd], [], [], self._poll_s)
                    events = node.read() if ready else ()
                except BlockingIOError:
                    events = ()
                self._deliver(self._scans.feed_batch(events, self._monotonic()))
        except OSError as exc:
            if exc.errno == errno.ENODEV:
                return ScannerFault.UNPLUGGED
            log.warning("scanner %s: %s", self._id, exc)
            return ScannerFault.READ_ERROR
        except Exception:  # a driver bug: report the scanner lost, and try again
            log.exception("scanner %s: reader failed", self._id)
            return ScannerFault.READ_ERROR
        return None

    def _release(self, node: InputNode) -> None:
        # an unplugged device cannot be ungrabbed: closing its fd is enough
        for action in (node.ungrab, node.close):
            with contextlib.suppress(OSError):
                action()
