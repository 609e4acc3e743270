"""Sans-I/O ESC/POS decoder: bytes a host sends to a receipt printer in, commands out.

Used by the printer peer (tests/support) and the twin to read back what was "printed".
Feed it bytes in any chunking; it keeps an incomplete command until the rest arrives,
so a parameter byte is never read as text. Lengths follow the Epson ESC/POS command
reference (download4.epson.biz/sec_pubs/pos/reference_en/escpos/) for everything
python-escpos 3.1 emits, plus the common commands around them. An unknown `ESC x` /
`GS x` / `FS x` becomes `Other` (two bytes) and decoding goes on, as a printer would.

Text is decoded in the code table last selected with `ESC t n` (reset to 0, PC437, by
`ESC @`); a table Python has no codec for is read as latin-1. Double-byte (Kanji,
GB18030) text is out of scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

ESC, GS, FS, DLE, NUL = 0x1B, 0x1D, 0x1C, 0x10, 0x00
_TEXT_CONTROLS = frozenset(b"\n\t")


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Cut:
    partial: bool = False


@dataclass(frozen=True, slots=True)
class Barcode:
    kind: str
    data: str
    hri: bool = False
    """True when the printer prints the human-readable text with it (GS H n ≠ 0)."""

    @property
    def hri_text(self) -> str:
        """The data a person reads under the bars: CODE128's `{A`/`{B` set switch removed."""
        if self.kind in ("CODE128", "GS1-128") and self.data[:1] == "{":
            return self.data[2:]
        return self.data


@dataclass(frozen=True, slots=True)
class QrCode:
    data: str


class StatusKind(StrEnum):
    PRINTER = "printer"  # DLE EOT 1
    OFFLINE_CAUSE = "offline cause"  # DLE EOT 2
    ERROR_CAUSE = "error cause"  # DLE EOT 3
    PAPER_SENSOR = "paper sensor"  # DLE EOT 4
    GS_PAPER_SENSOR = "gs paper sensor"  # GS r 1: answered in order, after earlier data
    GS_DRAWER = "gs drawer"  # GS r 2


@dataclass(frozen=True, slots=True)
class StatusRequest:
    kind: StatusKind


@dataclass(frozen=True, slots=True)
class Pulse:
    """A drawer kick: `ESC p m t1 t2` (or the real-time `DLE DC4 1 m t`)."""

    pin: int
    on_ms: int
    off_ms: int


@dataclass(frozen=True, slots=True)
class Other:
    """A recognised command this decoder does not interpret (or an unknown ESC/GS/FS x)."""

    data: bytes


Command = Text | Cut | Barcode | QrCode | StatusRequest | Pulse | Other

# ESC t n → Python codec (Epson numbering; python-escpos's "default" profile agrees).
# Table 1 (Katakana) is single-byte on Epson, not Python's double-byte cp932: latin-1.
CODE_TABLES: dict[int, str] = {
    0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865",
    13: "cp857", 14: "cp737", 15: "iso8859_7", 16: "cp1252", 17: "cp866", 18: "cp852",
    19: "cp858", 21: "cp874", 32: "cp720", 33: "cp775", 34: "cp855", 35: "cp861",
    36: "cp862", 37: "cp864", 38: "cp869", 39: "iso8859_2", 40: "iso8859_15", 44: "cp1125",
    45: "cp1250", 46: "cp1251", 47: "cp1253", 48: "cp1254", 49: "cp1255", 50: "cp1256",
    51: "cp1257", 52: "cp1258",
}  # fmt: skip

