"""EvdevScanner against a fake kernel: event nodes that come and go, grabs recorded.

This machine has no /dev/uinput, so the kernel side is faked: each opened node has a real
pipe, so the adapter's real select() wakes on it; typed keys arrive as real
evdev.InputEvents; an unplug makes the node readable and read() fail with ENODEV, as the
kernel does (python-evdev#64). Time is a fake clock that only the adapter's waits between
attempts move, so "recovered within reconnect_s" is exact, not a race with the wall clock.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import pytest
from evdev import InputEvent, ecodes

from appliance.core import barcodes
from appliance.core.events import BarcodeScanned, Event, ScannerFound, ScannerLost
from drivers.keymaps import KEY, encode
from drivers.scanner_decode import ScanDecoder, ScannerFault
from drivers.scanner_evdev import DeviceId, EvdevScanner, EvdevSystem

E = TypeVar("E", bound=Event)
MakeKiosk = Callable[..., "Kiosk"]
WAIT_S = 10.0  # a bound for a stuck thread, not an expectation of speed
EAN = "5901234123457"
ENTER = [(KEY["ENTER"], 1), (KEY["ENTER"], 0)]
FULL_KEYBOARD = frozenset(range(1, 128))  # what most HID boot keyboards (and scanners) report
CONSUMER_KEYS = frozenset({ecodes.KEY_VOLUMEUP, ecodes.KEY_VOLUMEDOWN, ecodes.KEY_MUTE})


class FakeClock:
    """Monotonic time that moves only when the adapter waits (or a test says so)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 1000.0

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds

    def pause(self, seconds: float) -> None:
        """The adapter's wait between attempts: time passes at once; a real 2 ms yield lets
        the test thread run."""
        self.advance(seconds)
        time.sleep(0.002)


@dataclass(eq=False)
class FakeUsb:
    """One physical USB device. `nodes` > 1: it exposes more than one event node."""

    name: str
    vendor: int
    product: int
    port: str  # USB topology, e.g. "1.2"
    serial: str = ""
    node_keys: tuple[frozenset[int], ...] = (FULL_KEYBOARD,)
    busy: bool = False  # grabbed by another program
    handles: list[FakeNode] = field(default_factory=list)

    @property
    def by_id(self) -> str:
        return f"/dev/input/by-id/usb-{self.name.replace(' ', '_')}_{self.serial}-event-kbd"

    def type(self, presses: list[tuple[int, int]], start_s: float = 1.7e9) -> bool:
        """The device types keys; False when no one has it open (the keys go nowhere)."""
        events = []
        for i, (code, value) in enumerate(presses):
            t = start_s + i * 0.002
            sec, usec = int(t), round((t - int(t)) * 1e6)
            events += [
                InputEvent(sec, usec, ecodes.EV_KEY, code, value),
                InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
            ]
        live = [h for h in self.handles if not h.closed and not h.dead and h.index == 0]
        for handle in live:
            handle.push(events)
        return bool(live)

    def scan(self, text: str) -> bool:
        return self.type(encode(text, "us") + ENTER)


class FakeNode:
    """An opened event node: the InputNode protocol, over a real pipe for select()."""

    def __init__(self, system: FakeInputSystem, usb: FakeUsb, index: int, path: str) -> None:
        self.system, self.usb, self.index, self.path = system, usb, index, path
        self.name, self.vendor, self.product = usb.name, usb.vendor, usb.product
        self.phys = f"usb-0000:01:00.0-{usb.port}/input{index}"
        self.keys = usb.node_keys[index]
        self._lock = threading.Lock()
        self._events: list[InputEvent] = []
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        self.closed = self.dead = self.grabbed = False
        self.error: OSError | None = None

    def fileno(self) -> int:
        return self._r

    def push(self, events: list[InputEvent]) -> None:
        with self._lock:
            self._events += events
            os.write(self._w, b".")

    def unplug(self) -> None:
        with self._lock:
            self.dead = True
            if not self.closed:
                os.write(self._w, b"!")  # the fd turns readable, and read() fails

    def fail(self, error: OSError) -> None:
        """Every read from now on fails with `error`."""
        with self._lock:
            self.error = error
            os.write(self._w, b"!")

    def read(self) -> list[InputEvent]:
        with self._lock:
            if self.dead:
                raise OSError(errno.ENODEV, "No such device")
            if self.error is not None:
                raise self.error
            with contextlib.suppress(BlockingIOError):
                os.read(self._r, 4096)
            if not self._events:
                raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
            events, self._events = self._events, []
            return events

    def grab(self) -> None:
        if self.usb.busy:
            raise OSError(errno.EBUSY, "Device or resource busy")
        self.grabbed = True
        self.system.grabs.append(self.usb.name)

    def ungrab(self) -> None:
        if self.dead:
            raise OSError(errno.ENODEV, "No such device")
        self.grabbed = False

    def close(self) -> None:
        with self._lock:
            if not self.closed:
                self.closed = True
                os.close(self._r)
                os.close(self._w)


