"""Barcode text as a retail scanner delivers it → a validated lookup key (pure).

Rules (GS1 General Specifications, section 7.9 for the check digit, 2.1 for GTINs):
- EAN-13, EAN-8, UPC-A and GTIN-14 are normalised to a 14-digit GTIN by left-padding zeros.
- UPC-E (8 digits starting 0 or 1) is expanded to UPC-A by its sixth digit's rule first.
- Restricted-circulation numbers (EAN-13 with prefix 20-29) may carry a price; the layout
  is configured per store (VariableMeasureLayout) and the item is looked up with the
  variable part and check digit zeroed.
- Anything else is rejected with a reason, never raised: the scanner is outside input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MAX_SCAN_LENGTH = 128


class CodeKind(StrEnum):
    EAN13 = "ean13"
    EAN8 = "ean8"
    UPCA = "upca"
    UPCE = "upce"
    GTIN14 = "gtin14"
    VARIABLE_PRICE = "variable-price"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class VariableMeasureLayout:
    """Where a store's scale labels put the price: `PP IIIII VVVVV C` by default.

    prefixes: the two-digit restricted-circulation prefixes that carry a price.
    item_digits: digits of the item reference after the prefix.
    price_digits: digits of the embedded price, in minor units.
    """

    prefixes: frozenset[str] = field(default_factory=lambda: frozenset(f"2{i}" for i in range(10)))
    item_digits: int = 5
    price_digits: int = 5

    def __post_init__(self) -> None:
        if 2 + self.item_digits + self.price_digits != 12:
            raise ValueError("a price-embedded EAN-13 layout must fill 12 digits before the check")


DEFAULT_LAYOUT = VariableMeasureLayout()


@dataclass(frozen=True, slots=True)
class Scan:
    """The outcome of parsing one barcode: valid with a lookup key, or invalid with a reason."""

    text: str
    valid: bool
    kind: CodeKind
    gtin: str = ""
    price_minor: int | None = None
    error: str = ""


def gs1_check_digit(payload: str) -> int:
    """The GS1 mod-10 check digit for a string of digits (weights 3,1 from the right)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def upce_to_upca(code: str) -> str:
    """Expand an 8-digit UPC-E (number system 0 or 1) to its 12-digit UPC-A."""
    ns, d, check = code[0], code[1:7], code[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check


def _invalid(text: str, reason: str) -> Scan:
    return Scan(text=text, valid=False, kind=CodeKind.INVALID, error=reason)


def parse(text: str, layout: VariableMeasureLayout = DEFAULT_LAYOUT) -> Scan:
    """Parse one scan. Never raises; a bad scan is `valid=False` with a human reason."""
    shown = text[:MAX_SCAN_LENGTH]
    if len(text) > MAX_SCAN_LENGTH:
        return _invalid(shown, f"too long ({len(text)} characters)")
    code = text.strip()
    if not code:
        return _invalid(shown, "empty scan")
    if not (code.isascii() and code.isdigit()):
        return _invalid(shown, "not a retail barcode (digits only expected)")
    n = len(code)
    if n == 8 and code[0] in "01" and _checks(upce_to_upca(code)):
        return Scan(shown, True, CodeKind.UPCE, gtin=upce_to_upca(code).zfill(14))
    if n not in (8, 12, 13, 14):
        return _invalid(shown, f"unsupported length {n}")
    if not _checks(code):
        return _invalid(shown, "check digit does not match (misread?)")
    kind = {8: CodeKind.EAN8, 12: CodeKind.UPCA, 13: CodeKind.EAN13, 14: CodeKind.GTIN14}[n]
    if n == 13 and code[:2] in layout.prefixes:
        item_end = 2 + layout.item_digits
        price = int(code[item_end : item_end + layout.price_digits])
        key = code[:item_end] + "0" * layout.price_digits
        key += str(gs1_check_digit(key))
        return Scan(shown, True, CodeKind.VARIABLE_PRICE, gtin=key.zfill(14), price_minor=price)
    return Scan(shown, True, kind, gtin=code.zfill(14))


def _checks(code: str) -> bool:
    return gs1_check_digit(code[:-1]) == int(code[-1])
