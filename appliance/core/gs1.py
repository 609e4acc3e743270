"""GS1 element strings (GS1-128, DataBar, DataMatrix, QR) → GTIN, weight, price, expiry (pure).

Rules (GS1 General Specifications; biip splits the element strings, we read the raw values):
- AI 01: the GTIN-14, its check digit verified (§7.9.1). A string without it cannot be sold.
- AI 310n: net weight in kilograms with n decimals → integer grams, rounded half up.
- AI 392n: amount payable in the store's currency with n decimals → minor units, exactly;
  a price finer than the currency's minor unit is refused, never rounded.
- AI 17: expiry date YYMMDD, kept as its raw digits. Its century depends on today (§7.12) and
  the core reads no clock, so resolve_gs1_date() takes today from the caller.
- Every other AI is tolerated and ignored.
biip fills `.date` from the wall clock; we never read it, and tell biip not to reject dates,
so a result never depends on when the barcode was parsed.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace

from biip import ParseConfig
from biip.checksums import gs1_standard_check_digit
from biip.gs1_messages import GS1Message

GROUP_SEPARATOR = "\x1d"  # what scanners send for FNC1 between variable-length fields (§7.8.6)
UNREADABLE = "not a readable GS1 element string"

_BIIP = ParseConfig(gs1_element_strings_verify_date=False, separator_chars=(GROUP_SEPARATOR,))


@dataclass(frozen=True, slots=True)
class Elements:
    """What a checkout needs from one GS1 message; `error` is set when it cannot be sold."""

    gtin: str = ""
    weight_g: int | None = None
    price_minor: int | None = None
    expiry_yymmdd: str | None = None
    error: str = ""


def read(data: str, *, minor_digits: int, hri: bool = False) -> Elements:
    """Element strings (`01...` with GS separators, or `(01)...` when `hri`) → Elements."""
    try:
        if hri:
            message = GS1Message.parse_hri(data, config=_BIIP)
        else:
            message = GS1Message.parse(data.lstrip(GROUP_SEPARATOR), config=_BIIP)
    except Exception:  # biip is outside code: whatever it raises, the scan is only unreadable
        return Elements(error=UNREADABLE)
    found = Elements()
    for element in message.element_strings:
        found = _take(found, element.ai.ai, element.value, minor_digits)
        if found.error:
            return found
    if not found.gtin:
        return Elements(error="no GTIN in the barcode (GS1 AI 01 missing)")
    return found


def _take(found: Elements, ai: str, value: str, minor_digits: int) -> Elements:
    if ai == "01":
        if not (len(value) == 14 and value.isdigit()) or not _check_digit_ok(value):
            return Elements(error="GTIN check digit does not match (misread?)")
        if found.gtin and found.gtin != value:
            return Elements(error="two different GTINs in one barcode")
        return replace(found, gtin=value)
    if ai[:3] == "310" and len(ai) == 4 and value.isdigit():
        grams = grams_from_kg(int(value), int(ai[3]))
        if found.weight_g not in (None, grams):
            return Elements(error="two different weights in one barcode")
        return replace(found, weight_g=grams)
    if ai[:3] == "392" and len(ai) == 4 and value.isdigit():
        price = minor_from_amount(int(value), int(ai[3]), minor_digits)
        if price is None:
            return Elements(error="price has more decimals than the store currency")
        if found.price_minor not in (None, price):
            return Elements(error="two different prices in one barcode")
        return replace(found, price_minor=price)
    if ai == "17":
        if not is_valid_yymmdd(value):
            return Elements(error=f"expiry date {value!r} is not a date")
        return replace(found, expiry_yymmdd=value)
    return found


def _check_digit_ok(code: str) -> bool:
    return gs1_standard_check_digit(code[:-1]) == int(code[-1])


def grams_from_kg(value: int, decimals: int) -> int:
    """`value` kilograms × 10^-decimals → whole grams, rounded half up (0.0005 kg → 1 g)."""
    if decimals <= 3:
        scale: int = 10 ** (3 - decimals)
        return value * scale
    unit: int = 10 ** (decimals - 3)
    grams, rest = divmod(value, unit)
    return grams + (1 if 2 * rest >= unit else 0)


def minor_from_amount(value: int, decimals: int, minor_digits: int) -> int | None:
    """`value` × 10^-decimals major units → minor units; None when that would lose a digit."""
    if decimals <= minor_digits:
        scale: int = 10 ** (minor_digits - decimals)
        return value * scale
    unit: int = 10 ** (decimals - minor_digits)
    return value // unit if value % unit == 0 else None


def is_valid_yymmdd(value: str) -> bool:
    """A GS1 date field: month 01-12, day 00 (end of month) up to the month's last day.

    The year's century is unknown here; YY is checked as 20YY, which has the same leap rule
    as 19YY and 21YY for every YY but 00 (accepted as 2000, a leap year).
    """
    if len(value) != 6 or not (value.isascii() and value.isdigit()):
        return False
    year, month, day = 2000 + int(value[:2]), int(value[2:4]), int(value[4:])
    return 1 <= month <= 12 and day <= calendar.monthrange(year, month)[1]


def resolve_gs1_date(yymmdd: str, today: dt.date) -> dt.date:
    """A GS1 YYMMDD date as a calendar date (GS1 General Specifications §7.12).

    The year is the one ending in YY from 49 years before to 50 years after today's year;
    day 00 means the last day of the month. Raises ValueError when it is not a date.
    """
    if len(yymmdd) != 6 or not (yymmdd.isascii() and yymmdd.isdigit()):
        raise ValueError(f"not a GS1 date: {yymmdd!r}")
    year = today.year - today.year % 100 + int(yymmdd[:2])
    if year - today.year > 50:
        year -= 100
    elif year - today.year < -49:
        year += 100
    month, day = int(yymmdd[2:4]), int(yymmdd[4:])
    if not 1 <= month <= 12:
        raise ValueError(f"not a GS1 date: {yymmdd!r} (month {month})")
    if day == 0:
        day = calendar.monthrange(year, month)[1]
    return dt.date(year, month, day)