class FakeInputSystem:
    """/dev/input: nodes appear on plug (a new eventN each time), by-id links follow them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._nodes: dict[str, tuple[FakeUsb, int]] = {}
        self._next = 3
        self.grabs: list[str] = []
        self.handles: list[FakeNode] = []
        self.denied: set[str] = set()

    def plug(self, usb: FakeUsb) -> None:
        with self._lock:
            for index in range(len(usb.node_keys)):
                self._nodes[f"/dev/input/event{self._next}"] = (usb, index)
                self._next += 1

    def unplug(self, usb: FakeUsb) -> None:
        with self._lock:
            self._nodes = {p: n for p, n in self._nodes.items() if n[0] is not usb}
            for handle in usb.handles:
                handle.unplug()
            usb.handles.clear()

    def list_devices(self) -> list[str]:
        with self._lock:
            return sorted(self._nodes)

    def paths_of(self, usb: FakeUsb) -> list[str]:
        with self._lock:
            return [path for path, (u, _) in self._nodes.items() if u is usb]

    def open(self, path: str) -> FakeNode:
        with self._lock:
            links = {u.by_id: p for p, (u, i) in self._nodes.items() if i == 0}
            path = links.get(path, path)
            if path in self.denied:
                raise PermissionError(errno.EACCES, "Permission denied", path)
            if path not in self._nodes:
                raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
            usb, index = self._nodes[path]
            node = FakeNode(self, usb, index, path)
            usb.handles.append(node)
            self.handles.append(node)
            return node


def honeywell(port: str = "1.2", serial: str = "14096B0123") -> FakeUsb:
    keys = FULL_KEYBOARD, CONSUMER_KEYS  # a keyboard node and a consumer-control node
    return FakeUsb("Honeywell Imaging & Mobility 1900", 0x0C2E, 0x0B61, port, serial, keys)


def staff_keyboard() -> FakeUsb:
    return FakeUsb("Logitech USB Keyboard", 0x046D, 0xC31C, "1.3")


class Inbox:
    """What the adapter emitted, in order; waits are bounded."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Event] = queue.Queue()

    def put(self, event: Event) -> None:
        self.queue.put(event)

    def next(self, kind: type[E]) -> E:
        event = self.queue.get(timeout=WAIT_S)
        assert isinstance(event, kind), event
        return event

    def empty(self) -> bool:
        return self.queue.empty()


@dataclass
class Kiosk:
    system: FakeInputSystem
    clock: FakeClock
    inbox: Inbox
    scanner: EvdevScanner
    usb: FakeUsb

    def replug(self) -> float:
        """Plug the scanner back in; returns the (fake) time it happened."""
        with self.clock.lock:
            self.system.plug(self.usb)
            return self.clock.now


