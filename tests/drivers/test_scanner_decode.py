"""Key events of a keyboard-wedge scanner → barcode text, fed as real evdev.InputEvent streams.

A USB HID scanner reaches evdev through the kernel's hid-input driver: for every key it
sends EV_MSC/MSC_SCAN (the HID usage), EV_KEY (down 1, up 0) and EV_SYN/SYN_REPORT. The
literal stream below is written the way the kernel delivers it; the others are built with
keymaps.encode, one key every 2 ms, as a scanner types.
"""

from __future__ import annotations

import pytest
from biip.symbology import GS1Symbology
from evdev import InputEvent, ecodes
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.core import barcodes
from drivers import keymaps
from drivers.keymaps import KEY, encode, printable
from drivers.scanner_decode import (
    GS1_SYMBOLOGIES,
    NOT_READ,
    DecodedScan,
    Rejected,
    Result,
    ScanDecoder,
    barcode_text,
)

EAN = "5901234123457"
GS = "\x1d"
ENTER = [(KEY["ENTER"], 1), (KEY["ENTER"], 0)]
TAB = [(KEY["TAB"], 1), (KEY["TAB"], 0)]
SHIFT, ALTGR, CTRL, ALT = KEY["LEFTSHIFT"], KEY["RIGHTALT"], KEY["LEFTCTRL"], KEY["LEFTALT"]
Presses = list[tuple[int, int]]


def stream(presses: Presses, start_s: float = 100.0, step_s: float = 0.002) -> list[InputEvent]:
    """Key presses as the kernel delivers them: EV_KEY then SYN_REPORT, `step_s` apart."""
    out = []
    for i, (code, value) in enumerate(presses):
        t = start_s + i * step_s
        sec, usec = int(t), round((t - int(t)) * 1_000_000)
        out.append(InputEvent(sec, usec, ecodes.EV_KEY, code, value))
        out.append(InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0))
    return out


def tap(*names: str) -> Presses:
    return [p for name in names for p in ((KEY[name], 1), (KEY[name], 0))]


def held(modifier: int, presses: Presses) -> Presses:
    return [(modifier, 1), *presses, (modifier, 0)]


def decode(presses: Presses, **options: object) -> list[Result]:
    return ScanDecoder(**options).feed_events(stream(presses))  # type: ignore[arg-type]


def one_scan(presses: Presses, **options: object) -> DecodedScan:
    results = decode(presses, **options)
    assert len(results) == 1 and isinstance(results[0], DecodedScan), results
    return results[0]


def one_rejection(presses: Presses, **options: object) -> Rejected:
    results = decode(presses, **options)
    assert len(results) == 1 and isinstance(results[0], Rejected), results
    return results[0]


