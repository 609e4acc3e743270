"""The receipt layout: what a customer reads on the paper, in the store's locale."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from appliance.core.receipt import Receipt, ReceiptLine
from drivers.escpos_decode import Barcode, EscPosDecoder, QrCode, receipt_text
from drivers.receipt_layout import ReceiptLayout, return_code

MakeReceipt = Callable[..., Receipt]

URL = "https://receipts.example/"


def _text(receipt: Receipt, **options: object) -> str:
    return receipt_text(ReceiptLayout(**options).to_bytes(receipt))  # type: ignore[arg-type]


def _line_with(text: str, printed: str) -> str:
    return next(line for line in printed.splitlines() if text in line)


def test_receipt_shows_store_lines_savings_vat_total_and_payment(receipt: Receipt) -> None:
    """GIVEN a sale of three lines with a saving and two VAT rates
    WHEN its receipt is printed (en_GB)
    THEN the customer reads the store, time, sale number, every line with quantity and
    price, the saving as a negative amount, a VAT row per rate, the TOTAL and the payment."""
    printed = _text(receipt)

    for expected in ("Corner Shop", "23/11/2026, 09:15", "Sale 42", "Żubrówka 0,7 l"):
        assert expected in printed
    assert _line_with("Żubrówka", printed).endswith("£49.99")
    assert "Müsli" in printed and _line_with("2 x £2.49", printed).endswith("£4.98")
    assert "Apples" in printed and _line_with("3 x £1.00", printed).endswith("£3.00")
    assert _line_with("Breakfast deal", printed).endswith("-£0.50")
    assert _line_with("23%", printed).split() == ["23%", "£40.64", "£9.35", "£49.99"]
    assert _line_with("8%", printed).split() == ["8%", "£6.93", "£0.55", "£7.48"]
    assert _line_with("TOTAL", printed).endswith("£57.47")
    assert _line_with("Paid by", printed).endswith("card")
    assert _line_with("Ref", printed).endswith("SIM000042")


def test_vat_rows_add_up_to_the_total(receipt: Receipt) -> None:
    """GIVEN the receipt's VAT rows WHEN summed THEN gross is the total and net+tax=gross."""
    assert sum(row.gross_minor for row in receipt.tax_rows) == receipt.total_minor
    for row in receipt.tax_rows:
        assert row.net_minor + row.tax_minor == row.gross_minor


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_every_line_fits_the_paper(receipt: Receipt, columns: int) -> None:
    """GIVEN 58 mm (32), 80 mm (42) or Font B-ish (48) columns WHEN printed
    THEN no line is wider than the paper, and amounts end at the right edge."""
    printed = _text(receipt, columns=columns)

    assert max(len(line) for line in printed.splitlines()) <= columns
    assert len(_line_with("TOTAL", printed)) == columns


def test_a_long_name_wraps_above_its_amount(receipt: Receipt) -> None:
    """GIVEN a product name longer than the line WHEN printed THEN it wraps and the amount
    stands right-aligned on its own line."""
    long_line = ReceiptLine("Organic " * 8, 1, 4999, 4999)
    printed = _text(replace(receipt, lines=(long_line,)), columns=32)

    assert "£49.99".rjust(32) in printed.splitlines()


@pytest.mark.parametrize(
    ("locale", "currency", "expected"),
    [
        ("en_GB", "GBP", ["£2.49", "£57.47", "-£0.50"]),
        ("de_DE", "EUR", ["2,49 €", "57,47 €", "-0,50 €", "23.11.26, 09:15"]),
        ("pl_PL", "PLN", ["2,49 zł", "57,47 zł", "-0,50 zł", "23.11.2026, 09:15"]),
    ],
)
def test_money_and_dates_follow_the_locale(
    receipt_factory: MakeReceipt, locale: str, currency: str, expected: list[str]
) -> None:
    """GIVEN a store in Britain, Germany or Poland WHEN a receipt is printed
    THEN amounts and the date read as that locale writes them (plain spaces, as printed)."""
    printed = _text(receipt_factory(currency=currency), locale=locale)

    for text in expected:
        assert text in printed
    assert "\u00a0" not in printed and "\u202f" not in printed