@pytest.fixture
def kiosk_factory() -> Iterator[MakeKiosk]:
    made: list[Kiosk] = []

    def make(
        device: str | None = None,
        decoder: ScanDecoder | None = None,
        others: tuple[FakeUsb, ...] = (),
        plugged: bool = True,
        busy: bool = False,
        denied: bool = False,
    ) -> Kiosk:
        system, clock, inbox, usb = FakeInputSystem(), FakeClock(), Inbox(), honeywell()
        usb.busy = busy
        for other in others:
            system.plug(other)
        if plugged:
            system.plug(usb)
        if denied:
            system.denied.update(system.paths_of(usb))
        scanner = EvdevScanner(
            device or "0c2e:0b61",
            decoder or ScanDecoder("us"),
            clock,
            system=system,
            pause=clock.pause,
        )
        kiosk = Kiosk(system, clock, inbox, scanner, usb)
        made.append(kiosk)
        scanner.start(inbox.put)
        return kiosk

    yield make
    for kiosk in made:
        kiosk.scanner.close()
        assert all(h.closed for h in kiosk.system.handles), "an fd was left open"


def test_a_scan_is_delivered_as_typed(kiosk_factory: MakeKiosk) -> None:
    kiosk = kiosk_factory()
    kiosk.inbox.next(ScannerFound)
    assert kiosk.usb.scan(EAN)
    scanned = kiosk.inbox.next(BarcodeScanned)
    # timed on the kiosk's clock at the read; the kernel's stamps only space the keys, and
    # Enter went down 2 ms before the last event (its key-up) arrived
    assert scanned.text == EAN and scanned.at == pytest.approx(kiosk.clock.now - 0.002)


@pytest.mark.parametrize("by", ["vendor:product", "by-id"])
def test_unplug_is_reported_and_a_replug_recovers_within_the_reconnect_period(
    kiosk_factory: MakeKiosk, by: str
) -> None:
    """GIVEN a working scanner WHEN it is unplugged THEN ScannerLost("unplugged"); WHEN it
    is plugged back (as a new eventN) THEN ScannerFound within reconnect_s (0.5 s, under
    the 2 s the issue asks) and scans work again."""
    kiosk = kiosk_factory(device=honeywell().by_id if by == "by-id" else "0c2e:0b61")
    kiosk.inbox.next(ScannerFound)
    kiosk.system.unplug(kiosk.usb)
    lost = kiosk.inbox.next(ScannerLost)
    assert lost.reason == ScannerFault.UNPLUGGED
    assert not kiosk.usb.scan(EAN)  # nothing can be typed into an unplugged scanner
    kiosk.clock.advance(3.0)  # however long it stays out
    plugged_at = kiosk.replug()
    found = kiosk.inbox.next(ScannerFound)
    assert found.at - plugged_at <= 0.5
    assert kiosk.usb.scan(EAN)
    assert kiosk.inbox.next(BarcodeScanned).text == EAN
    assert kiosk.system.grabs == [kiosk.usb.name] * 2


def test_a_half_scan_is_dropped_with_the_connection_not_joined_to_the_next(
    kiosk_factory: MakeKiosk,
) -> None:
    kiosk = kiosk_factory()
    kiosk.inbox.next(ScannerFound)
    kiosk.usb.type(encode("5901", "us"))
    kiosk.system.unplug(kiosk.usb)
    kiosk.inbox.next(ScannerLost)
    kiosk.replug()
    kiosk.inbox.next(ScannerFound)
    kiosk.usb.scan(EAN)
    assert kiosk.inbox.next(BarcodeScanned).text == EAN


def test_a_scanner_missing_at_start_is_reported_then_found(kiosk_factory: MakeKiosk) -> None:
    kiosk = kiosk_factory(plugged=False)
    assert kiosk.inbox.next(ScannerLost).reason == ScannerFault.NOT_FOUND
    plugged_at = kiosk.replug()
    assert kiosk.inbox.next(ScannerFound).at - plugged_at <= 0.5