# "590" then Enter from a US-programmed HID scanner (usage 0x07_0022 is '5', 0x07_0028 Enter)
HID_STREAM = [
    InputEvent(1700000000, 100000, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70022),
    InputEvent(1700000000, 100000, ecodes.EV_KEY, ecodes.KEY_5, 1),
    InputEvent(1700000000, 100000, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
    InputEvent(1700000000, 101000, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70022),
    InputEvent(1700000000, 101000, ecodes.EV_KEY, ecodes.KEY_5, 0),
    InputEvent(1700000000, 101000, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
    InputEvent(1700000000, 102000, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70026),
    InputEvent(1700000000, 102000, ecodes.EV_KEY, ecodes.KEY_9, 1),
    InputEvent(1700000000, 102000, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
    InputEvent(1700000000, 103000, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70026),
    InputEvent(1700000000, 103000, ecodes.EV_KEY, ecodes.KEY_9, 0),
    InputEvent(1700000000, 103000, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
    InputEvent(1700000000, 104000, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70027),
    InputEvent(1700000000, 104000, ecodes.EV_KEY, ecodes.KEY_0, 1),
    InputEvent(1700000000, 104000, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
    InputEvent(1700000000, 105000, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70027),
    InputEvent(1700000000, 105000, ecodes.EV_KEY, ecodes.KEY_0, 0),
    InputEvent(1700000000, 105000, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
    InputEvent(1700000000, 106000, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70028),
    InputEvent(1700000000, 106000, ecodes.EV_KEY, ecodes.KEY_ENTER, 1),
    InputEvent(1700000000, 106000, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
    InputEvent(1700000000, 107000, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70028),
    InputEvent(1700000000, 107000, ecodes.EV_KEY, ecodes.KEY_ENTER, 0),
    InputEvent(1700000000, 107000, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
]


def test_a_hid_stream_decodes_at_enter_with_its_kernel_timestamp() -> None:
    [scan] = ScanDecoder("us").feed_events(HID_STREAM)
    assert scan == DecodedScan("590", "", pytest.approx(1700000000.106))


# --- an EAN-13 on every layout -------------------------------------------------------------


@pytest.mark.parametrize("layout", ["us", "de", "pl"])
def test_an_ean13_typed_on_a_qwerty_or_qwertz_layout_is_read(layout: str) -> None:
    """GIVEN a scanner set to the layout WHEN it types unshifted digit keys THEN the EAN."""
    scan = one_scan(tap(*EAN) + ENTER, layout=layout)
    assert scan.text == EAN and barcodes.parse(scan.text).valid


def test_a_french_scanner_holds_shift_for_every_digit() -> None:
    """AZERTY: the digits are the shifted level of the top row."""
    presses = [p for d in EAN for p in held(SHIFT, tap(d))] + ENTER
    assert encode(EAN, "fr") == [p for d in EAN for p in held(SHIFT, tap(d))]
    assert one_scan(presses, layout="fr").text == EAN


def test_a_us_scanner_read_as_french_gives_the_field_reports_symbols() -> None:
    """The trap of odoo/odoo PR #214407 ("0013748911" read as àà&"è'!ç&& on FR-BE, where 8
    is "!"; on fr it is "_"). parse() refuses it: nothing is sold."""
    scan = one_scan(tap(*"0013748911") + ENTER, layout="fr")
    assert scan.text == "àà&\"è'_ç&&"
    assert not barcodes.parse(scan.text).valid


def test_a_french_scanner_read_as_us_is_refused() -> None:
    scan = one_scan(encode(EAN, "fr") + ENTER, layout="us")
    assert scan.text == "%()!@#$!@#$%&"
    assert not barcodes.parse(scan.text).valid


# --- letters, Shift, Caps Lock, AltGr ------------------------------------------------------

CAPS = tap("CAPSLOCK")


@pytest.mark.parametrize(
    ("layout", "presses", "text"),
    [
        ("us", tap("A") + held(SHIFT, tap("B")) + tap("C"), "aBc"),
        ("us", held(KEY["RIGHTSHIFT"], tap("A", "1")), "A!"),
        ("us", CAPS + tap("A", "1") + CAPS + tap("A"), "A1a"),
        ("us", CAPS + held(SHIFT, tap("A")), "a"),  # Shift with Caps Lock: lower case
        ("de", tap("Y", "Z"), "zy"),  # QWERTZ
        ("de", tap("MINUS", "LEFTBRACE", "SEMICOLON", "APOSTROPHE"), "ßüöä"),
        ("de", CAPS + tap("LEFTBRACE", "MINUS"), "Üß"),  # ß has no capital on its key
        ("de", held(SHIFT, tap("2", "7", "0", "BACKSLASH")), "\"/='"),
        ("fr", tap("Q", "W", "A", "Z", "SEMICOLON", "M"), "azqwm,"),
        ("fr", CAPS + tap("Q", "2"), "Aé"),  # Caps Lock gives no digits on AZERTY
        ("pl", tap("A", "L"), "al"),
    ],
)
def test_letters_follow_shift_caps_lock_and_the_layout(
    layout: str, presses: Presses, text: str
) -> None:
    assert one_scan(presses + ENTER, layout=layout).text == text


@pytest.mark.parametrize(
    ("layout", "presses", "text"),
    [
        (
            "de",
            tap("Q", "E", "7", "8", "9", "0", "MINUS", "RIGHTBRACE", "102ND", "M"),
            "@€{[]}\\~|µ",
        ),
        ("fr", tap("0", "3", "2", "4", "5", "6", "7", "8", "9", "MINUS", "EQUAL"), "@#~{[|`\\^]}"),
        ("pl", tap("A", "C", "E", "L", "N", "O", "S", "X", "Z", "5"), "ąćęłńóśźż€"),
        ("pl", held(SHIFT, tap("A", "L", "Z")), "ĄŁŻ"),
    ],
)
def test_altgr_types_the_third_and_fourth_levels(layout: str, presses: Presses, text: str) -> None:
    assert one_scan(held(ALTGR, presses) + ENTER, layout=layout).text == text


def test_caps_lock_reaches_the_polish_altgr_letters() -> None:
    assert one_scan(CAPS + held(ALTGR, tap("A")) + ENTER, layout="pl").text == "Ą"


def test_right_alt_is_plain_alt_on_us_so_it_types_nothing() -> None:
    rejected = one_rejection(held(ALTGR, tap("Q")) + ENTER, layout="us")
    assert "Alt+KEY_Q" in rejected.reason


def test_key_repeat_is_ignored() -> None:
    presses = [(KEY["5"], 1), (KEY["5"], 2), (KEY["5"], 2), (KEY["5"], 0), *tap("9"), *ENTER]
    assert one_scan(presses).text == "59"


def test_keypad_digits_and_keypad_enter() -> None:
    presses = [*tap("KP5", "KP9", "KP0"), (KEY["KPENTER"], 1), (KEY["KPENTER"], 0)]
    assert one_scan(presses).text == "590"


@pytest.mark.parametrize(("layout", "text"), [("de", "^"), ("fr", "^"), ("de", "`")])
def test_a_dead_key_then_space_types_the_accent(layout: str, text: str) -> None:
    assert one_scan(encode(f"1{text}2", layout) + ENTER, layout=layout).text == f"1{text}2"


def test_a_dead_key_before_a_letter_is_not_a_barcode() -> None:
    rejected = one_rejection(tap("GRAVE", "A") + ENTER, layout="de")
    assert "dead key" in rejected.reason


# --- terminators and gaps ------------------------------------------------------------------


def test_tab_terminator() -> None:
    assert one_scan(tap(*EAN) + TAB, terminator="tab").text == EAN


def test_enter_when_tab_is_expected_is_named_as_the_suffix_problem() -> None:
    decoder = ScanDecoder(terminator="tab")
    assert decoder.feed_events(stream(tap(*EAN) + ENTER)) == []
    [rejected] = decoder.tick(200.0)
    assert isinstance(rejected, Rejected) and "suffix should be Tab" in rejected.reason


def test_a_tab_inside_an_enter_terminated_scan_rejects_the_whole_scan_once() -> None:
    rejected = one_rejection(tap("5", "9") + TAB + tap("0") + ENTER)
    assert "KEY_TAB" in rejected.reason and rejected.text == "590"


def test_no_terminator_ends_a_scan_after_the_gap() -> None:
    """GIVEN a scanner that sends no suffix WHEN keys stop for the gap THEN the scan ends."""
    decoder = ScanDecoder(terminator="none", gap_s=0.1)
    events = stream(tap(*EAN), start_s=100.0)
    assert decoder.feed_events(events) == []
    last = events[-1].timestamp()
    assert decoder.tick(last + 0.05) == []
    assert decoder.tick(last + 0.2) == [DecodedScan(EAN, "", last + 0.2)]
    assert decoder.tick(last + 5) == []


def test_no_terminator_two_scans_in_a_row_are_split_by_the_gap() -> None:
    decoder = ScanDecoder(terminator="none", gap_s=0.1)
    first = decoder.feed_events(stream(tap(*"590"), start_s=100.0))
    second = decoder.feed_events(stream(tap(*"123"), start_s=101.0))
    assert first == [] and [s.text for s in second if isinstance(s, DecodedScan)] == ["590"]
    assert [s.text for s in decoder.tick(102.0) if isinstance(s, DecodedScan)] == ["123"]


def test_a_scanner_without_enter_is_rejected_and_never_joined_to_the_next_scan() -> None:
    """The field problem "no Enter suffix, nothing happens": here it says why."""
    decoder = ScanDecoder(terminator="enter", gap_s=0.1)
    assert decoder.feed_events(stream(tap(*EAN), start_s=100.0)) == []
    [stalled] = decoder.tick(100.5)
    assert isinstance(stalled, Rejected) and "no Enter within 0.1 s" in stalled.reason
    assert stalled.text == EAN
    [scan] = decoder.feed_events(stream(tap(*EAN) + ENTER, start_s=101.0))
    assert scan == DecodedScan(EAN, "", pytest.approx(101.0 + 2 * 13 * 0.002))


def test_a_late_read_batch_keeps_the_kernels_spacing_on_the_monotonic_clock() -> None:
    """GIVEN two terminator-less scans 0.3 s apart that the reader only gets in one batch,
    and kernel stamps in wall-clock time THEN they are still two scans, timed before `now`."""
    decoder = ScanDecoder(terminator="none", gap_s=0.1)
    batch = stream(tap(*"590"), start_s=1.7e9) + stream(tap(*"123"), start_s=1.7e9 + 0.3)
    first = decoder.feed_batch(batch, now=50.0)
    assert [(r.text, r.at) for r in first] == [("590", pytest.approx(50.0 - 0.01))]
    assert [r.text for r in decoder.tick(51.0)] == ["123"]


def test_a_wall_clock_step_inside_a_batch_never_runs_time_backwards() -> None:
    decoder = ScanDecoder()
    before, after = stream(tap(*"59"), start_s=1.7e9), stream(tap(*"01") + ENTER, start_s=10.0)
    [scan] = decoder.feed_batch(before + after, now=50.0)
    assert scan.text == "5901" and scan.at <= 50.0
    assert decoder.feed_batch([], now=50.01) == []


def test_a_lone_enter_is_nothing() -> None:
    assert decode(ENTER + ENTER) == []


# --- a dropped key: decoded, then refused by the check digit -------------------------------


@pytest.mark.parametrize("dropped", range(13))
def test_a_dropped_key_is_rejected_by_the_check_digit_not_sold(dropped: int) -> None:
    """GIVEN a scanner that loses one keystroke WHEN the text reaches the core THEN its
    check digit fails (kwhat/jnativehook#466: dropped keys in fast scans)."""
    text = EAN[:dropped] + EAN[dropped + 1 :]
    scan = one_scan(tap(*text) + ENTER)
    parsed = barcodes.parse(scan.text)
    assert not parsed.valid and "check digit" in parsed.error


def test_a_dropped_shift_on_french_is_refused() -> None:
    presses = [p for i, d in enumerate(EAN) for p in (tap(d) if i == 3 else held(SHIFT, tap(d)))]
    scan = one_scan(presses + ENTER, layout="fr")
    assert scan.text == "590&234123457" and not barcodes.parse(scan.text).valid


# --- AIM symbology identifiers and FNC1 ----------------------------------------------------

GS1_DATA = "010590123412345710ABC123"


@pytest.mark.parametrize(
    ("typed", "text", "symbology"),
    [
        ("]E0" + EAN, EAN, "]E0"),
        ("]E496385074", "96385074", "]E4"),
        ("]C1" + GS1_DATA, "]C1" + GS1_DATA, "]C1"),
        ("]e0" + GS1_DATA, "]e0" + GS1_DATA, "]e0"),
        ("]d2" + GS1_DATA, "]d2" + GS1_DATA, "]d2"),
        ("]Q3" + GS1_DATA, "]Q3" + GS1_DATA, "]Q3"),
        (EAN, EAN, ""),  # the scanner's AIM transmission is off: read as it is
    ],
)
def test_aim_prefix_is_split_off_and_gs1_ones_stay_for_the_core(
    typed: str, text: str, symbology: str
) -> None:
    scan = one_scan(encode(typed, "us") + ENTER, aim_prefix=True)
    assert (scan.text, scan.symbology) == (text, symbology)
    assert barcodes.parse(scan.text).valid


def test_without_aim_prefix_the_identifier_stays_in_the_text() -> None:
    assert one_scan(encode("]E0" + EAN, "us") + ENTER).text == "]E0" + EAN


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("]E", "malformed AIM"),
        ("]", "malformed AIM"),
        ("]9X123", "malformed AIM"),
        ("]E0", "empty"),
    ],
)
def test_a_malformed_or_empty_aim_prefix_is_rejected(typed: str, reason: str) -> None:
    assert reason in one_rejection(encode(typed, "us") + ENTER, aim_prefix=True).reason


def test_gs1_symbologies_are_biips() -> None:
    assert {f"]{s.value}" for s in GS1Symbology.with_gs1_messages()} == GS1_SYMBOLOGIES


@pytest.mark.parametrize("fnc1", ["~", "^"])
def test_an_fnc1_substitute_becomes_gs(fnc1: str) -> None:
    """GIVEN a wedge scanner programmed to send FNC1 as `fnc1` THEN the core gets GS."""
    typed = f"]C1{GS1_DATA}{fnc1}17261231"
    scan = one_scan(encode(typed, "de") + ENTER, layout="de", aim_prefix=True, fnc1=fnc1)
    assert scan.text == f"]C1{GS1_DATA}{GS}17261231"
    parsed = barcodes.parse(scan.text)
    assert parsed.valid and parsed.expiry_yymmdd == "261231"


@pytest.mark.parametrize("layout", ["us", "de", "fr", "pl"])
def test_ctrl_bracket_is_gs_on_every_layout(layout: str) -> None:
    typed = f"{GS1_DATA}{GS}17261231"
    scan = one_scan(encode(typed, layout) + ENTER, layout=layout)
    assert scan.text == typed and barcodes.parse(scan.text).valid


def test_an_alt_code_types_ascii_independently_of_the_layout() -> None:
    """Alt held + keypad digits (Alt+029 is GS): the mode odoo's field notes recommend."""
    alt_code = held(ALT, tap("KP0", "KP2", "KP9"))
    a = held(ALT, tap("KP6", "KP5"))
    for layout in ("us", "fr"):
        assert one_scan(a + alt_code + a + ENTER, layout=layout).text == f"A{GS}A"


def test_an_alt_code_outside_ascii_is_rejected() -> None:
    assert "ASCII" in one_rejection(held(ALT, tap("KP2", "KP3", "KP3")) + ENTER).reason


# --- garbage, overlong input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("garbage", "reason"),
    [
        (tap("F1"), "KEY_F1 types nothing in layout 'us'"),
        (tap("ESC"), "KEY_ESC types nothing"),
        ([(240, 1), (240, 0)], "key code 240 types nothing"),
        (held(CTRL, tap("C")), "Ctrl+KEY_C is a control key"),
        (held(KEY["LEFTMETA"], tap("R")), "Meta+KEY_R is a shortcut"),
        (held(ALTGR, tap("R")), "AltGr+KEY_R types nothing in layout 'de'"),
    ],
)
def test_a_key_not_in_the_layout_rejects_the_whole_scan(garbage: Presses, reason: str) -> None:
    """GIVEN garbage in the middle of a scan THEN one rejection naming it, and the tail
    after it is never a scan of its own."""
    rejected = one_rejection(tap(*"590123") + garbage + tap(*"4123457") + ENTER, layout="de")
    assert reason.replace("'us'", "'de'") in rejected.reason
    assert rejected.text == EAN and not barcodes.parse(barcode_text(rejected)).valid


def test_events_that_are_not_keys_or_have_odd_values_are_ignored() -> None:
    events = [
        InputEvent(100, 0, ecodes.EV_LED, ecodes.LED_NUML, 1),
        InputEvent(100, 0, ecodes.EV_MSC, ecodes.MSC_SCAN, 0xDEADBEEF),
        InputEvent(100, 0, ecodes.EV_KEY, KEY["5"], 7),
        *stream(tap(*EAN) + ENTER, start_s=100.001),
    ]
    assert [r.text for r in ScanDecoder().feed_events(events)] == [EAN]


def test_events_lost_by_the_kernel_reject_the_scan() -> None:
    decoder = ScanDecoder()
    decoder.feed_events(stream(tap(*"5901"), start_s=100.0))
    dropped = InputEvent(100, 20000, ecodes.EV_SYN, ecodes.SYN_DROPPED, 0)
    assert decoder.feed_event(dropped) == []
    [rejected] = decoder.feed_events(stream(tap(*"234123457") + ENTER, start_s=100.03))
    assert isinstance(rejected, Rejected) and "SYN_DROPPED" in rejected.reason


def test_an_overlong_scan_is_rejected_once_and_the_core_refuses_it() -> None:
    rejected = one_rejection(tap(*"1234567890" * 20) + ENTER)
    assert "too long" in rejected.reason and len(rejected.text) == barcodes.MAX_SCAN_LENGTH
    assert "too long" in barcodes.parse(barcode_text(rejected)).error


def test_a_scan_of_exactly_the_cap_is_read() -> None:
    digits = ("1234567890" * 13)[: barcodes.MAX_SCAN_LENGTH]
    assert one_scan(tap(*digits) + ENTER).text == digits
    assert one_rejection(encode("]E0" + digits + "1", "us") + ENTER, aim_prefix=True)


@pytest.mark.parametrize(
    "options",
    [
        {"layout": "dvorak"},
        {"terminator": "cr"},
        {"gap_s": 0},
        {"max_length": 0},
        {"max_length": 129},
        {"fnc1": "7"},
        {"fnc1": "~~"},
        {"fnc1": "é"},
        {"fnc1": "]"},
    ],
)
def test_bad_options_are_refused_at_construction(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ScanDecoder(**options)  # type: ignore[arg-type]


# --- properties ----------------------------------------------------------------------------


def test_the_key_table_is_the_kernels() -> None:
    assert all(getattr(ecodes, f"KEY_{name}") == code for name, code in KEY.items())


@pytest.mark.parametrize("layout", sorted(keymaps.LAYOUTS))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_text_typed_on_a_layout_decodes_to_itself(layout: str, data: st.DataObject) -> None:
    alphabet = sorted(printable(layout) | {GS})
    text = data.draw(st.text(alphabet=alphabet, min_size=1, max_size=barcodes.MAX_SCAN_LENGTH))
    presses = encode(text, layout) + ENTER
    [scan] = ScanDecoder(layout).feed_events(stream(presses))
    assert scan == DecodedScan(text, "", pytest.approx(100.0 + (len(presses) - 2) * 0.002))


key_event = st.tuples(
    st.sampled_from([ecodes.EV_SYN, ecodes.EV_KEY, ecodes.EV_MSC, 0x1F]),
    st.one_of(st.sampled_from(sorted(KEY.values())), st.integers(0, 0x2FF)),
    st.integers(-1, 3),
)


@settings(max_examples=300, deadline=None)
@given(
    layout=st.sampled_from(sorted(keymaps.LAYOUTS)),
    terminator=st.sampled_from(["enter", "tab", "none"]),
    events=st.lists(key_event, max_size=300),
)
def test_garbage_never_crashes_and_a_rejection_is_never_sold(
    layout: str, terminator: str, events: list[tuple[int, int, int]]
) -> None:
    decoder = ScanDecoder(layout, terminator, aim_prefix=True, fnc1="~")  # type: ignore[arg-type]
    results: list[Result] = []
    for i, (kind, code, value) in enumerate(events):
        results += decoder.feed(kind, code, value, 100 + i * 0.003)
    results += decoder.tick(1000.0)
    assert not decoder.pending
    for result in results:
        assert len(result.text) <= barcodes.MAX_SCAN_LENGTH + 3
        if isinstance(result, Rejected):
            assert result.reason and not barcodes.parse(barcode_text(result)).valid


@given(st.text(max_size=300), st.text(max_size=50))
def test_a_rejected_scan_never_parses_as_valid(text: str, reason: str) -> None:
    assert not barcodes.parse(barcode_text(Rejected(reason, 0.0, text))).valid
    assert barcode_text(Rejected(reason, 0.0, text)).endswith(NOT_READ)
