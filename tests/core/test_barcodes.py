"""Barcodes as scanners deliver them: real codes, check digits, UPC-E, scale labels, garbage."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from biip import ParseConfig
from biip.gtin import Gtin
from biip.rcn import Rcn, RcnRegion
from biip.upc import Upc
from hypothesis import given
from hypothesis import strategies as st
from stdnum import ean, isbn, issn

from appliance.core.barcodes import (
    DENMARK,
    FINLAND,
    GERMANY,
    GREAT_BRITAIN,
    MAX_SCAN_LENGTH,
    NORWAY,
    PLAIN,
    POLAND,
    PRESETS,
    SWEDEN,
    CodeKind,
    Measure,
    Scan,
    ScanRules,
    VariableMeasureLayout,
    expiry_notice,
    gs1_check_digit,
    is_expired,
    parse,
    price_check_digit,
    upce_to_upca,
)

ROOT = Path(__file__).resolve().parents[2]


def _with_check(body: str) -> str:
    return body + str(gs1_check_digit(body))


def _label(prefix_and_item: str, value: str, check_digit: bool = False) -> str:
    """A scale label as the scale prints it: item, [price check digit], value, GTIN check."""
    check = str(price_check_digit(value)) if check_digit else ""
    return _with_check(prefix_and_item + check + value)


@pytest.mark.parametrize(
    ("text", "kind", "gtin"),
    [
        # GS1 General Specifications figure examples and real retail codes
        ("5901234123457", CodeKind.EAN13, "05901234123457"),  # GS1 Poland sample
        ("4006381333931", CodeKind.EAN13, "04006381333931"),  # Stabilo pen (DE)
        ("9780306406157", CodeKind.ISBN, "09780306406157"),  # ISBN 978-0-306-40615-7
        ("96385074", CodeKind.EAN8, "00000096385074"),  # GS1 EAN-8 example
        ("036000291452", CodeKind.UPCA, "00036000291452"),  # UPC-A (Kleenex)
        ("00614141999996", CodeKind.GTIN14, "00614141999996"),  # GS1 GTIN-14 example
        ("09501101530003", CodeKind.GTIN14, "09501101530003"),  # GS1 example GTIN (950 = GS1)
        ("04252614", CodeKind.UPCE, "00042100005264"),  # UPC-E → 042100005264 (biip upc.py)
        ("01234565", CodeKind.UPCE, "00012345000065"),  # UPC-E last digit 5 → 012345000065
        (" 5901234123457\n", CodeKind.EAN13, "05901234123457"),  # scanner whitespace
        ("5901234123457\r\n", CodeKind.EAN13, "05901234123457"),  # CR/LF suffix
        # AIM symbology identifiers (ISO/IEC 15424): ]E0 EAN/UPC, ]E4 EAN-8, ]I1 ITF-14
        ("]E09781492053743", CodeKind.ISBN, "09781492053743"),  # biip's README example
        ("]E05901234123457", CodeKind.EAN13, "05901234123457"),
        ("]E004252614", CodeKind.UPCE, "00042100005264"),
        ("]E496385074", CodeKind.EAN8, "00000096385074"),
        ("]I100614141999996", CodeKind.GTIN14, "00614141999996"),
        # ISSN: The Economist 0013-0613 → 977 0013061 00 8 (stdnum.issn.to_ean)
        ("9770013061008", CodeKind.ISSN, "09770013061008"),
    ],
)
def test_valid_codes_normalise_to_gtin14(text: str, kind: CodeKind, gtin: str) -> None:
    scan = parse(text)
    assert scan.valid, scan.error
    assert scan.kind is kind
    assert scan.gtin == gtin


def test_real_isbn_and_issn_agree_with_stdnum() -> None:
    """GIVEN an ISBN-10 and an ISSN as printed WHEN stdnum makes their EAN-13 THEN we read it."""
    book = isbn.to_isbn13("0-306-40615-2").replace("-", "")
    assert parse(book).kind is CodeKind.ISBN
    magazine = issn.to_ean("0013-0613")
    assert magazine == "9770013061008" and ean.is_valid(magazine)
    assert parse(magazine).kind is CodeKind.ISSN


@pytest.mark.parametrize(
    ("text", "addon"),
    [
        ("977001306100805", "05"),  # The Economist, EAN-2 issue add-on as scanners append it
        ("977001306100812345", "12345"),  # the same with an EAN-5 add-on
        ("]E3977001306100805", "05"),  # ]E3: EAN-13 with add-on, said by the scanner
        ("978030640615790000", "90000"),  # ISBN with the "no suggested price" EAN-5 add-on
    ],
)
def test_addon_is_kept_apart_from_the_gtin(text: str, addon: str) -> None:
    """GIVEN a periodical or book with an add-on WHEN parsed THEN the GTIN is the main code."""
    scan = parse(text)
    assert scan.valid, scan.error
    assert scan.kind in (CodeKind.ISSN, CodeKind.ISBN)
    assert scan.gtin == "0" + text.removeprefix("]E3")[:13]
    assert scan.addon == addon


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


@given(st.from_regex(r"[01][0-9]{6}", fullmatch=True))
def test_upce_expansion_matches_biip(payload: str) -> None:
    """Our UPC-E table and biip's (GS1 GenSpecs §5.2.2.4.2) expand every code alike."""
    check = gs1_check_digit(upce_to_upca(payload + "0")[:-1])
    code = payload + str(check)
    assert upce_to_upca(code) == Upc.parse(code).as_upc_a()
    assert parse(code).gtin == upce_to_upca(code).zfill(14)