# Parameter bytes after the two-byte prefix, for fixed-length commands.
_ESC_FIXED: dict[int, int] = {
    **dict.fromkeys(b"@2<ivLS\x0c", 0),
    **dict.fromkeys(b"=!EG-aMtdeJK3+A rV{R%U?Tu", 1),
    **dict.fromkeys(b"$\\cBf", 2),
    ord("W"): 8,
}
_GS_FIXED: dict[int, int] = {
    **dict.fromkeys(b":c", 0),
    **dict.fromkeys(b"!Bb|HfhwaIT/jZE", 1),
    **dict.fromkeys(b"LWP$\\", 2),
    ord("^"): 3,
}
_FS_FIXED: dict[int, int] = {
    **dict.fromkeys(b"&.", 0),
    **dict.fromkeys(b"!-WC", 1),
    **dict.fromkeys(b"Sp", 2),
}
_BARCODE_A = ("UPC-A", "UPC-E", "EAN13", "EAN8", "CODE39", "ITF", "CODABAR")
_BARCODE_B = (
    *_BARCODE_A,
    *("CODE93", "CODE128", "GS1-128", "GS1 DATABAR OMNIDIRECTIONAL", "GS1 DATABAR TRUNCATED"),
    *("GS1 DATABAR LIMITED", "GS1 DATABAR EXPANDED"),
)
_DLE_EOT = {
    1: StatusKind.PRINTER,
    2: StatusKind.OFFLINE_CAUSE,
    3: StatusKind.ERROR_CAUSE,
    4: StatusKind.PAPER_SENSOR,
}
_GS_R = {
    1: StatusKind.GS_PAPER_SENSOR,
    49: StatusKind.GS_PAPER_SENSOR,
    2: StatusKind.GS_DRAWER,
    50: StatusKind.GS_DRAWER,
}
_PULSE_PINS = {0: 2, 48: 2, 1: 5, 49: 5}

# (command, index after it), or None when more bytes are needed.
_Parsed = tuple[Command, int] | None


def _le(data: bytes | bytearray, at: int, width: int) -> int:
    return int.from_bytes(data[at : at + width], "little")


