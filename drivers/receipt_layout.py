"""Receipt layout: a Receipt drawn onto any python-escpos printer object (Dummy, Network…).

Rendering only calls the printer's drawing methods; adapters render into a fresh
`Dummy` per receipt and send its bytes in one write, so a layout error never leaves
half a receipt on the paper.

The returns barcode is CODE128 of `return_code(receipt)`, "S<seq>-<first 8 hex digits
of the sale id>" (e.g. "S42-1A2B3C4D"), not the whole UUID: 32 characters of CODE128
code set B are 387 modules plus 20 of quiet zone, 814 dots at python-escpos's narrowest
module (2 dots), wider than an 80 mm printer's 512 (180 dpi) or 576 (203 dpi) dot line;
a printer does not print a barcode that overflows the line (Epson GS k notes). The
return code is at most 18 characters (≤ 506 dots) up to sale 99,999,999; the seq finds
the sale at its kiosk and the hex prefix tells kiosks (and typos) apart.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

from appliance.core.kiosk_codes import receipt_code
from appliance.core.receipt import Receipt
from appliance.core.receipts import ereceipt_link
from appliance.core.records import Document
from appliance.money import format_minor

Printable = Receipt | Document

# Babel separates amount and symbol with U+00A0 (some locales U+202F); printers' code
# tables may lack both (U+202F is in none), so they are printed as plain spaces.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


@dataclass(frozen=True, slots=True)
class ReceiptLabels:
    """The fixed words on a receipt (English by default; one set per store language)."""

    sale: str = "Sale"
    vat: str = "VAT"
    net: str = "Net"
    tax: str = "Tax"
    gross: str = "Gross"
    total: str = "TOTAL"
    paid_by: str = "Paid by"
    reference: str = "Ref"
    returns: str = "Keep this receipt for returns"
    ereceipt: str = "Your e-receipt"


@dataclass(frozen=True, slots=True)
class ReceiptLayout:
    columns: int = 42
    """Characters per line: 42 for Font A on 80 mm paper, 32 on 58 mm."""
    locale: str = "en_GB"
    """Babel locale for money, dates and VAT rates."""
    ereceipt_base_url: str | None = None
    """The QR code links to `<base>/<sale_id>`; None prints no QR code."""
    timezone: str | None = None
    """IANA zone the sale time is shown in (e.g. "Europe/Warsaw"); None keeps its offset."""
    store_name: str | None = None
    """Header text; None prints the receipt's own store name."""
    partial_cut: bool = False
    """Leave a hinge of paper (the receipt hangs until taken) instead of a full cut."""
    labels: ReceiptLabels = field(default_factory=ReceiptLabels)

    def __post_init__(self) -> None:
        if not 24 <= self.columns <= 80:
            raise ValueError(f"columns must be 24..80, got {self.columns}")

    def render(self, printer: Any, receipt: Receipt) -> None:
        """Draw `receipt` on `printer` (an escpos.escpos.Escpos), ending with a cut."""
        p, cols, words = printer, self.columns, self.labels
        p.hw("INIT")
        # ESC @ resets the printer to code table 0; tell the encoder so it switches back
        # when needed (a reused printer object would otherwise assume its last table).
        p.charcode("CP437")
        p.charcode("AUTO")

        p.set(align="center", bold=True, double_height=True)
        p.text(_wrap(self.store_name or receipt.store_name, cols))
        p.set_with_default(align="center")
        p.textln(self._when(receipt.wall_at))
        p.textln(f"{words.sale} {receipt.seq}")
        p.set_with_default()
        p.textln("-" * cols)

        for line in receipt.lines:
            amount = self.money(line.total_minor, receipt.currency)
            if line.quantity == 1:
                p.text(row(line.name, amount, cols))
            else:
                unit = self.money(line.unit_price_minor, receipt.currency)
                p.text(_wrap(line.name, cols))
                p.text(row(f"  {line.quantity} x {unit}", amount, cols))
        for saving in receipt.savings:
            p.text(row(saving.name, self.money(-saving.amount_minor, receipt.currency), cols))
        p.textln("-" * cols)

        p.text(self._vat_table(receipt))
        p.textln("-" * cols)
        p.set(bold=True, double_height=True)
        p.text(row(words.total, self.money(receipt.total_minor, receipt.currency), cols))
        p.set_with_default()
        p.text(row(words.paid_by, receipt.payment_method, cols))
        if receipt.payment_reference:
            p.text(row(words.reference, receipt.payment_reference, cols))

        p.ln()
        p.set_with_default(align="center")
        p.textln(words.returns)
        _code128(p, return_code(receipt))
        if self.ereceipt_base_url:
            p.ln()
            p.textln(words.ereceipt)
            url = ereceipt_url(self.ereceipt_base_url, receipt)
            if p.profile.supports("qrCode"):
                p.qr(url, ec=QR_ECLEVEL_M, size=6, native=True)
            else:
                p.textln(url)
        p.set_with_default()
        p.cut(mode="PART" if self.partial_cut else "FULL")

    def to_bytes(self, printable: Printable, profile: str = "default") -> bytes:
        """A receipt or document as ESC/POS bytes for a printer of python-escpos `profile`."""
        dummy = Dummy(profile=profile)
        if isinstance(printable, Receipt):
            self.render(dummy, printable)
        else:
            self.render_document(dummy, printable)
        data: bytes = dummy.output
        return data

    def render_document(self, printer: Any, document: Document) -> None:
        """A slip, refund or report: store name, title, lines, an optional CODE128, a cut."""
        p, cols = printer, self.columns
        p.hw("INIT")
        p.charcode("CP437")
        p.charcode("AUTO")
        p.set(align="center", bold=True)
        p.text(_wrap(self.store_name or "", cols) if self.store_name else "")
        p.text(_wrap(document.title, cols))
        p.set_with_default()
        p.textln("-" * cols)
        for line in document.lines:
            if line.amount_minor is None:
                p.text(_wrap(line.text, cols))
            else:
                p.text(row(line.text, self.money(line.amount_minor, document.currency), cols))
        if document.barcode:
            p.ln()
            p.set_with_default(align="center")
            _code128(p, document.barcode)
            p.set_with_default()
        p.cut(mode="PART" if self.partial_cut else "FULL")

    def money(self, amount_minor: int, currency: str) -> str:
        """Babel's format for the locale, with a plain space where Babel puts a no-break one."""
        return format_minor(amount_minor, currency, self.locale).translate(_SPACES)

    def rate(self, rate_bp: int) -> str:
        """2300 → "23%", 550 → "5.5%" (de_DE: "5,5%")."""
        value = Decimal(rate_bp).scaleb(-2)
        return f"{format_decimal(value, locale=self.locale)}%".translate(_SPACES)

    def _when(self, wall_at: str) -> str:
        try:
            at = datetime.fromisoformat(wall_at)
        except ValueError:
            return wall_at  # print what we were given rather than nothing
        tz = ZoneInfo(self.timezone) if self.timezone else None
        text = format_datetime(at, "short", tzinfo=tz, locale=self.locale)
        return str(text).translate(_SPACES)

    def _vat_table(self, receipt: Receipt) -> str:
        words, cur = self.labels, receipt.currency
        amount_w = (self.columns - 6) // 3
        rate_w = self.columns - 3 * amount_w

        def line(rate: str, net: str, tax: str, gross: str) -> str:
            # a space before each amount even when one fills its column
            amounts = "".join(" " + s.rjust(amount_w - 1) for s in (net, tax, gross))
            return rate.ljust(rate_w) + amounts

        rows = [line(words.vat, words.net, words.tax, words.gross)]
        for r in receipt.tax_rows:
            amounts = (self.money(v, cur) for v in (r.net_minor, r.tax_minor, r.gross_minor))
            rows.append(line(self.rate(r.rate_bp), *amounts))
        return "".join(f"{r}\n" for r in rows)