@pytest.mark.parametrize(
    ("payload", "check"),
    [("950110153100", 0), ("9501234", 6), ("590123412345", 7)],  # research §3.1, GS1 Poland
)
def test_gs1_check_digit_examples(payload: str, check: int) -> None:
    assert gs1_check_digit(payload) == check


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("5901234123458", "check digit"),  # one digit off: a misread
        ("590123412345", "check digit"),  # a dropped digit reads as a bad UPC-A
        ("", "empty"),
        ("  \r\n", "empty"),
        ("abc", "digits only"),
        ("590123\x00123457", "digits only"),
        ("590123\x1b123457", "control character 0x1b"),  # ESC from a confused keyboard wedge
        ("5901234123457\x7f", "control character 0x7f"),
        ("\t5901234123457", "control character 0x09"),  # only a trailing CR/LF is forgiven
        ("\n5901234123457", "control character 0x0a"),
        ("1" * 10_000, "too long"),
        ("1" * (MAX_SCAN_LENGTH + 1), "too long"),
        ("12345", "length"),
        ("2999", "length"),  # below the IFPS PLU range
        ("1234567", "length"),
        ("١٢٣٤٥٦٧٨٩٠١٢٣", "digits only"),  # Arabic-Indic digits are not scanner output
        ("５９０１２３４１２３４５７", "non-ASCII"),  # full-width digits from an IME
        ("5901234\x1d123457", "GS1"),  # a GS outside a GS1 element string
        ("]", "symbology"),
        ("]C0ABC-123", "symbology ]C0"),  # Code 128 without FNC1: not a retail code
        ("]E0123", "length"),
        ("]E401234567", "check digit"),  # ]E4 says EAN-8: no UPC-E guess
        ("0109501101530004", "check digit"),  # GS1 digits without ]C1, GTIN misread
        ("12345678901234567890", "length"),
    ],
)
def test_bad_scans_are_rejected_with_a_reason(text: str, reason: str) -> None:
    scan = parse(text)
    assert not scan.valid
    assert scan.kind is CodeKind.INVALID
    assert reason in scan.error
    assert len(scan.text) <= MAX_SCAN_LENGTH


# -- produce PLUs (IFPS; research §1.13: 3000-4999, organic = 9 + PLU) -----------------------


@pytest.mark.parametrize(
    ("text", "plu", "organic"),
    [
        ("4011", "4011", False),  # bananas (IFPS)
        ("94011", "4011", True),  # organic bananas
        ("3000", "3000", False),  # first IFPS PLU
        ("4999", "4999", False),  # last IFPS PLU
        ("83000", "83000", False),  # 5-digit range assigned after the 4-digit one filled up
    ],
)
def test_plu_has_no_gtin_and_keeps_its_code(text: str, plu: str, organic: bool) -> None:
    scan = parse(text)
    assert scan.valid, scan.error
    assert (scan.kind, scan.gtin, scan.plu, scan.organic) == (CodeKind.PLU, "", plu, organic)


