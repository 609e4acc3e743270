"""Scanner input → barcode text: key events of a keyboard-wedge scanner, or serial lines (pure).

Sans-I/O, like h11: events or bytes and a timestamp in, results out; no device, no clock, no
thread. Both adapters (scanner_evdev, scanner_serial) feed these classes, and everything a
scanner sends is outside input, so nothing here raises on bad input: a scan either decodes
(`DecodedScan`) or is `Rejected` with a reason a technician can act on.

Rules:
- Key down (value 1) types; key up (0) only releases modifiers; autorepeat (2) is ignored.
- Shift (left/right) and AltGr (Right Alt, on layouts that have it) are held; Caps Lock
  toggles and affects letters only; Ctrl+] is GS (FNC1). Alt held while keypad digits are
  typed is an Alt code (Alt+029 is GS), a layout-independent mode many scanners offer.
- A scan ends at the configured terminator (Enter or keypad Enter, Tab) or, with
  terminator "none", after `gap_s` without a key. A half scan that stalls for `gap_s` is
  dropped as Rejected, never joined to the next scan (opensourcepos#849: missing digits).
- A scan that meets a problem (a key not in the layout, a shortcut, an overlong scan, events
  the kernel dropped) is poisoned: the rest of it is read and the whole scan is rejected
  once, so its tail can never pass as a barcode of its own.
- With `aim_prefix`, the AIM symbology identifier (ISO/IEC 15424: "]" + code character +
  modifier) is split off into `symbology`; for GS1 symbologies it also stays in front of the
  text, because appliance.core.barcodes.parse reads GS1 element strings by it.
- `fnc1`: the character a wedge scanner is programmed to send for FNC1 when it cannot send
  GS (often ~ or ^); it becomes GS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol

from appliance.core.barcodes import MAX_SCAN_LENGTH
from drivers import keymaps
from drivers.keymaps import ALTGR_LAYOUTS, GS, KEY, KEY_NAMES, KEYPAD_DIGITS, Dead

EV_SYN, EV_KEY = 0x00, 0x01  # linux/input-event-codes.h
SYN_DROPPED = 3
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2
# GS1 symbologies whose data is a GS1 element string (biip GS1Symbology.with_gs1_messages)
GS1_SYMBOLOGIES = frozenset({"]C1", "]e0", "]d2", "]Q3", "]J1"})
NOT_READ = "\ufffd"  # marks where a rejected scan stopped; parse() refuses non-ASCII

Terminator = Literal["enter", "tab", "none"]
TERMINATORS: tuple[Terminator, ...] = ("enter", "tab", "none")


class ScannerFault(StrEnum):
    """The one catalogue of ScannerLost reasons, shared by the evdev and serial adapters."""

    UNPLUGGED = "unplugged"
    NOT_FOUND = "not found"
    AMBIGUOUS = "several devices match"
    KEYBOARD = "looks like a keyboard"
    NO_PERMISSION = "permission denied"
    BUSY = "in use by another program"
    READ_ERROR = "read error"


@dataclass(frozen=True, slots=True)
class DecodedScan:
    text: str
    symbology: str  # "]E0", "]C1"...; "" when the scanner sends no AIM identifier
    at: float


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str
    at: float
    text: str = ""  # what was read of the scan before and after the problem, for the log


Result = DecodedScan | Rejected


def barcode_text(result: Result) -> str:
    """The BarcodeScanned text for a result. A rejected scan still reaches the core, so the
    customer is told "not read" and scans again instead of waiting: its partial text ends in
    NOT_READ (or runs past MAX_SCAN_LENGTH), which parse() can never accept, so a fragment
    can never be sold as whatever its digits happen to spell."""
    if isinstance(result, DecodedScan):
        return result.text
    return result.text[:MAX_SCAN_LENGTH] + NOT_READ


def finish_scan(
    raw: str, at: float, *, aim_prefix: bool, fnc1: str, max_length: int
) -> DecodedScan | Rejected:
    """A complete scan as typed → its text: AIM identifier split off, FNC1 turned into GS."""
    symbology, data = "", raw
    if aim_prefix and raw.startswith("]"):
        symbology, data = raw[:3], raw[3:]
        well_formed = len(symbology) == 3 and symbology[1].isalpha() and symbology[2].isalnum()
        if not (well_formed and symbology.isascii()):
            return Rejected(f"malformed AIM symbology identifier {symbology!r}", at, raw)
    if fnc1:
        data = data.replace(fnc1, GS)
    text = symbology + data if symbology in GS1_SYMBOLOGIES else data
    if not data:
        return Rejected("empty scan (only a symbology identifier)", at, raw)
    if len(text) > max_length:
        return Rejected(_too_long(max_length), at, raw)
    return DecodedScan(text, symbology, at)


def _too_long(max_length: int) -> str:
    return f"scan too long (more than {max_length} characters)"


def _check_options(gap_s: float, max_length: int, fnc1: str) -> None:
    if not gap_s > 0:
        raise ValueError(f"gap_s must be positive, got {gap_s}")
    if not 1 <= max_length <= MAX_SCAN_LENGTH:
        raise ValueError(f"max_length must be 1..{MAX_SCAN_LENGTH}, got {max_length}")
    if fnc1 and not (len(fnc1) == 1 and fnc1.isascii() and fnc1.isprintable()):
        raise ValueError(f"fnc1 must be one printable ASCII character, got {fnc1!r}")
    if fnc1 and (fnc1.isalnum() or fnc1 in " ]"):
        raise ValueError(f"fnc1 {fnc1!r} would corrupt data: use a symbol such as ~ or ^")


class _Pending:
    """The scan being assembled: its characters, its first problem, when it last moved."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.chars: list[str] = []
        self.problem = ""
        self.last_at = 0.0
        self.busy = False

    def add(self, ch: str, at: float, max_length: int) -> None:
        self.touch(at)
        if len(self.chars) < self.cap:
            self.chars.append(ch)  # a poisoned scan is still kept, for the log
        elif not self.problem:
            self.problem = _too_long(max_length)

    def poison(self, reason: str, at: float) -> None:
        self.touch(at)
        self.problem = self.problem or reason

    def touch(self, at: float) -> None:
        self.busy, self.last_at = True, at

    def take(self) -> tuple[str, str]:
        text, problem = "".join(self.chars), self.problem
        self.chars, self.problem, self.busy = [], "", False
        return text, problem