def row(left: str, right: str, columns: int) -> str:
    """`left` and `right` on one line of `columns`; a long left wraps above the right."""
    if len(left) + 1 + len(right) <= columns:
        return left + right.rjust(columns - len(left)) + "\n"
    return _wrap(left, columns) + right.rjust(columns) + "\n"


def _wrap(text: str, columns: int) -> str:
    return "".join(f"{part}\n" for part in textwrap.wrap(text, columns) or [""])


def _code128(p: Any, data: str) -> None:
    """A CODE128 barcode with its text below, or just the text the printer cannot draw."""
    if p.profile.supports("barcodeB"):
        # The hardware renderer directly: the public barcode() adds this capability
        # check and a print() to stdout, which corrupts `kiosk scenario`'s JSON report.
        p._hw_barcode(
            "{B" + data,
            "CODE128",
            height=64,
            width=2,
            pos="BELOW",
            font="A",
            align_ct=True,
            function_type="B",
        )
    else:  # no GS k function B on this model: the code staff can type in
        p.textln(data)


def return_code(receipt: Receipt) -> str:
    """The returns barcode's content: "S<seq>-<8 hex digits of the sale id>" (the core
    reads it back when staff scan a receipt for a refund: appliance/core/kiosk_codes.py)."""
    return receipt_code(receipt.seq, receipt.sale_id)


def ereceipt_url(base_url: str, receipt: Receipt) -> str:
    """The QR code's link; the same as the screen's (appliance/core/receipts.py)."""
    return ereceipt_link(base_url, receipt.sale_id)