class EscPosDecoder:
    """Incremental decoder; one per connection (it tracks code table, HRI and QR store)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._codec = CODE_TABLES[0]
        self._hri = False
        self._qr_data: bytes | None = None

    def receive_data(self, data: bytes) -> list[Command]:
        """Decode what is complete; keep an unfinished command for the next call."""
        self._buf += data
        out: list[Command] = []
        buf, i = self._buf, 0
        while i < len(buf):
            byte = buf[i]
            if byte >= 0x20 or byte in _TEXT_CONTROLS:
                end = i + 1
                while end < len(buf) and (buf[end] >= 0x20 or buf[end] in _TEXT_CONTROLS):
                    end += 1
                _append_text(out, bytes(buf[i:end]).decode(self._codec, errors="replace"))
                i = end
                continue
            parsed = self._command(buf, i)
            if parsed is None:
                break
            command, i = parsed
            out.append(command)
        del self._buf[:i]
        return out

    @property
    def pending(self) -> bytes:
        """Bytes held back as the start of an unfinished command."""
        return bytes(self._buf)

    def _command(self, buf: bytearray, i: int) -> _Parsed:
        byte = buf[i]
        if byte not in (ESC, GS, FS, DLE):
            return Other(bytes([byte])), i + 1
        if i + 1 >= len(buf):
            return None
        handler = {ESC: self._esc, GS: self._gs, FS: self._fs, DLE: self._dle}[byte]
        return handler(buf, i, buf[i + 1])

    def _fixed(self, buf: bytearray, i: int, n: int) -> _Parsed:
        end = i + 2 + n
        return None if end > len(buf) else (Other(bytes(buf[i:end])), end)

    def _esc(self, buf: bytearray, i: int, op: int) -> _Parsed:
        if op == ord("p"):  # ESC p m t1 t2: pulse of t1×2 ms on, t2×2 ms off
            if i + 5 > len(buf):
                return None
            m, t1, t2 = buf[i + 2 : i + 5]
            pin = _PULSE_PINS.get(m)
            raw = Other(bytes(buf[i : i + 5]))
            return (raw if pin is None else Pulse(pin, t1 * 2, t2 * 2)), i + 5
        if op in (ord("i"), ord("m")):  # legacy partial cut
            return Cut(partial=True), i + 2
        if op == ord("D"):  # ESC D n1 … nk NUL: tab stops
            end = buf.find(NUL, i + 2)
            return None if end < 0 else (Other(bytes(buf[i : end + 1])), end + 1)
        if op == ord("*"):  # ESC * m nL nH d…: column bit image
            if i + 5 > len(buf):
                return None
            width = 1 if buf[i + 2] in (0, 1) else 3
            return self._payload(buf, i, 5, _le(buf, i + 3, 2) * width)
        if op == ord("("):  # ESC ( fn pL pH …
            return self._sized(buf, i)
        if op == ord("&"):
            return self._user_chars(buf, i)
        parsed = self._fixed(buf, i, _ESC_FIXED.get(op, 0))
        if parsed is not None and op == ord("t"):
            self._codec = CODE_TABLES.get(buf[i + 2], "latin-1")
        elif parsed is not None and op == ord("@"):
            self._codec, self._hri = CODE_TABLES[0], False
        return parsed

    def _gs(self, buf: bytearray, i: int, op: int) -> _Parsed:
        if op == ord("V"):  # GS V m [n]: cut
            if i + 3 > len(buf):
                return None
            m = buf[i + 2]
            size = 4 if m in (65, 66, 97, 98, 103, 104) else 3
            if i + size > len(buf):
                return None
            if m not in (0, 1, 48, 49, 65, 66, 97, 98, 103, 104):
                return Other(bytes(buf[i : i + 3])), i + 3
            return Cut(partial=m in (1, 49, 66, 98, 104)), i + size
        if op == ord("k"):
            return self._barcode(buf, i)
        if op == ord("r"):  # GS r n: status, answered after the data before it
            parsed = self._fixed(buf, i, 1)
            if parsed is not None and buf[i + 2] in _GS_R:
                return StatusRequest(_GS_R[buf[i + 2]]), parsed[1]
            return parsed
        if op == ord("("):  # GS ( fn pL pH …: 2D codes, graphics, settings
            parsed = self._sized(buf, i)
            if parsed is not None and buf[i + 2] == ord("k"):
                return self._symbol(buf, i, parsed[1]), parsed[1]
            return parsed
        if op == ord("v"):  # GS v 0 m xL xH yL yH d…: raster bit image
            if i + 8 > len(buf):
                return None
            if buf[i + 2] != ord("0"):
                return Other(bytes(buf[i : i + 3])), i + 3
            return self._payload(buf, i, 8, _le(buf, i + 4, 2) * _le(buf, i + 6, 2))
        if op == ord("*"):  # GS * x y d…: define downloaded bit image
            if i + 4 > len(buf):
                return None
            return self._payload(buf, i, 4, buf[i + 2] * buf[i + 3] * 8)
        if op == ord("8"):  # GS 8 L p1 p2 p3 p4 …: graphics with a 4-byte length
            if i + 7 > len(buf):
                return None
            if buf[i + 2] != ord("L"):
                return Other(bytes(buf[i : i + 3])), i + 3
            return self._payload(buf, i, 7, _le(buf, i + 3, 4))
        parsed = self._fixed(buf, i, _GS_FIXED.get(op, 0))
        if parsed is not None and op == ord("H"):
            self._hri = buf[i + 2] in (1, 2, 3, 49, 50, 51)
        return parsed

    def _fs(self, buf: bytearray, i: int, op: int) -> _Parsed:
        if op == ord("("):
            return self._sized(buf, i)
        return self._fixed(buf, i, _FS_FIXED.get(op, 0))

    def _dle(self, buf: bytearray, i: int, op: int) -> _Parsed:
        if op == 0x04:  # DLE EOT n [a]: real-time status
            if i + 3 > len(buf):
                return None
            n = buf[i + 2]
            if n in _DLE_EOT:
                return StatusRequest(_DLE_EOT[n]), i + 3
            return self._fixed(buf, i, 2 if n in (7, 8, 18) else 1)
        if op == 0x05:  # DLE ENQ n
            return self._fixed(buf, i, 1)
        if op == 0x14:  # DLE DC4 fn …: real-time pulse, power-off, buffer clear
            if i + 3 > len(buf):
                return None
            fn = buf[i + 2]
            parsed = self._fixed(buf, i, {1: 3, 2: 3, 3: 3, 7: 2, 8: 8}.get(fn, 1))
            if parsed is not None and fn == 1 and buf[i + 3] in _PULSE_PINS:
                t_ms = buf[i + 4] * 100  # DLE DC4 1 m t: t×100 ms on and off
                return Pulse(_PULSE_PINS[buf[i + 3]], t_ms, t_ms), parsed[1]
            return parsed
        return Other(bytes([DLE])), i + 1

    def _payload(self, buf: bytearray, i: int, header: int, size: int) -> _Parsed:
        end = i + header + size
        return None if end > len(buf) else (Other(bytes(buf[i:end])), end)

    def _sized(self, buf: bytearray, i: int) -> _Parsed:
        """`X ( fn pL pH` followed by pL + pH×256 bytes."""
        if i + 5 > len(buf):
            return None
        return self._payload(buf, i, 5, _le(buf, i + 3, 2))

    def _user_chars(self, buf: bytearray, i: int) -> _Parsed:
        """ESC & y c1 c2 [x d1…d(y×x)]…: one block per character c1..c2."""
        if i + 5 > len(buf):
            return None
        y, c1, c2 = buf[i + 2 : i + 5]
        at = i + 5
        for _ in range(max(0, c2 - c1 + 1)):
            if at >= len(buf):
                return None
            at += 1 + y * buf[at]
        return None if at > len(buf) else (Other(bytes(buf[i:at])), at)

    def _barcode(self, buf: bytearray, i: int) -> _Parsed:
        if i + 3 > len(buf):
            return None
        m = buf[i + 2]
        if m < len(_BARCODE_A):  # GS k m d… NUL
            end = buf.find(NUL, i + 3)
            if end < 0:
                return None
            kind, data, after = _BARCODE_A[m], bytes(buf[i + 3 : end]), end + 1
        elif 65 <= m < 65 + len(_BARCODE_B):  # GS k m n d1…dn
            if i + 4 > len(buf) or i + 4 + buf[i + 3] > len(buf):
                return None
            after = i + 4 + buf[i + 3]
            kind, data = _BARCODE_B[m - 65], bytes(buf[i + 4 : after])
        else:
            return Other(bytes(buf[i : i + 3])), i + 3
        return Barcode(kind, data.decode("latin-1"), self._hri), after

    def _symbol(self, buf: bytearray, i: int, end: int) -> Command:
        """GS ( k: QR model 2 (cn 49) stores data with fn 80 and prints it with fn 81."""
        raw = bytes(buf[i:end])
        if len(raw) < 7 or raw[5] != 49:
            return Other(raw)
        if raw[6] == 80 and len(raw) >= 8:
            self._qr_data = raw[8:]
        elif raw[6] == 81 and self._qr_data is not None:
            return QrCode(self._qr_data.decode("utf-8", errors="replace"))
        return Other(raw)


def _append_text(out: list[Command], text: str) -> None:
    if out and isinstance(out[-1], Text):
        out[-1] = Text(out[-1].text + text)
    else:
        out.append(Text(text))


def printed_text(command: Command) -> str:
    """What a reader sees of one command: its text, or a barcode's human-readable line."""
    if isinstance(command, Text):
        return command.text
    if isinstance(command, Barcode) and command.hri:
        return f"\n{command.hri_text}\n"
    return ""


def receipt_text(data: bytes) -> str:
    """The text printed by `data` (no styling, no symbols), as a customer would read it."""
    return "".join(printed_text(c) for c in EscPosDecoder().receive_data(data))


def coalesce(commands: Iterable[Command]) -> list[Command]:
    """Join adjacent Text commands (chunked input splits text where the chunks end)."""
    out: list[Command] = []
    for command in commands:
        if isinstance(command, Text):
            _append_text(out, command.text)
        else:
            out.append(command)
    return out