class InputEventLike(Protocol):
    """What evdev.InputEvent offers (sec/usec timestamp, type, code, value)."""

    type: int
    code: int
    value: int

    def timestamp(self) -> float: ...


_SHIFT = frozenset({KEY["LEFTSHIFT"], KEY["RIGHTSHIFT"]})
_CTRL = frozenset({KEY["LEFTCTRL"], KEY["RIGHTCTRL"]})
_META = frozenset({KEY["LEFTMETA"], KEY["RIGHTMETA"]})
_LOCKS = frozenset({KEY["NUMLOCK"], KEY["SCROLLLOCK"]})  # no effect on what a scanner types
_ENDS = {KEY["ENTER"]: "enter", KEY["KPENTER"]: "enter", KEY["TAB"]: "tab"}


class ScanDecoder:
    """Key events of one keyboard-wedge scanner → scans. One decoder per device node."""

    def __init__(
        self,
        layout: str = "us",
        terminator: Terminator = "enter",
        gap_s: float = 0.1,
        aim_prefix: bool = False,
        max_length: int = MAX_SCAN_LENGTH,
        fnc1: str = "",
    ) -> None:
        """`gap_s`: seconds without a key that end a scan when terminator is "none", and
        after which a half scan is dropped otherwise. USB scanners type a key every few
        milliseconds; Odoo asks for at most 50 ms between characters (odoo/odoo PR #7540)."""
        if terminator not in TERMINATORS:
            raise ValueError(f"terminator must be one of {TERMINATORS}, got {terminator!r}")
        _check_options(gap_s, max_length, fnc1)
        self._name = layout
        self._keys = keymaps.layout(layout)
        self._terminator = terminator
        self.gap_s = gap_s
        self._aim_prefix, self._fnc1, self._max_length = aim_prefix, fnc1, max_length
        has_altgr = layout in ALTGR_LAYOUTS
        self._alt = frozenset({KEY["LEFTALT"], *(() if has_altgr else (KEY["RIGHTALT"],))})
        self._altgr = KEY["RIGHTALT"] if has_altgr else None
        self._modifiers = _SHIFT | _CTRL | _META | _LOCKS | self._alt | {KEY["CAPSLOCK"]}
        self._modifiers |= {self._altgr} if self._altgr else set()
        self._scan = _Pending(max_length + (3 if aim_prefix else 0))
        self._held: set[int] = set()
        self._caps = False
        self._dead: Dead | None = None
        self._alt_code = ""
        self._last_fed = float("-inf")

    @property
    def pending(self) -> bool:
        """A scan is under way (a half scan, a dead key or an Alt code not finished)."""
        return self._scan.busy

    def feed(self, event_type: int, code: int, value: int, at: float) -> list[Result]:
        out = self._expire(at)
        if event_type == EV_SYN and code == SYN_DROPPED:
            # the kernel's buffer overflowed: keys are missing, and held modifiers unknown
            self._held.clear()
            self._dead, self._alt_code = None, ""
            self._scan.poison("key events were lost (SYN_DROPPED): scan incomplete", at)
        elif event_type == EV_KEY and value in (KEY_DOWN, KEY_UP):
            if code in self._modifiers:
                out += self._modifier(code, value == KEY_DOWN, at)
            elif value == KEY_DOWN:
                out += self._key_down(code, at)
        return out

    def feed_event(self, event: InputEventLike, at: float | None = None) -> list[Result]:
        """An evdev.InputEvent; `at` overrides its kernel timestamp (see scanner_evdev)."""
        when = event.timestamp() if at is None else at
        return self.feed(event.type, event.code, event.value, when)

    def feed_events(
        self, events: Iterable[InputEventLike], at: float | None = None
    ) -> list[Result]:
        return [r for event in events for r in self.feed_event(event, at)]

    def feed_batch(self, events: Sequence[InputEventLike], now: float) -> list[Result]:
        """Events read together at monotonic time `now`. Kernel timestamps are wall-clock
        time (CLOCK_REALTIME unless a program sets otherwise), so only their spacing is
        used: the newest lands at `now`, the others before it, never before the last batch.
        Two terminator-less scans read in one late batch are still told apart."""
        if not events:
            return self.tick(now)
        newest, out = events[-1].timestamp(), []
        for event in events:
            at = min(now, max(self._last_fed, now - (newest - event.timestamp())))
            self._last_fed = at
            out += self.feed_event(event, at)
        return out

    def tick(self, at: float) -> list[Result]:
        """Time passes: ends a terminator-less scan, or drops a stalled half scan."""
        return self._expire(at)

    def reset(self) -> None:
        """Forget the half scan and every modifier (the device went away or was re-opened)."""
        self._scan.take()
        self._held.clear()
        self._caps, self._dead, self._alt_code = False, None, ""

    # --- inside ---

    def _modifier(self, code: int, down: bool, at: float) -> list[Result]:
        if code == KEY["CAPSLOCK"]:
            self._caps ^= down
            return []
        if down:
            self._held.add(code)
            return []
        self._held.discard(code)
        if code in self._alt and self._alt_code and not self._held & self._alt:
            digits, self._alt_code = self._alt_code, ""
            number = int(digits)
            if not 0 < number < 128:
                self._scan.poison(f"Alt+{digits} is not an ASCII character", at)
            else:
                self._typed(chr(number), at)
        return []

    def _key_down(self, code: int, at: float) -> list[Result]:
        name = KEY_NAMES.get(code, f"key code {code}")
        if code in _ENDS:
            end = _ENDS[code]
            if self._terminator in (end, "none"):
                return self._finish(at)
            self._scan.poison(
                f"{name} in a scan: the scanner's suffix should be "
                f"{self._terminator.capitalize()} (terminator = {self._terminator!r})",
                at,
            )
            return []
        if self._held & self._alt:
            if code in KEYPAD_DIGITS:
                self._alt_code += KEYPAD_DIGITS[code]
                self._scan.touch(at)
            else:
                self._scan.poison(f"Alt+{name} is a shortcut, not a character", at)
            return []
        if self._held & _META:
            self._scan.poison(f"Meta+{name} is a shortcut, not a character", at)
            return []
        key = self._keys.get(code)
        shift = bool(self._held & _SHIFT)
        altgr = self._altgr in self._held
        symbol = key.symbol(shift=shift, caps=self._caps, altgr=altgr) if key else ""
        if not symbol:
            mods = "Shift+" * shift + "AltGr+" * altgr
            self._scan.poison(f"{mods}{name} types nothing in layout {self._name!r}", at)
        elif self._held & _CTRL:
            self._control(symbol, name, at)
        elif isinstance(symbol, Dead):
            if self._dead is None:
                self._dead = symbol
                self._scan.touch(at)
            else:
                self._typed_dead(symbol.spacing, at)
        elif self._dead:
            self._typed_dead(symbol, at)
        else:
            self._typed(symbol, at)
        return []

    def _control(self, symbol: str | Dead, name: str, at: float) -> None:
        char = symbol if isinstance(symbol, str) else symbol.spacing
        if char.upper() == "]":
            self._typed(GS, at)  # Ctrl+] is GS (0x1d), how wedge scanners send FNC1
        else:
            self._scan.poison(f"Ctrl+{name} is a control key, not a barcode character", at)

    def _typed_dead(self, char: str, at: float) -> None:
        """The key after a dead key: Space (or the same dead key) gives the accent itself."""
        dead, self._dead = self._dead, None
        assert dead is not None
        if char in (" ", dead.spacing):
            self._typed(dead.spacing, at)
        else:
            self._scan.poison(f"dead key {dead.spacing} before {char!r}: not a barcode", at)

    def _typed(self, char: str, at: float) -> None:
        if (char < " " and char != GS) or char == "\x7f":
            self._scan.poison(f"control character 0x{ord(char):02x} is not in a barcode", at)
        else:
            self._scan.add(char, at, self._max_length)

    def _expire(self, at: float) -> list[Result]:
        if not self._scan.busy or at - self._scan.last_at <= self.gap_s:
            return []
        if self._terminator == "none":
            return self._finish(at)
        suffix = self._terminator.capitalize()
        self._scan.poison(
            f"scan stalled: no {suffix} within {self.gap_s:g} s of the last key "
            f"(is the scanner's suffix set to {suffix}?)",
            at,
        )
        return self._finish(at)

    def _finish(self, at: float) -> list[Result]:
        if self._dead is not None:
            self._scan.poison(f"scan ended on dead key {self._dead.spacing}", at)
        if self._alt_code:
            self._scan.poison(f"scan ended inside Alt code {self._alt_code}", at)
        self._dead, self._alt_code = None, ""
        text, problem = self._scan.take()
        if problem:
            return [Rejected(problem, at, text)]
        if not text:
            return []  # a lone Enter
        return [self._complete(text, at)]

    def _complete(self, text: str, at: float) -> Result:
        fnc1, cap = self._fnc1, self._max_length
        return finish_scan(text, at, aim_prefix=self._aim_prefix, fnc1=fnc1, max_length=cap)