def test_the_staff_keyboard_is_never_grabbed(kiosk_factory: MakeKiosk) -> None:
    """GIVEN a staff keyboard beside the scanner WHEN the scanner comes and goes THEN only
    the scanner's keyboard node is ever grabbed, and every other node is closed again."""
    keyboard = staff_keyboard()
    kiosk = kiosk_factory(others=(keyboard,))
    kiosk.inbox.next(ScannerFound)
    kiosk.system.unplug(kiosk.usb)
    kiosk.inbox.next(ScannerLost)
    kiosk.clock.advance(1.0)
    kiosk.replug()
    kiosk.inbox.next(ScannerFound)
    assert kiosk.system.grabs == [kiosk.usb.name] * 2
    grabbed = [h for h in kiosk.system.handles if h.grabbed]
    assert {(h.usb.name, h.index) for h in grabbed} == {(kiosk.usb.name, 0)}
    assert all(h.closed for h in kiosk.system.handles if h.usb is keyboard)
    assert not keyboard.type(encode(EAN, "us") + ENTER)  # typing there never reaches us
    assert kiosk.inbox.empty()


def test_a_vendor_product_that_names_a_keyboard_is_refused(kiosk_factory: MakeKiosk) -> None:
    kiosk = kiosk_factory(device="046d:c31c", others=(staff_keyboard(),))
    lost = kiosk.inbox.next(ScannerLost)
    assert lost.reason == ScannerFault.KEYBOARD and kiosk.system.grabs == []


def test_a_keyboard_configured_by_its_exact_path_is_trusted(kiosk_factory: MakeKiosk) -> None:
    keyboard = staff_keyboard()
    kiosk = kiosk_factory(device=keyboard.by_id, others=(keyboard,))
    kiosk.inbox.next(ScannerFound)
    assert kiosk.system.grabs == [keyboard.name]


def test_two_devices_with_one_generic_id_grab_neither(kiosk_factory: MakeKiosk) -> None:
    """Cheap scanners and keyboards share ids: an ambiguous match is refused, not guessed."""
    twin = honeywell(port="1.4", serial="OTHER")
    kiosk = kiosk_factory(others=(twin,))
    lost = kiosk.inbox.next(ScannerLost)
    assert lost.reason == ScannerFault.AMBIGUOUS and kiosk.system.grabs == []


def test_a_scanner_held_by_another_program_is_retried(kiosk_factory: MakeKiosk) -> None:
    kiosk = kiosk_factory(busy=True)
    assert kiosk.inbox.next(ScannerLost).reason == ScannerFault.BUSY
    kiosk.usb.busy = False
    kiosk.inbox.next(ScannerFound)
    assert kiosk.system.grabs == [kiosk.usb.name]


def test_no_permission_on_the_path_is_named_and_retried(kiosk_factory: MakeKiosk) -> None:
    kiosk = kiosk_factory(device=honeywell().by_id, denied=True)
    assert kiosk.inbox.next(ScannerLost).reason == ScannerFault.NO_PERMISSION
    kiosk.system.denied.clear()  # udev applied the group a moment later
    kiosk.inbox.next(ScannerFound)


def test_a_rejected_scan_tells_the_core_not_read(
    kiosk_factory: MakeKiosk, caplog: pytest.LogCaptureFixture
) -> None:
    """GIVEN garbage inside a scan THEN the core gets a text it refuses (the customer sees
    "not read") and the log says why."""
    kiosk = kiosk_factory()
    kiosk.inbox.next(ScannerFound)
    with caplog.at_level(logging.WARNING, "drivers.scanner_evdev"):
        kiosk.usb.type([*encode("5901", "us"), (KEY["F5"], 1), (KEY["F5"], 0), *ENTER])
        text = kiosk.inbox.next(BarcodeScanned).text
    assert not barcodes.parse(text).valid
    assert "KEY_F5 types nothing" in caplog.text


def test_a_terminator_less_scan_ends_when_the_clock_passes_the_gap(
    kiosk_factory: MakeKiosk,
) -> None:
    decoder = ScanDecoder("us", terminator="none", gap_s=0.1)
    kiosk = kiosk_factory(decoder=decoder)
    kiosk.inbox.next(ScannerFound)
    kiosk.usb.type(encode(EAN, "us"))
    deadline = time.monotonic() + WAIT_S
    while not decoder.pending:  # the reader has the keys (a bounded wait, not a sleep)
        assert time.monotonic() < deadline
        time.sleep(0.001)
    assert kiosk.inbox.empty()
    kiosk.clock.advance(0.2)  # the reader ticks the decoder between reads
    assert kiosk.inbox.next(BarcodeScanned).text == EAN