@pytest.mark.parametrize("text", ["0000", "5000", "9999", "92999", "95000", "80000", "85000"])
def test_numbers_outside_the_plu_ranges_are_refused(text: str) -> None:
    assert not parse(text).valid


# -- restricted-circulation numbers: the price or weight on a scale label --------------------


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


def test_plain_preset_reads_every_2x_code_whole() -> None:
    label = _with_check("210000301299")
    scan = parse(label, PLAIN)
    assert (scan.kind, scan.gtin, scan.price_minor) == (CodeKind.EAN13, "0" + label, None)


# Labels built per each country's documented layout (sources in barcodes.py's preset comments).
@pytest.mark.parametrize(
    ("rules", "label", "kind", "price_minor", "weight_g", "key"),
    [
        # Poland 24 price: 24 12345 01299 → 12.99 PLN
        (POLAND, _label("2412345", "01299"), "variable-price", 1299, None, "2412345000000"),
        # Poland 29 weight: 29 12345 00525 → 0.525 kg
        (POLAND, _label("2912345", "00525"), "variable-weight", None, 525, "2912345000000"),
        # Germany 22 price: 22 1234 C 01299 (5-digit price check digit)
        (GERMANY, _label("221234", "01299", True), "variable-price", 1299, None, "2212340000000"),
        # Germany 28 weight: 28 1234 C 01250 → 1.250 kg
        (GERMANY, _label("281234", "01250", True), "variable-weight", None, 1250, "2812340000000"),
        # Great Britain 20 price: 20 12345 C 0199 (4-digit price check digit) → £1.99
        (GREAT_BRITAIN, _label("2012345", "0199", True), "variable-price", 199, None, None),
        # Sweden: 20 price 2 dp, 21 price 1 dp, 22 price 0 dp, 23/24/25 weight 3/2/1 dp
        (SWEDEN, _label("20123456", "2995"), "variable-price", 2995, None, "2012345600000"),
        (SWEDEN, _label("21123456", "2995"), "variable-price", 29950, None, None),
        (SWEDEN, _label("22123456", "0299"), "variable-price", 29900, None, None),
        (SWEDEN, _label("23123456", "0525"), "variable-weight", None, 525, None),
        (SWEDEN, _label("24123456", "0525"), "variable-weight", None, 5250, None),
        (SWEDEN, _label("25123456", "0525"), "variable-weight", None, 52500, None),
        (NORWAY, _label("20123456", "2995"), "variable-price", 2995, None, None),
        # Denmark: 21 price PP IIII VVVVVV; 27 weight PP IIIII VVVVV
        (DENMARK, _label("211234", "001299"), "variable-price", 1299, None, "2112340000000"),
        (DENMARK, _label("2712345", "00525"), "variable-weight", None, 525, "2712345000000"),
        # Finland: 23 weight 3 dp
        (FINLAND, _label("23123456", "1234"), "variable-weight", None, 1234, None),
    ],
)
def test_national_scale_labels(
    rules: ScanRules,
    label: str,
    kind: str,
    price_minor: int | None,
    weight_g: int | None,
    key: str | None,
) -> None:
    scan = parse(label, rules)
    assert scan.valid, scan.error
    assert (scan.kind.value, scan.price_minor, scan.weight_g) == (kind, price_minor, weight_g)
    if key is not None:
        assert scan.gtin == "0" + _with_check(key[:12])


def test_upca_with_prefix_2_reads_as_rcn_02() -> None:
    """GIVEN a US-style random-weight UPC-A `2 IIIII C PPPP K` and a layout for 02
    WHEN parsed THEN the price comes from the label and the key has it zeroed."""
    rules = ScanRules(layouts=(VariableMeasureLayout(frozenset({"02"}), 5, 4, check_digit=True),))
    upca = _label("0212345", "0199", True)[1:]  # RCN-12 prefix 2 == RCN-13 prefix 02
    assert len(upca) == 12
    scan = parse(upca, rules)
    assert (scan.kind, scan.price_minor) == (CodeKind.VARIABLE_PRICE, 199)
    assert scan.gtin == "0" + _with_check("021234500000")


