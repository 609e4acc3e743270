"""Linux key codes → characters for the layouts a keyboard-wedge scanner may type in (pure).

A USB scanner sends key positions, not characters: it "types" the barcode as if on a
keyboard of the layout it was programmed for. Reading those keys through X11 (Odoo's
setxkbmap + XkbKeycodeToKeysym) needs a display the kiosk does not have, so the tables are
here, one per layout, from the X keyboard config (xkeyboard-config `symbols/<name>`, its
"basic" variant with `level3(ralt_switch)`: Right Alt is AltGr). The Linux console keymap
of the kbd package for the same layout is named beside each for reference; where the two
differ on a level a scanner could use, xkeyboard-config wins. Levels that only give
typographic symbols are left out: a scanner never sends them, and a key that is not in the
table is a rejected scan, never a wrong character.

Key codes are the kernel's (include/uapi/linux/input-event-codes.h, a stable ABI), written
out in `KEY` so this module needs no evdev; a test checks them against evdev.ecodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

GS = "\x1d"  # ASCII group separator: GS1's FNC1 inside an element string

# fmt: off
KEY: Mapping[str, int] = MappingProxyType({
    "ESC": 1, "1": 2, "2": 3, "3": 4, "4": 5, "5": 6, "6": 7, "7": 8, "8": 9, "9": 10, "0": 11,
    "MINUS": 12, "EQUAL": 13, "BACKSPACE": 14, "TAB": 15,
    "Q": 16, "W": 17, "E": 18, "R": 19, "T": 20, "Y": 21, "U": 22, "I": 23, "O": 24, "P": 25,
    "LEFTBRACE": 26, "RIGHTBRACE": 27, "ENTER": 28, "LEFTCTRL": 29,
    "A": 30, "S": 31, "D": 32, "F": 33, "G": 34, "H": 35, "J": 36, "K": 37, "L": 38,
    "SEMICOLON": 39, "APOSTROPHE": 40, "GRAVE": 41, "LEFTSHIFT": 42, "BACKSLASH": 43,
    "Z": 44, "X": 45, "C": 46, "V": 47, "B": 48, "N": 49, "M": 50,
    "COMMA": 51, "DOT": 52, "SLASH": 53, "RIGHTSHIFT": 54, "KPASTERISK": 55, "LEFTALT": 56,
    "SPACE": 57, "CAPSLOCK": 58, "F1": 59, "F2": 60, "F3": 61, "F4": 62, "F5": 63, "F6": 64,
    "F7": 65, "F8": 66, "F9": 67, "F10": 68, "NUMLOCK": 69, "SCROLLLOCK": 70,
    "KP7": 71, "KP8": 72, "KP9": 73, "KPMINUS": 74, "KP4": 75, "KP5": 76, "KP6": 77,
    "KPPLUS": 78, "KP1": 79, "KP2": 80, "KP3": 81, "KP0": 82, "KPDOT": 83, "102ND": 86,
    "F11": 87, "F12": 88, "KPENTER": 96, "RIGHTCTRL": 97, "KPSLASH": 98, "RIGHTALT": 100,
    "UP": 103, "LEFT": 105, "RIGHT": 106, "DOWN": 108, "LEFTMETA": 125, "RIGHTMETA": 126,
})
# fmt: on
KEY_NAMES: Mapping[int, str] = MappingProxyType({code: f"KEY_{n}" for n, code in KEY.items()})
KEYPAD_DIGITS: Mapping[int, str] = MappingProxyType({KEY[f"KP{d}"]: str(d) for d in range(10)})


@dataclass(frozen=True, slots=True)
class Dead:
    """A dead key: it types nothing itself. Followed by Space (or by itself again) it gives
    `spacing`, as on the Windows layouts scanners emulate (X's Compose file gives ' and " for
    acute and diaeresis instead; neither is in a barcode)."""

    spacing: str


Symbol = str | Dead  # "" where the level has no character


@dataclass(frozen=True, slots=True)
class Key:
    plain: Symbol
    shift: Symbol = ""
    altgr: Symbol = ""
    altgr_shift: Symbol = ""

    def symbol(self, *, shift: bool, caps: bool, altgr: bool) -> Symbol:
        """The level chosen by the modifiers. Caps Lock acts like Shift on letters only
        (a pair whose shifted level is the upper case of the plain one), and Shift with
        Caps Lock gives the lower case again, as xkb's ALPHABETIC key types do."""
        low, high = (self.altgr, self.altgr_shift) if altgr else (self.plain, self.shift)
        if caps and isinstance(low, str) and low.isalpha() and high == low.upper() != low:
            shift = not shift
        return high if shift else low


Layout = Mapping[int, Key]


def _table(*rows: tuple[str, tuple[Symbol, ...]]) -> dict[int, Key]:
    return {KEY[name]: Key(*levels) for name, levels in rows}