class LineDecoder:
    """Bytes from a serial scanner → scans, framed by CR, LF or CRLF (any run of them)."""

    def __init__(
        self,
        aim_prefix: bool = False,
        fnc1: str = "",
        max_length: int = MAX_SCAN_LENGTH,
        gap_s: float = 0.5,
    ) -> None:
        """`gap_s`: a line left without CR/LF this long is dropped (9600 baud carries a
        character per millisecond, so a real scan never pauses that long inside a line)."""
        _check_options(gap_s, max_length, fnc1)
        self.gap_s = gap_s
        self._aim_prefix, self._fnc1, self._max_length = aim_prefix, fnc1, max_length
        self._scan = _Pending(max_length + (3 if aim_prefix else 0))

    @property
    def pending(self) -> bool:
        return self._scan.busy

    def feed(self, data: bytes, at: float) -> list[Result]:
        out = self.tick(at)
        for byte in data:
            if byte in b"\r\n":
                out += self._finish(at)
            elif byte >= 0x80:
                self._scan.poison(f"byte 0x{byte:02x} is not ASCII (wrong baud rate?)", at)
            elif (byte < 0x20 and byte != 0x1D) or byte == 0x7F:
                self._scan.poison(f"control byte 0x{byte:02x} is not in a barcode", at)
            else:
                self._scan.add(chr(byte), at, self._max_length)
        return out

    def tick(self, at: float) -> list[Result]:
        if not self._scan.busy or at - self._scan.last_at <= self.gap_s:
            return []
        self._scan.poison(f"no CR/LF within {self.gap_s:g} s: line dropped", at)
        return self._finish(at)

    def reset(self) -> None:
        self._scan.take()

    def _finish(self, at: float) -> list[Result]:
        text, problem = self._scan.take()
        if problem:
            return [Rejected(problem, at, text)]
        if not text:
            return []  # the LF of a CRLF, or an empty line
        fnc1, cap = self._fnc1, self._max_length
        return [finish_scan(text, at, aim_prefix=self._aim_prefix, fnc1=fnc1, max_length=cap)]