def test_wrong_price_check_digit_is_a_misread() -> None:
    """GIVEN a German label whose price check digit is wrong but GTIN check digit right
    WHEN parsed THEN it is refused: the price cannot be trusted."""
    good = _label("221234", "01299", True)
    bad = _with_check(good[:6] + str((int(good[6]) + 1) % 10) + good[7:12])
    scan = parse(bad, GERMANY)
    assert not scan.valid
    assert "price check digit" in scan.error


@pytest.mark.parametrize(("value", "check"), [("2875", 9), ("14685", 6)])
def test_price_check_digit_examples(value: str, check: int) -> None:
    """GS1 General Specifications §7.9.3 (4 digits) and §7.9.4 (5 digits), as in biip."""
    assert price_check_digit(value) == check


def test_a_price_finer_than_the_currency_is_refused() -> None:
    """GIVEN a yen store (0 minor digits) and a label price in hundredths WHEN parsed THEN
    a price with cents is refused rather than rounded; whole yen are fine."""
    yen = ScanRules(minor_digits=0, layouts=(VariableMeasureLayout(),))
    assert not parse(_label("2100003", "01299"), yen).valid
    assert parse(_label("2100003", "01200"), yen).price_minor == 12


@pytest.mark.parametrize(
    "build",
    [
        lambda: VariableMeasureLayout(item_digits=6),  # 2 + 6 + 5 ≠ 12
        lambda: VariableMeasureLayout(prefixes=frozenset({"59"})),  # a real GS1 prefix (Poland)
        lambda: VariableMeasureLayout(item_digits=3, value_digits=6, check_digit=True),
        lambda: VariableMeasureLayout(decimals=6),
        lambda: ScanRules(minor_digits=5),
        lambda: ScanRules(layouts=(VariableMeasureLayout(), VariableMeasureLayout())),
    ],
)
def test_impossible_layouts_are_refused_at_config_time(build: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        build()


def test_presets_are_named_by_country() -> None:
    assert PRESETS["pl"] is POLAND and PRESETS["de"] is GERMANY and PRESETS["gb"] is GREAT_BRITAIN
    assert {"se", "no", "dk", "fi", "plain", "default"} <= PRESETS.keys()


_BIIP_REGIONS = [
    (GERMANY, RcnRegion.GERMANY),
    (GREAT_BRITAIN, RcnRegion.GREAT_BRITAIN),
    (SWEDEN, RcnRegion.SWEDEN),
    (NORWAY, RcnRegion.NORWAY),
    (DENMARK, RcnRegion.DENMARK),
    (FINLAND, RcnRegion.FINLAND),
    (FINLAND, RcnRegion.LATVIA),
]


@given(
    st.sampled_from(_BIIP_REGIONS),
    st.data(),
)
def test_presets_read_labels_as_biip_does(
    pair: tuple[ScanRules, RcnRegion], data: st.DataObject
) -> None:
    """Every preset that copies a biip region reads any label of it as biip does:
    the same price or weight and the same zeroed lookup key."""
    rules, region = pair
    layout = data.draw(st.sampled_from(rules.layouts))
    prefix = data.draw(st.sampled_from(sorted(layout.prefixes)))
    item = data.draw(st.from_regex(rf"[0-9]{{{layout.item_digits}}}", fullmatch=True))
    value = data.draw(st.from_regex(rf"[0-9]{{{layout.value_digits}}}", fullmatch=True))
    label = _label(prefix + item, value, layout.check_digit)
    ours = parse(label, rules)
    theirs = Gtin.parse(label, config=ParseConfig(rcn_region=region))
    assert isinstance(theirs, Rcn)
    assert ours.valid, ours.error
    assert ours.gtin == theirs.without_variable_measure().as_gtin_14()
    if layout.measure is Measure.PRICE:
        assert theirs.price is not None and ours.price_minor == theirs.price * 100
    else:
        assert theirs.weight is not None and ours.weight_g == theirs.weight * 1000


@given(
    st.sampled_from([GERMANY, GREAT_BRITAIN]),
    st.data(),
)
def test_price_check_digit_catches_any_single_digit_error_in_the_value(
    rules: ScanRules, data: st.DataObject
) -> None:
    """A label whose value lost one digit (and whose GTIN check digit was reprinted to
    match, so only the price check digit can tell) is refused."""
    layout = data.draw(st.sampled_from(rules.layouts))
    prefix = data.draw(st.sampled_from(sorted(layout.prefixes)))
    item = data.draw(st.from_regex(rf"[0-9]{{{layout.item_digits}}}", fullmatch=True))
    value = data.draw(st.from_regex(rf"[0-9]{{{layout.value_digits}}}", fullmatch=True))
    good = _label(prefix + item, value, True)
    at = data.draw(st.integers(0, layout.value_digits - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != value[at]]))
    wrong = value[:at] + digit + value[at + 1 :]
    bad = _with_check(good[: 12 - layout.value_digits] + wrong)
    scan = parse(bad, rules)
    assert not scan.valid
    assert "check digit" in scan.error