def _letters(*, altgr: Mapping[str, str] = MappingProxyType({})) -> dict[int, Key]:
    """a-z on their QWERTY keys; `altgr` maps a letter to its AltGr letter (upper: + Shift)."""
    out = {}
    for ch in "abcdefghijklmnopqrstuvwxyz":
        extra = altgr.get(ch, "")
        out[KEY[ch.upper()]] = Key(ch, ch.upper(), extra, extra.upper())
    return out


def _keypad(decimal: str) -> dict[int, Key]:
    """Keypad keys as typed with Num Lock on. A grabbed scanner's Num Lock state cannot be
    known, and a scanner in keypad mode never means the arrow keys, so it is assumed on."""
    pairs = [*KEYPAD_DIGITS.items()]
    pairs += [(KEY[n], c) for n, c in (("KPSLASH", "/"), ("KPASTERISK", "*"), ("KPMINUS", "-"))]
    pairs += [(KEY["KPPLUS"], "+"), (KEY["KPDOT"], decimal)]
    return {code: Key(ch, ch) for code, ch in pairs}  # Shift does not turn them into arrows


_SPACE = _table(("SPACE", (" ", " ")))

# us: xkeyboard-config symbols/us "basic"; kbd keymaps/i386/qwerty/us.map. Right Alt is
# plain Alt here (no AltGr level); 102ND (the ISO key beside left Shift) from symbols/pc.
US: Layout = MappingProxyType(
    _letters()
    | _SPACE
    | _keypad(".")
    | _table(
        ("GRAVE", ("`", "~")), ("1", ("1", "!")), ("2", ("2", "@")), ("3", ("3", "#")),
        ("4", ("4", "$")), ("5", ("5", "%")), ("6", ("6", "^")), ("7", ("7", "&")),
        ("8", ("8", "*")), ("9", ("9", "(")), ("0", ("0", ")")), ("MINUS", ("-", "_")),
        ("EQUAL", ("=", "+")), ("LEFTBRACE", ("[", "{")), ("RIGHTBRACE", ("]", "}")),
        ("BACKSLASH", ("\\", "|")), ("SEMICOLON", (";", ":")), ("APOSTROPHE", ("'", '"')),
        ("COMMA", (",", "<")), ("DOT", (".", ">")), ("SLASH", ("/", "?")),
        ("102ND", ("<", ">")),
    )
)  # fmt: skip

# de: xkeyboard-config symbols/de "basic" (latin(type4) + de), kpdl(comma); kbd
# keymaps/i386/qwertz/de-latin1.map. QWERTZ: the Y and Z keys are swapped; ß ü ö ä on
# their own keys; AltGr gives @ € µ { [ ] } \ ~ |. ^ ´ ` are dead keys. AltGr+plus is
# asciitilde as in kbd and Windows (older xkeyboard-config made it a dead tilde).
DE: Layout = MappingProxyType(
    _letters()
    | _SPACE
    | _keypad(",")
    | _table(
        ("GRAVE", (Dead("^"), "°")), ("1", ("1", "!")), ("2", ("2", '"', "²")),
        ("3", ("3", "§", "³")), ("4", ("4", "$")), ("5", ("5", "%")), ("6", ("6", "&")),
        ("7", ("7", "/", "{")), ("8", ("8", "(", "[")), ("9", ("9", ")", "]")),
        ("0", ("0", "=", "}")), ("MINUS", ("ß", "?", "\\")),
        ("EQUAL", (Dead("´"), Dead("`"))),
        ("Q", ("q", "Q", "@")), ("E", ("e", "E", "€")), ("Y", ("z", "Z")), ("Z", ("y", "Y")),
        ("M", ("m", "M", "µ")), ("LEFTBRACE", ("ü", "Ü")), ("RIGHTBRACE", ("+", "*", "~")),
        ("SEMICOLON", ("ö", "Ö")), ("APOSTROPHE", ("ä", "Ä")), ("BACKSLASH", ("#", "'")),
        ("COMMA", (",", ";")), ("DOT", (".", ":")), ("SLASH", ("-", "_")),
        ("102ND", ("<", ">", "|")),
    )
)  # fmt: skip