def test_a_read_error_is_a_lost_scanner_that_recovers(kiosk_factory: MakeKiosk) -> None:
    kiosk = kiosk_factory()
    kiosk.inbox.next(ScannerFound)
    [node] = [h for h in kiosk.system.handles if h.grabbed]
    node.fail(OSError(errno.EIO, "Input/output error"))
    assert kiosk.inbox.next(ScannerLost).reason == ScannerFault.READ_ERROR
    kiosk.inbox.next(ScannerFound)


def test_close_is_idempotent_stops_the_reader_and_frees_the_device() -> None:
    system, clock, inbox = FakeInputSystem(), FakeClock(), Inbox()
    system.plug(usb := honeywell())
    with EvdevScanner("0c2e:0b61", ScanDecoder(), clock, system=system) as scanner:
        scanner.start(inbox.put)
        inbox.next(ScannerFound)
    scanner.close()
    assert all(h.closed for h in system.handles)
    assert not usb.scan(EAN) and inbox.empty()
    with pytest.raises(RuntimeError):
        scanner.start(inbox.put)
    EvdevScanner("0c2e:0b61", ScanDecoder(), clock, system=system).close()  # never started


BY_ID = "/dev/input/by-id/usb-Honeywell-event-kbd"
BY_PATH = "/dev/input/by-path/platform-usb-0:1.2:1.0-event-kbd"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("0c2e:0B61", DeviceId(vendor=0x0C2E, product=0x0B61)),
        (BY_ID, DeviceId(BY_ID)),
        (BY_PATH, DeviceId(BY_PATH)),
    ],
)
def test_device_ids(text: str, parsed: DeviceId) -> None:
    assert DeviceId.parse(text) == parsed


@pytest.mark.parametrize(
    "text", ["/dev/input/event3", "c2e:b61", "0c2e-0b61", "", "/dev/input/by-id/", "/tmp/x"]
)
def test_unstable_or_malformed_device_ids_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        DeviceId.parse(text)


def test_a_reconnect_period_that_cannot_meet_2_s_is_refused() -> None:
    with pytest.raises(ValueError, match="2 s"):
        EvdevScanner("0c2e:0b61", ScanDecoder(), FakeClock(), reconnect_s=3.0)


def test_the_real_system_reports_a_missing_by_id_scanner() -> None:
    """The real evdev path, on a machine without the scanner: lost, never a crash."""
    inbox, clock = Inbox(), FakeClock()
    with EvdevScanner("/dev/input/by-id/usb-no-such-scanner-event-kbd", ScanDecoder(), clock) as s:
        s.start(inbox.put)
        assert inbox.next(ScannerLost).reason == ScannerFault.NOT_FOUND
    assert isinstance(EvdevSystem().list_devices(), list)
    with pytest.raises(OSError):
        EvdevSystem().open("/dev/null")


@pytest.mark.hw
@pytest.mark.skipif(os.environ.get("KIOSK_HW") != "1", reason="needs the kiosk's scanner")
def test_the_configured_scanner_is_found_and_grabbed() -> None:
    """On a Pi: KIOSK_SCANNER__DEVICE=/dev/input/by-id/... (or vvvv:pppp) make test-hw.
    Scan any barcode within 20 s of the start to see it decoded."""
    device = os.environ.get("KIOSK_SCANNER__DEVICE", "")
    assert device, "set KIOSK_SCANNER__DEVICE to the scanner's by-id path or vendor:product"
    layout = os.environ.get("KIOSK_SCANNER__LAYOUT", "us")
    inbox = Inbox()
    with EvdevScanner(device, ScanDecoder(layout), time.monotonic) as scanner:
        scanner.start(inbox.put)
        inbox.next(ScannerFound)
        try:
            scanned = inbox.queue.get(timeout=20.0)
        except queue.Empty:
            return
        assert isinstance(scanned, BarcodeScanned), scanned
        print(f"scanned {scanned.text!r}: {barcodes.parse(scanned.text)}")