# -- expiry -----------------------------------------------------------------------------------


def _expiring(yymmdd: str) -> Scan:
    return Scan("", True, CodeKind.GS1, gtin="09501101530003", expiry_yymmdd=yymmdd)


@pytest.mark.parametrize(
    ("yymmdd", "today", "expired"),
    [
        ("261231", dt.date(2026, 12, 31), False),  # on its date it may still be sold
        ("261231", dt.date(2027, 1, 1), True),  # the day after, not
        ("260200", dt.date(2026, 2, 28), False),  # day 00: the end of February
        ("260200", dt.date(2026, 3, 1), True),
        ("991231", dt.date(2026, 1, 1), True),  # 99 is 1999, not 2099 (§7.12)
    ],
)
def test_expiry_against_today(yymmdd: str, today: dt.date, expired: bool) -> None:
    scan = _expiring(yymmdd)
    assert is_expired(scan, today) is expired
    assert bool(expiry_notice(scan, today)) is expired


def test_expired_notice_names_the_date() -> None:
    notice = expiry_notice(_expiring("250131"), dt.date(2026, 1, 1))
    assert "2025-01-31" in notice and "cannot be sold" in notice


def test_a_scan_without_expiry_never_expires() -> None:
    assert not is_expired(parse("5901234123457"), dt.date(2999, 1, 1))


# -- properties --------------------------------------------------------------------------------


def _assert_well_formed(text: str, scan: Scan) -> None:
    assert len(scan.text) <= MAX_SCAN_LENGTH
    if scan.valid:
        assert not scan.error
        assert (len(scan.gtin) == 14 and scan.gtin.isdigit()) or scan.plu
    else:
        assert scan.error and scan.kind is CodeKind.INVALID and not scan.gtin


@given(st.text(max_size=300))
def test_parse_never_raises(text: str) -> None:
    _assert_well_formed(text, parse(text))


@given(st.binary(max_size=200))
def test_parse_never_raises_on_bytes_off_the_wire(raw: bytes) -> None:
    text = raw.decode("utf-8", errors="replace")
    _assert_well_formed(text, parse(text))


@given(st.text(alphabet=st.characters(codec="ascii", categories=["Cc", "Nd"]), max_size=60))
def test_parse_never_raises_on_control_characters(text: str) -> None:
    _assert_well_formed(text, parse(text))


_GS1ISH = st.text(alphabet="0123456789()]CdeQE134\x1dABX-", max_size=80)


@given(st.sampled_from(["", "]C1", "]e0", "]d2", "]Q3", "(", "01", "\x1d"]), _GS1ISH)
def test_parse_never_raises_on_near_gs1_text(start: str, rest: str) -> None:
    text = start + rest
    _assert_well_formed(text, parse(text))


@given(st.from_regex(r"[0-9]{12}", fullmatch=True))
def test_every_valid_ean13_round_trips_to_its_gtin(payload: str) -> None:
    code = _with_check(payload)
    scan = parse(code, PLAIN)
    assert scan.valid, scan.error
    assert scan.gtin == "0" + code
    assert ean.is_valid(code)


