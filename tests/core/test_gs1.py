"""GS1 element strings (GS1-128, DataBar, DataMatrix, QR): AIs 01, 310n, 392n, 17, and dates."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.core import gs1
from appliance.core.barcodes import CodeKind, ScanRules, is_expired, parse
from appliance.core.gs1 import grams_from_kg, minor_from_amount, resolve_gs1_date

GS = gs1.GROUP_SEPARATOR
GTIN = "09501101530003"  # GS1's example GTIN (prefix 950 = GS1 Global Office), as in biip


@pytest.mark.parametrize(
    ("text", "weight_g", "price_minor", "expiry"),
    [
        # AI 01 alone, printed form (GS1 General Specifications HRI, §4.15)
        (f"(01){GTIN}", None, None, None),
        # GS1-128 variable-measure label: net weight 0.525 kg (3103), expiry 31 Dec 2026 (17)
        (f"(01){GTIN}(3103)000525(17)261231", 525, None, "261231"),
        # the same as a GS1-128 scanner sends it: AIM ]C1, FNC1 as GS after variable-length AI 10
        (f"]C101{GTIN}310300052510ABC123{GS}17261231", 525, None, "261231"),
        # GS1 DataBar Expanded (]e0) with an amount payable 4.99 (3922)
        (f"]e001{GTIN}3922499", None, 499, None),
        # GS1 DataMatrix (]d2) and GS1 QR (]Q3) carry the same element strings
        (f"]d201{GTIN}17270630{GS}10LOT7", None, None, "270630"),
        (f"]Q301{GTIN}3102001250", 12500, None, None),
        # a scanner without AIM identifiers: digits alone, or a leading GS for FNC1
        (f"01{GTIN}3103000525", 525, None, None),
        (f"{GS}01{GTIN}3923012990", None, 1299, None),
        # other AIs (15 best before, 21 serial, 11 production date) are tolerated, ignored
        (f"(01){GTIN}(11)250101(15)261231(21)XYZ", None, None, None),
    ],
)
def test_element_strings_give_gtin_weight_price_expiry(
    text: str, weight_g: int | None, price_minor: int | None, expiry: str | None
) -> None:
    scan = parse(text)
    assert scan.valid, scan.error
    assert scan.kind is CodeKind.GS1
    assert (scan.gtin, scan.weight_g, scan.price_minor, scan.expiry_yymmdd) == (
        GTIN,
        weight_g,
        price_minor,
        expiry,
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("(17)261231", "no GTIN"),  # an expiry with nothing to sell
        ("(10)ABC123(3103)000525", "no GTIN"),
        ("(01)09501101530004", "check digit"),  # GTIN misread by one digit
        (f"(01){GTIN}(01)00614141999996", "two different GTINs"),
        (f"(01){GTIN}(3103)000525(3102)000600", "two different weights"),
        (f"(01){GTIN}(17)250229", "not a date"),  # 2025 has no 29 February
        (f"(01){GTIN}(17)251300", "GS1"),  # month 13: biip's AI pattern refuses it
        (f"(01){GTIN}(3923)012995", "more decimals"),  # 12.995 in a 2-decimal currency
        ("(01", "GS1"),
        ("(01)", "GS1"),
        ("(0x)123", "GS1"),
        (f"]C1{GS}", "GS1"),
        ("]C1", "GS1"),
        ("]d2hello", "GS1"),
    ],
)
def test_bad_element_strings_are_refused(text: str, reason: str) -> None:
    scan = parse(text)
    assert not scan.valid
    assert reason in scan.error


@pytest.mark.parametrize(
    ("ai", "value", "grams"),
    [
        ("3100", "000001", 1000),  # 1 kg
        ("3101", "000525", 52500),  # 52.5 kg
        ("3103", "000525", 525),  # 0.525 kg
        ("3104", "000525", 53),  # 0.0525 kg = 52.5 g → 53 g, half up
        ("3105", "000525", 5),  # 0.00525 kg = 5.25 g → 5 g
        ("3105", "000550", 6),  # 5.5 g → 6 g
    ],
)
def test_net_weight_310n_in_grams(ai: str, value: str, grams: int) -> None:
    scan = parse(f"01{GTIN}{ai}{value}")
    assert scan.weight_g == grams


@pytest.mark.parametrize(
    ("minor_digits", "ai", "value", "price"),
    [
        (2, "3920", "12", 1200),  # 12 zł
        (2, "3921", "129", 1290),  # 12.9
        (2, "3922", "1299", 1299),  # 12.99
        (2, "3923", "12990", 1299),  # 12.990: the trailing zero costs nothing
        (0, "3920", "500", 500),  # 500 yen
        (0, "3922", "50000", 500),  # 500.00 yen
        (3, "3922", "1299", 12990),  # a 3-decimal currency (KWD, BHD)
    ],
)
def test_amount_payable_392n_in_minor_units(
    minor_digits: int, ai: str, value: str, price: int
) -> None:
    scan = parse(f"01{GTIN}{ai}{value}", ScanRules(minor_digits=minor_digits))
    assert scan.valid, scan.error
    assert scan.price_minor == price


def test_amount_finer_than_the_currency_is_refused() -> None:
    """GIVEN a yen store WHEN a label asks 500.50 THEN refused, never rounded to 500 or 501."""
    scan = parse(f"01{GTIN}392250050", ScanRules(minor_digits=0))
    assert not scan.valid
    assert "decimals" in scan.error


# -- dates: GS1 General Specifications §7.12 -------------------------------------------------


@pytest.mark.parametrize(
    ("yymmdd", "today", "date"),
    [
        ("261231", dt.date(2026, 5, 1), dt.date(2026, 12, 31)),
        ("760101", dt.date(2026, 5, 1), dt.date(2076, 1, 1)),  # 50 years ahead: still ahead
        ("770101", dt.date(2026, 5, 1), dt.date(1977, 1, 1)),  # 51 ahead is 49 back
        ("000101", dt.date(1999, 6, 1), dt.date(2000, 1, 1)),  # across the century, forward
        ("990101", dt.date(2000, 6, 1), dt.date(1999, 1, 1)),  # and backward
        ("260200", dt.date(2026, 5, 1), dt.date(2026, 2, 28)),  # day 00 = last day of month
        ("240200", dt.date(2026, 5, 1), dt.date(2024, 2, 29)),  # a leap year's February
        ("261100", dt.date(2026, 5, 1), dt.date(2026, 11, 30)),
    ],
)
def test_resolve_gs1_date(yymmdd: str, today: dt.date, date: dt.date) -> None:
    assert resolve_gs1_date(yymmdd, today) == date


@pytest.mark.parametrize(
    ("yymmdd", "today"),
    [
        ("261301", dt.date(2026, 1, 1)),  # month 13
        ("260001", dt.date(2026, 1, 1)),  # month 00
        ("260230", dt.date(2026, 1, 1)),
        ("000229", dt.date(2060, 1, 1)),  # 00 is 2100 from 2051 on: not a leap year
        ("2612", dt.date(2026, 1, 1)),
        ("26l231", dt.date(2026, 1, 1)),
    ],
)
def test_resolve_gs1_date_refuses_what_is_not_a_date(yymmdd: str, today: dt.date) -> None:
    with pytest.raises(ValueError):
        resolve_gs1_date(yymmdd, today)


@given(
    st.integers(0, 99),
    st.integers(1, 12),
    st.integers(0, 28),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2300, 12, 31)),
)
def test_resolved_year_is_within_49_back_and_50_ahead(
    yy: int, month: int, day: int, today: dt.date
) -> None:
    date = resolve_gs1_date(f"{yy:02d}{month:02d}{day:02d}", today)
    assert today.year - 49 <= date.year <= today.year + 50
    assert date.year % 100 == yy
    assert date.month == month


@given(st.dates(min_value=dt.date(1960, 1, 1), max_value=dt.date(2200, 12, 31)), st.data())
def test_expired_exactly_when_today_is_after_the_date(expiry: dt.date, data: st.DataObject) -> None:
    """An item may be sold on its expiry date and is refused from the day after."""
    today = data.draw(
        st.dates(
            min_value=max(dt.date(1900, 1, 1), expiry - dt.timedelta(days=3650)),
            max_value=min(dt.date(2300, 1, 1), expiry + dt.timedelta(days=3650)),
        )
    )
    scan = parse(f"01{GTIN}17{expiry:%y%m%d}")
    assert scan.valid, scan.error
    assert is_expired(scan, today) is (today > expiry)


# -- unit conversions -------------------------------------------------------------------------


@given(st.integers(0, 999_999), st.integers(0, 9))
def test_grams_round_half_up_like_decimal(value: int, decimals: int) -> None:
    expected = (Decimal(value).scaleb(3 - decimals)).quantize(Decimal(1), ROUND_HALF_UP)
    assert grams_from_kg(value, decimals) == expected


@given(st.integers(0, 10**15 - 1), st.integers(0, 9), st.integers(0, 4))
def test_amounts_convert_exactly_or_not_at_all(value: int, decimals: int, minor: int) -> None:
    amount = Decimal(value).scaleb(-decimals)
    converted = minor_from_amount(value, decimals, minor)
    if converted is None:
        assert amount.scaleb(minor) != amount.scaleb(minor).to_integral_value()
    else:
        assert Decimal(converted).scaleb(-minor) == amount


def test_read_is_the_same_whatever_the_date() -> None:
    """The core reads no clock: the raw expiry comes back as printed, never as a date."""
    found = gs1.read(f"01{GTIN}17991231", minor_digits=2)
    assert found.expiry_yymmdd == "991231" and not found.error
