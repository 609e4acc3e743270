"""Barcodes as scanners deliver them: real codes, check digits, UPC-E, scale labels, garbage."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.core.barcodes import (
    CodeKind,
    VariableMeasureLayout,
    gs1_check_digit,
    parse,
    upce_to_upca,
)


@pytest.mark.parametrize(
    ("text", "kind", "gtin"),
    [
        # GS1 General Specifications figure examples and real retail codes
        ("5901234123457", CodeKind.EAN13, "05901234123457"),  # GS1 Poland sample
        ("4006381333931", CodeKind.EAN13, "04006381333931"),  # Stabilo pen (DE)
        ("9780306406157", CodeKind.EAN13, "09780306406157"),  # ISBN 0-306-40615-2
        ("96385074", CodeKind.EAN8, "00000096385074"),  # GS1 EAN-8 example
        ("036000291452", CodeKind.UPCA, "00036000291452"),  # UPC-A (Kleenex)
        ("00614141999996", CodeKind.GTIN14, "00614141999996"),  # GS1 GTIN-14 example
        ("04252614", CodeKind.UPCE, "00042100005264"),  # UPC-E → 042100005264
        (" 5901234123457\n", CodeKind.EAN13, "05901234123457"),  # scanner whitespace
    ],
)
def test_valid_codes_normalise_to_gtin14(text: str, kind: CodeKind, gtin: str) -> None:
    scan = parse(text)
    assert scan.valid, scan.error
    assert scan.kind is kind
    assert scan.gtin == gtin


@pytest.mark.parametrize(
    ("upce", "upca"),
    [
        ("04252614", "042100005264"),  # last digit 2: manufacturer digits + 0000 + item
        ("01234505", "012000003455"),  # last digit 0: d1 d2 0 0000 d3 d4 d5
        ("01234531", "012300000451"),  # last digit 3
        ("01234542", "012340000052"),  # last digit 4
    ],
)
def test_upce_expansion_rules(upce: str, upca: str) -> None:
    assert upce_to_upca(upce)[:-1] == upca[:-1]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("5901234123458", "check digit"),  # one digit off: a misread
        ("590123412345", "check digit"),  # a dropped digit reads as a bad UPC-A
        ("", "empty"),
        ("abc", "digits only"),
        ("590123\x00123457", "digits only"),
        ("1" * 10_000, "too long"),
        ("12345", "length"),
        ("١٢٣٤٥٦٧٨٩٠١٢٣", "digits only"),  # Arabic-Indic digits are not scanner output
    ],
)
def test_bad_scans_are_rejected_with_a_reason(text: str, reason: str) -> None:
    scan = parse(text)
    assert not scan.valid
    assert scan.kind is CodeKind.INVALID
    assert reason in scan.error
    assert len(scan.text) <= 128


def test_price_embedded_label_looks_up_the_zeroed_item() -> None:
    """GIVEN a scale label 21 00003 01299 C WHEN parsed THEN price 12.99, key with price zeroed."""
    body = "210000301299"
    label = body + str(gs1_check_digit(body))
    scan = parse(label)
    assert scan.kind is CodeKind.VARIABLE_PRICE
    assert scan.price_minor == 1299
    key = "210000300000"
    assert scan.gtin == (key + str(gs1_check_digit(key))).zfill(14)


def test_layout_without_price_prefixes_treats_20s_as_plain_codes() -> None:
    layout = VariableMeasureLayout(prefixes=frozenset())
    body = "210000301299"
    scan = parse(body + str(gs1_check_digit(body)), layout)
    assert scan.kind is CodeKind.EAN13
    assert scan.price_minor is None


@given(st.text(max_size=300))
def test_parse_never_raises(text: str) -> None:
    scan = parse(text)
    assert scan.valid or scan.error


@given(st.from_regex(r"[0-9]{12}", fullmatch=True))
def test_any_single_digit_error_is_caught(payload: str) -> None:
    """The GS1 check digit catches every single-digit substitution."""
    code = payload + str(gs1_check_digit(payload))
    for pos in range(13):
        for digit in "0123456789":
            if digit != code[pos]:
                bad = code[:pos] + digit + code[pos + 1 :]
                assert not parse(bad).valid or parse(bad).gtin != code.zfill(14)