def test_rates_with_decimals_follow_the_locale() -> None:
    """GIVEN a 5.5 % rate WHEN formatted THEN en_GB writes 5.5% and de_DE 5,5%."""
    assert ReceiptLayout().rate(550) == "5.5%"
    assert ReceiptLayout(locale="de_DE").rate(550) == "5,5%"
    assert ReceiptLayout().rate(2000) == "20%"


def test_polish_and_german_names_survive(receipt_factory: MakeReceipt) -> None:
    """GIVEN names with Ż, ó, ü, ß, ł WHEN printed and read back THEN they are intact."""
    receipt = receipt_factory(store_name="Sklep Łódź – Straße")
    printed = _text(receipt)

    for name in ("Żubrówka 0,7 l", "Müsli", "Sklep Łódź"):
        assert name in printed
    assert "Straße" in printed


def test_timezone_moves_the_printed_time(receipt: Receipt) -> None:
    """GIVEN a sale at 09:15 UTC WHEN printed for Europe/Warsaw THEN it reads 10:15."""
    assert "23/11/2026, 10:15" in _text(receipt, timezone="Europe/Warsaw")


def test_returns_barcode_and_ereceipt_qr(receipt: Receipt) -> None:
    """GIVEN an e-receipt base URL WHEN printed THEN a CODE128 carries the short return
    code (readable below it) and the QR code links to the sale."""
    data = ReceiptLayout(ereceipt_base_url=URL).to_bytes(receipt)
    commands = EscPosDecoder().receive_data(data)

    assert return_code(receipt) == "S42-0F8FAD5B"
    assert Barcode("CODE128", "{BS42-0F8FAD5B", hri=True) in commands
    assert QrCode(f"https://receipts.example/{receipt.sale_id}") in commands
    assert "S42-0F8FAD5B" in receipt_text(data)


def test_a_printer_without_2d_codes_gets_the_codes_as_text(receipt: Receipt) -> None:
    """GIVEN a profile without CODE128 or QR support (TM-U220, impact) WHEN printed
    THEN no GS k / GS ( k is sent, and the return code and link are printed as text."""
    layout = ReceiptLayout(columns=33, ereceipt_base_url=URL)
    data = layout.to_bytes(receipt, profile="TM-U220")
    commands = EscPosDecoder().receive_data(data)

    assert not any(isinstance(c, Barcode | QrCode) for c in commands)
    printed = receipt_text(data)
    assert "S42-0F8FAD5B" in printed
    assert f"https://receipts.example/{receipt.sale_id}" in printed


def test_no_qr_without_a_base_url(receipt: Receipt) -> None:
    """GIVEN no e-receipt URL WHEN printed THEN there is no QR code and no invitation."""
    data = ReceiptLayout().to_bytes(receipt)

    assert not any(isinstance(c, QrCode) for c in EscPosDecoder().receive_data(data))
    assert "e-receipt" not in receipt_text(data)


def test_the_return_code_stays_short_for_large_sale_numbers(
    receipt_factory: MakeReceipt,
) -> None:
    """GIVEN sale 99,999,999 WHEN its return code is made THEN it has at most 18
    characters (about 506 dots of CODE128 at 2 dots a module: it fits 80 mm paper)."""
    assert len(return_code(receipt_factory(seq=99_999_999))) <= 18


def test_the_configured_ereceipt_url_reaches_the_printed_qr(receipt: Receipt) -> None:
    """GIVEN kiosk.ereceipt_url in config WHEN the kiosk's receipt layout prints a receipt
    THEN its QR code links to <url>/<sale id>; GIVEN none THEN no QR code."""
    from appliance.bootstrap import receipt_layout
    from appliance.config import Config, merge

    cfg = merge(Config(), {"kiosk": {"ereceipt_url": "https://receipts.example.com/r/"}}, "t")
    commands = EscPosDecoder().receive_data(receipt_layout(cfg).to_bytes(receipt))
    assert QrCode(f"https://receipts.example.com/r/{receipt.sale_id}") in commands
    plain = EscPosDecoder().receive_data(receipt_layout(Config()).to_bytes(receipt))
    assert not any(isinstance(c, QrCode) for c in plain)