@given(st.from_regex(r"[0-9]{12}", fullmatch=True))
def test_any_single_digit_error_is_caught(payload: str) -> None:
    """The GS1 check digit catches every single-digit substitution."""
    code = payload + str(gs1_check_digit(payload))
    for pos in range(13):
        for digit in "0123456789":
            if digit != code[pos]:
                bad = code[:pos] + digit + code[pos + 1 :]
                assert not parse(bad).valid or parse(bad).gtin != code.zfill(14)


@given(st.from_regex(r"[0-9]{12}", fullmatch=True), st.integers(0, 12), st.integers(1, 9))
def test_a_substituted_ean13_digit_is_refused(payload: str, pos: int, shift: int) -> None:
    code = _with_check(payload)
    bad = code[:pos] + str((int(code[pos]) + shift) % 10) + code[pos + 1 :]
    assert not parse(bad, PLAIN).valid


@given(st.integers(0, 10**5 - 1), st.integers(0, 3))
def test_weights_scale_to_grams_like_decimal(value: int, decimals: int) -> None:
    layout = VariableMeasureLayout(frozenset({"29"}), 5, 5, Measure.WEIGHT, decimals)
    scan = parse(_label("2912345", f"{value:05d}"), ScanRules(layouts=(layout,)))
    assert scan.weight_g == Decimal(value).scaleb(3 - decimals)


# -- the `kiosk barcode` command ---------------------------------------------------------------


def _kiosk_barcode(code: str | bytes) -> tuple[int, dict[str, object], str]:
    run = subprocess.run(
        [sys.executable.encode(), b"-m", b"appliance", b"barcode", os.fsencode(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    lines = run.stdout.splitlines()
    assert len(lines) == 1, run.stdout + run.stderr
    out = json.loads(lines[0])
    assert isinstance(out, dict)
    return run.returncode, out, run.stderr


@pytest.mark.parametrize(
    ("code", "rc", "expected"),
    [
        ("5901234123457", 0, {"valid": True, "kind": "ean13", "gtin": "05901234123457"}),
        ("2100003012999", 0, {"kind": "variable-price", "price_minor": 1299}),
        (
            "(01)09501101530003(3103)000525(17)491231",
            0,
            {"kind": "gs1", "weight_g": 525, "expiry": "2049-12-31", "expired": False},
        ),
        ("(01)09501101530003(17)200131", 0, {"expiry": "2020-01-31", "expired": True}),
        ("94011", 0, {"kind": "plu", "gtin": "", "plu": "4011"}),
        ("977001306100805", 0, {"kind": "issn", "addon": "05"}),
        ("5901234123458", 1, {"valid": False, "kind": "invalid", "gtin": ""}),
        ("garbage!", 1, {"valid": False}),
        ("590\x01\x1b[31m\x7f", 1, {"valid": False}),
        ("\t\n\r", 1, {"valid": False}),
        ("7" * 10_000, 1, {"valid": False}),
        ("żółw 🐢", 1, {"valid": False}),
    ],
)
def test_kiosk_barcode_prints_one_json_object(
    code: str, rc: int, expected: dict[str, object]
) -> None:
    """GIVEN any argument WHEN `kiosk barcode` runs THEN stdout is one JSON object, the exit
    code says valid (0) or not (1), and nothing lands on stderr (no traceback)."""
    returncode, out, stderr = _kiosk_barcode(code)
    assert returncode == rc
    assert {k: out[k] for k in expected} == expected
    assert {"valid", "kind", "gtin"} <= out.keys()
    assert ("error" in out) is (rc == 1)
    assert stderr == ""


def test_kiosk_barcode_survives_bytes_that_are_not_utf8() -> None:
    """GIVEN an argument that is not UTF-8 (a keyboard wedge in the wrong code page)
    WHEN `kiosk barcode` runs THEN it still prints one ASCII JSON object and exits 1."""
    returncode, out, stderr = _kiosk_barcode(b"\xff\xfe4006381333931")
    assert (returncode, out["valid"], stderr) == (1, False, "")
    assert "non-ASCII" in str(out["error"])