# fr: xkeyboard-config symbols/fr "basic" (AZERTY); kbd keymaps/i386/azerty/fr-latin1.map.
# The digits are on the SHIFTED level of the top row: unshifted it types & é " ' ( - è _ ç à.
# A scanner left on US while the host reads French sends "&&é" for "112"
# (fttx/barcode-to-pc-server#166), and an attendance kiosk on FR-BE read "àà&"è'!ç&&" for
# "0013748911" (odoo/odoo PR #214407). A scanner set to French holds Shift for every digit.
# A/Q, Z/W and M/;/, move; AltGr gives ~ # { [ | ` \ ^ @ ] } €. ^ and ¨ are dead keys.
FR: Layout = MappingProxyType(
    _letters()
    | _SPACE
    | _keypad(".")
    | _table(
        ("GRAVE", ("²", "~")), ("1", ("&", "1")), ("2", ("é", "2", "~")),
        ("3", ('"', "3", "#")), ("4", ("'", "4", "{")), ("5", ("(", "5", "[")),
        ("6", ("-", "6", "|")), ("7", ("è", "7", "`")), ("8", ("_", "8", "\\")),
        ("9", ("ç", "9", "^")), ("0", ("à", "0", "@")), ("MINUS", (")", "°", "]")),
        ("EQUAL", ("=", "+", "}")),
        ("Q", ("a", "A")), ("W", ("z", "Z")), ("E", ("e", "E", "€")), ("A", ("q", "Q", "@")),
        ("SEMICOLON", ("m", "M", "µ")), ("Z", ("w", "W")), ("M", (",", "?")),
        ("LEFTBRACE", (Dead("^"), Dead("¨"))), ("RIGHTBRACE", ("$", "£", "¤")),
        ("APOSTROPHE", ("ù", "%")), ("BACKSLASH", ("*", "µ")),
        ("COMMA", (";", ".")), ("DOT", (":", "/")), ("SLASH", ("!", "§")),
        ("102ND", ("<", ">", "|")),
    )
)  # fmt: skip

# pl: xkeyboard-config symbols/pl "basic" ("Polish", the programmer's layout: US keys plus
# AltGr letters), kpdl(comma); kbd keymaps/i386/qwerty/pl2.map has the same AltGr letters.
# AltGr gives ą ć ę ł ń ó ś ź ż (with Shift: capitals) and € on 5.
PL: Layout = MappingProxyType(
    dict(US)
    | _letters(altgr=dict(zip("acelnoszx", "ąćęłńóśżź", strict=True)))
    | _keypad(",")
    | _table(("5", ("5", "%", "€")), ("102ND", ("<", ">", "|")))
)

LAYOUTS: Mapping[str, Layout] = MappingProxyType({"us": US, "de": DE, "fr": FR, "pl": PL})
# Layouts whose Right Alt is AltGr (level3(ralt_switch)); on `us` it is a second Alt.
ALTGR_LAYOUTS = frozenset({"de", "fr", "pl"})


def layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(f"unknown keyboard layout {name!r}; known: {', '.join(LAYOUTS)}") from None


# --- the inverse, for tests and commissioning: text → the keys a scanner would press ---

KeyPress = tuple[int, int]  # (key code, value): 1 down, 0 up


def printable(name: str) -> frozenset[str]:
    """Every character some key (or dead key + Space) of the layout types."""
    chars: set[str] = set()
    for key in layout(name).values():
        for sym in (key.plain, key.shift, key.altgr, key.altgr_shift):
            chars.add(sym.spacing if isinstance(sym, Dead) else sym)
    chars.discard("")
    return frozenset(chars)


def encode(text: str, name: str) -> list[KeyPress]:
    """The key presses that type `text` on layout `name`: the plainest level first, a dead
    key followed by Space, GS as Ctrl+]. Raises ValueError for a character it cannot type."""
    table = _inverse(name)
    shift, altgr, ctrl, space = KEY["LEFTSHIFT"], KEY["RIGHTALT"], KEY["LEFTCTRL"], KEY["SPACE"]
    out: list[KeyPress] = []
    for ch in text:
        if ch == GS:
            code, with_shift, with_altgr, dead = table["]"]
            mods = [ctrl, *([shift] if with_shift else []), *([altgr] if with_altgr else [])]
        elif ch in table:
            code, with_shift, with_altgr, dead = table[ch]
            mods = [*([shift] if with_shift else []), *([altgr] if with_altgr else [])]
        else:
            raise ValueError(f"{ch!r} cannot be typed on layout {name!r}")
        out += [(m, 1) for m in mods] + [(code, 1), (code, 0)] + [(m, 0) for m in reversed(mods)]
        if dead:
            out += [(space, 1), (space, 0)]
    return out


def _inverse(name: str) -> dict[str, tuple[int, bool, bool, bool]]:
    """char → (code, shift, altgr, dead); the first key in code order and level order wins."""
    found: dict[str, tuple[int, bool, bool, bool]] = {}
    has_altgr = name in ALTGR_LAYOUTS
    for code, key in sorted(layout(name).items()):
        levels = [(key.plain, False, False), (key.shift, True, False)]
        if has_altgr:
            levels += [(key.altgr, False, True), (key.altgr_shift, True, True)]
        for sym, with_shift, with_altgr in levels:
            if isinstance(sym, Dead):
                found.setdefault(sym.spacing, (code, with_shift, with_altgr, True))
            elif sym:
                found.setdefault(sym, (code, with_shift, with_altgr, False))
    return found
