"""Barcodes the kiosk itself prints or staff carry (pure): badges, suspend slips, receipts.

- staff badge:    STAFF-<id>          id: 1-16 letters or digits
- suspend slip:   SUSP-<number>       the suspended sale's number
- sale receipt:   S<seq>-<8 hex>      the sale's number and the start of its id
                                      (drivers/receipt_layout.py prints it as CODE128)
They are not retail barcodes; outside staff mode they are never sold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_BADGE = re.compile(r"STAFF-([A-Za-z0-9]{1,16})")
_SLIP = re.compile(r"SUSP-([0-9]{1,9})")
_RECEIPT = re.compile(r"S([0-9]{1,9})-([0-9A-Fa-f]{8})")


class CodeUse(StrEnum):
    BADGE = "badge"
    SLIP = "slip"
    RECEIPT = "receipt"


@dataclass(frozen=True, slots=True)
class KioskCode:
    use: CodeUse
    value: str
    check: str = ""


def parse_kiosk_code(text: str) -> KioskCode | None:
    code = text.strip()
    if match := _BADGE.fullmatch(code):
        return KioskCode(CodeUse.BADGE, match.group(1))
    if match := _SLIP.fullmatch(code):
        return KioskCode(CodeUse.SLIP, str(int(match.group(1))))
    if match := _RECEIPT.fullmatch(code):
        return KioskCode(CodeUse.RECEIPT, str(int(match.group(1))), match.group(2).lower())
    return None


def slip_code(number: int) -> str:
    return f"SUSP-{number}"


def receipt_code(seq: int, sale_id: str) -> str:
    """What a receipt's returns barcode holds (drivers/receipt_layout.py prints it)."""
    return f"S{seq}-{sale_id.replace('-', '')[:8].upper()}"
