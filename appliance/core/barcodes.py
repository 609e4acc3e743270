"""Barcode text as a retail scanner delivers it → a validated lookup key (pure).

Rules (GS1 General Specifications: §2.1 GTINs and RCNs, §5.2.2.4.2 UPC-E, §7.9 check digits):
- The scanner is outside input: empty text, more than MAX_SCAN_LENGTH characters, non-ASCII
  and control characters (but trailing CR/LF, and GS inside a GS1 element string) are
  rejected with a reason. parse() never raises.
- EAN-13, EAN-8, UPC-A, UPC-E (expanded to UPC-A by its last digit) and GTIN-14 become a
  14-digit GTIN; the check digit must match. ISBN (978/979) and ISSN (977) are EAN-13s: an
  EAN-2/EAN-5 add-on the scanner appends is kept in `addon`, never in the GTIN.
- Restricted-circulation numbers (prefix 02, 20-29) carry a price or a weight as the store's
  ScanRules say (the layouts differ by country); the item is looked up with the variable part
  zeroed. Weights come from a certified scale's label: the kiosk never weighs to price.
- IFPS produce PLUs (3000-4999; organic is 9 + PLU) have no GTIN: their key is `plu`.
- GS1 element strings (symbology ]C1 ]e0 ]d2 ]Q3, FNC1 sent as GS, or "(01)..." as printed)
  are read by appliance.core.gs1, which wraps biip. ISBNs are checked with python-stdnum.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum

from biip.checksums import gs1_price_weight_check_digit, gs1_standard_check_digit
from biip.symbology import GS1Symbology, SymbologyIdentifier
from stdnum import isbn

from appliance.core import gs1
from appliance.core.gs1 import resolve_gs1_date as resolve_gs1_date  # re-exported
from appliance.core.text import Text

MAX_SCAN_LENGTH = 128
RCN_PREFIXES = frozenset({"02", *(f"2{i}" for i in range(10))})
_EAN_SYMBOLOGIES = {GS1Symbology.EAN_13, GS1Symbology.EAN_8, GS1Symbology.ITF_14}


class CodeKind(StrEnum):
    EAN13 = "ean13"
    EAN8 = "ean8"
    UPCA = "upca"
    UPCE = "upce"
    GTIN14 = "gtin14"
    ISBN = "isbn"
    ISSN = "issn"
    PLU = "plu"
    VARIABLE_PRICE = "variable-price"
    VARIABLE_WEIGHT = "variable-weight"
    GS1 = "gs1"
    INVALID = "invalid"


class Measure(StrEnum):
    PRICE = "price"
    WEIGHT = "weight"


@dataclass(frozen=True, slots=True)
class VariableMeasureLayout:
    """How scale labels with some prefixes carry a value, in 13 digits: `PP I.. [C] V.. K`.

    prefixes: RCN-13 prefixes read this way ("02", "20".."29"); a UPC-A "2..." reads as "02...".
    item_digits: digits of the item reference after the prefix (kept in the lookup key).
    value_digits: digits of the price or weight (zeroed in the lookup key).
    measure: whether the value is a price or a net weight.
    decimals: of the currency's major unit for a price (2: 01299 is 12.99), of kilograms for
        a weight (3: 00525 is 0.525 kg).
    check_digit: a price/weight check digit stands before the value (GS1 General
        Specifications §7.9.2-7.9.4); the value's length (4 or 5) picks its algorithm.
    """

    prefixes: frozenset[str] = field(default_factory=lambda: frozenset(f"2{i}" for i in range(10)))
    item_digits: int = 5
    value_digits: int = 5
    measure: Measure = Measure.PRICE
    decimals: int = 2
    check_digit: bool = False

    def __post_init__(self) -> None:
        if 2 + self.item_digits + self.check_digit + self.value_digits != 12:
            raise ValueError("prefix, item, check and value digits must fill 12 digits")
        if not self.prefixes <= RCN_PREFIXES:
            raise ValueError(f"not restricted-circulation prefixes: {sorted(self.prefixes)}")
        if self.item_digits < 1 or self.value_digits < 1:
            raise ValueError("a layout needs item and value digits")
        if self.check_digit and self.value_digits not in (4, 5):
            raise ValueError("a price/weight check digit covers a 4- or 5-digit value")
        if not 0 <= self.decimals <= self.value_digits:
            raise ValueError(f"decimals {self.decimals} out of range 0..{self.value_digits}")


@dataclass(frozen=True, slots=True)
class ScanRules:
    """A store's barcode rules, read once from config.

    minor_digits: decimals of the store currency (2 for PLN, EUR, GBP, SEK; 0 for JPY); prices
        from labels and from GS1 AI 392n come back in its minor units.
    layouts: the variable-measure layouts; a prefix in none of them is an ordinary GTIN.
    """

    minor_digits: int = 2
    layouts: tuple[VariableMeasureLayout, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.minor_digits <= 4:
            raise ValueError(f"minor_digits {self.minor_digits} out of range 0..4")
        seen: set[str] = set()
        for layout in self.layouts:
            if seen & layout.prefixes:
                raise ValueError(f"prefixes {sorted(seen & layout.prefixes)} in two layouts")
            seen |= layout.prefixes

    def layout_for(self, prefix: str) -> VariableMeasureLayout | None:
        return next((lay for lay in self.layouts if prefix in lay.prefixes), None)


def _rcn(
    measure: Measure, prefixes: str, item: int, value: int, decimals: int, check: bool = False
) -> VariableMeasureLayout:
    return VariableMeasureLayout(frozenset(prefixes.split()), item, value, measure, decimals, check)


_PRICE, _WEIGHT = Measure.PRICE, Measure.WEIGHT

# The kiosk's first layout, and the demo catalogue's: 2x IIIII VVVVV K, a price in hundredths,
# no price check digit (like Odoo's default "2x.....{NNNDD}" rules).
DEFAULT_LAYOUT = VariableMeasureLayout()
DEFAULT_RULES = ScanRules(layouts=(DEFAULT_LAYOUT,))
# No variable measure: 02 and 20-29 are looked up whole, like any GTIN.
PLAIN = ScanRules()
# Poland: 24 = price and 29 = quantity or mass, for store-internal item numbers (the national
# scheme as summarised in superdrob.pl "Produkt polski - oznakowanie na opakowaniu"). The
# 5 + 5 digit split without a price check digit is the usual Polish scale set-up, not taken
# from a GS1 Polska document (none found): check it against the store's scales. biip has no
# Polish rules.
POLAND = ScanRules(layouts=(_rcn(_PRICE, "24", 5, 5, 2), _rcn(_WEIGHT, "29", 5, 5, 3)))
# Germany, as biip RcnRegion.GERMANY (citing GS1 Germany "Globale Artikelnummer GTIN in der
# Anwendung"): 22/23 price, 28/29 weight in kg, PP IIII C VVVVV with a 5-digit check digit.
# 25/26 carry a count, which this kiosk does not sell by: they read as plain GTINs.
GERMANY = ScanRules(
    layouts=(
        _rcn(_PRICE, "22 23", 4, 5, 2, check=True),
        _rcn(_WEIGHT, "28 29", 4, 5, 3, check=True),
    )
)
# Great Britain, as biip RcnRegion.GREAT_BRITAIN (citing gs1uk.org "How to barcode variable
# measure items"): 20 price, PP IIIII C VVVV with a 4-digit price check digit.
GREAT_BRITAIN = ScanRules(layouts=(_rcn(_PRICE, "20", 5, 4, 2, check=True),))
# Sweden, as biip RcnRegion.SWEDEN (citing gs1.se "How do I create my variable weight
# numbers"): PP IIIIII VVVV, no check digit; 20/21/22 price with 2/1/0 decimals, 23/24/25
# weight in kg with 3/2/1 decimals. biip reads Norway the same way (no specification found).
SWEDEN = ScanRules(
    layouts=(
        *(_rcn(_PRICE, p, 6, 4, d) for p, d in (("20", 2), ("21", 1), ("22", 0))),
        *(_rcn(_WEIGHT, p, 6, 4, d) for p, d in (("23", 3), ("24", 2), ("25", 1))),
    )
)
NORWAY = SWEDEN
# Denmark, as biip RcnRegion.DENMARK (citing gs1.dk "GTIN-13 pris" and "GTIN-13 vaegt"):
# 21-24 price PP IIII VVVVVV; 26/28 weight PP IIII VVVVVV and 27 weight PP IIIII VVVVV (kg).
DENMARK = ScanRules(
    layouts=(
        _rcn(_PRICE, "21 22 23 24", 4, 6, 2),
        _rcn(_WEIGHT, "26 28", 4, 6, 3),
        _rcn(_WEIGHT, "27", 5, 5, 3),
    )
)
# Finland, as biip RcnRegion.FINLAND (citing gs1.fi), and Estonia, Latvia, Lithuania (citing
# gs1lv.org "Variable measure in Latvia"): 23/24/25 weight with 3/2/1 decimals, PP IIIIII VVVV.
FINLAND = ScanRules(
    layouts=tuple(_rcn(_WEIGHT, p, 6, 4, d) for p, d in (("23", 3), ("24", 2), ("25", 1)))
)

# the presets by name (ISO 3166 country code), for a store config to pick one
PRESETS: dict[str, ScanRules] = {"default": DEFAULT_RULES, "plain": PLAIN, "pl": POLAND}
PRESETS |= {"de": GERMANY, "gb": GREAT_BRITAIN, "se": SWEDEN, "no": NORWAY, "dk": DENMARK}
PRESETS |= {"fi": FINLAND, "ee": FINLAND, "lv": FINLAND, "lt": FINLAND}


@dataclass(frozen=True, slots=True)
class Scan:
    """The outcome of parsing one barcode: valid with a lookup key, or invalid with a reason.

    gtin: the 14-digit lookup key; "" for a PLU and for an invalid scan.
    price_minor: price from a scale label or GS1 AI 392n, in the store currency's minor units.
    weight_g: net weight from a scale label or GS1 AI 310n, in grams.
    expiry_yymmdd: GS1 AI 17 as printed; is_expired() places it against today.
    plu: the IFPS PLU of loose produce; `organic` when it was keyed as 9 + PLU.
    addon: the EAN-2/EAN-5 add-on (issue number, price) a scanner appended to an ISSN or ISBN.
    """

    text: str
    valid: bool
    kind: CodeKind
    gtin: str = ""
    price_minor: int | None = None
    error: str = ""
    weight_g: int | None = None
    expiry_yymmdd: str | None = None
    plu: str | None = None
    organic: bool = False
    addon: str | None = None


def gs1_check_digit(payload: str) -> int:
    """The GS1 mod-10 check digit for a string of digits (weights 3,1 from the right, §7.9.1)."""
    return gs1_standard_check_digit(payload)


def price_check_digit(value: str) -> int:
    """The check digit of a 4- or 5-digit price or weight field (GS1 GenSpecs §7.9.2-7.9.4)."""
    return gs1_price_weight_check_digit(value)


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


def is_expired(scan: Scan, today: dt.date) -> bool:
    """True when the scan's GS1 expiry date (AI 17) is before `today`.

    A date that does not exist in its resolved year (29 February of YY=00 after 2050) counts
    as expired: staff look at the pack.
    """
    if scan.expiry_yymmdd is None:
        return False
    try:
        return today > resolve_gs1_date(scan.expiry_yymmdd, today)
    except ValueError:
        return True


def expiry_notice(scan: Scan, today: dt.date) -> str:
    """What the customer reads when an expired item blocks the sale; "" when it may be sold."""
    if scan.expiry_yymmdd is None or not is_expired(scan, today):
        return ""
    try:
        when = resolve_gs1_date(scan.expiry_yymmdd, today).isoformat()
    except ValueError:
        when = scan.expiry_yymmdd
    return Text("This item's use-by date has passed ({when}): it cannot be sold.", when=when)


def _invalid(text: str, reason: str) -> Scan:
    return Scan(text=text, valid=False, kind=CodeKind.INVALID, error=reason)


def parse(text: str, rules: ScanRules | VariableMeasureLayout = DEFAULT_RULES) -> Scan:
    """Parse one scan. Never raises; a bad scan is `valid=False` with a human reason.

    A lone VariableMeasureLayout stands for ScanRules with that one layout (the kiosk state's
    Rules.layout still holds one).
    """
    if isinstance(rules, VariableMeasureLayout):
        rules = ScanRules(layouts=(rules,))
    shown = text[:MAX_SCAN_LENGTH]
    if len(text) > MAX_SCAN_LENGTH:
        return _invalid(shown, f"too long ({len(text)} characters, at most {MAX_SCAN_LENGTH})")
    code = text.strip(" ").rstrip("\r\n").rstrip(" ")
    problem = _character_problem(code)
    if problem:
        return _invalid(shown, problem)
    if code.startswith("]"):
        return _with_symbology(shown, code, rules)
    if code.startswith("("):
        return _from_gs1(shown, gs1.read(code, minor_digits=rules.minor_digits, hri=True))
    if gs1.GROUP_SEPARATOR in code:
        return _from_gs1(shown, gs1.read(code, minor_digits=rules.minor_digits))
    if not code.isdigit():
        return _invalid(shown, "not a retail barcode (digits only expected)")
    return _digits(shown, code, rules)


def _character_problem(code: str) -> str:
    if not code:
        return "empty scan"
    for at, ch in enumerate(code, start=1):
        if not ch.isascii():
            return f"not a retail barcode (digits only expected; non-ASCII character at {at})"
        if (ch < " " or ch == "\x7f") and ch != gs1.GROUP_SEPARATOR:
            return (
                "not a retail barcode (digits only expected; "
                f"control character 0x{ord(ch):02x} at {at})"
            )
    return ""


def _with_symbology(shown: str, code: str, rules: ScanRules) -> Scan:
    """An AIM symbology identifier (ISO/IEC 15424) says how to read what follows it."""
    try:
        symbology = SymbologyIdentifier.extract(code)
    except Exception:  # biip is outside code: whatever it raises, the prefix is unknown
        return _invalid(shown, "unknown symbology identifier")
    data = code[len(symbology) :]
    if symbology.gs1_symbology in GS1Symbology.with_gs1_messages():
        return _from_gs1(shown, gs1.read(data, minor_digits=rules.minor_digits))
    if symbology.gs1_symbology is GS1Symbology.EAN_13_WITH_ADD_ON and data.isdigit():
        return _with_addon(shown, data, rules)
    if symbology.gs1_symbology in _EAN_SYMBOLOGIES and data.isdigit():
        # ]E4 is EAN-8 and ]E0 is EAN-13/UPC-A/UPC-E: 8 digits under each are no longer a guess
        eight = {GS1Symbology.EAN_8: CodeKind.EAN8, GS1Symbology.EAN_13: CodeKind.UPCE}
        return _digits(shown, data, rules, eight=eight.get(symbology.gs1_symbology))
    return _invalid(shown, f"not a retail barcode (symbology {symbology})")


def _with_addon(shown: str, data: str, rules: ScanRules) -> Scan:
    """EAN-13/UPC-A followed by an EAN-2 or EAN-5 add-on: 14, 15, 17 or 18 digits."""
    size = {14: 2, 15: 2, 17: 5, 18: 5}.get(len(data))
    if size is None:
        return _invalid(shown, f"unsupported length {len(data)} for a code with an add-on")
    scan = _digits(shown, data[:-size], rules)
    return replace(scan, addon=data[-size:]) if scan.valid else scan


def _digits(shown: str, code: str, rules: ScanRules, eight: CodeKind | None = None) -> Scan:
    n = len(code)
    if n in (4, 5):
        return _plu(shown, code)
    if n == 8 and eight is not CodeKind.EAN8 and code[0] in "01" and _checks(upce_to_upca(code)):
        return Scan(shown, True, CodeKind.UPCE, gtin=upce_to_upca(code).zfill(14))
    if n == 8 and eight is CodeKind.UPCE:
        return _invalid(shown, "UPC-E check digit does not match (misread?)")
    if n in (15, 18) and code[:3] in ("977", "978", "979"):
        return _with_addon(shown, code, rules)
    if n > 14:  # a GS1-128 or DataBar read without its symbology identifier
        found = gs1.read(code, minor_digits=rules.minor_digits)
        if found.error == gs1.UNREADABLE:
            return _invalid(shown, f"unsupported length {n}")
        return _from_gs1(shown, found)
    if n not in (8, 12, 13, 14):
        return _invalid(shown, f"unsupported length {n}")
    if not _checks(code):
        return _invalid(shown, "check digit does not match (misread?)")
    if n == 8:
        return Scan(shown, True, CodeKind.EAN8, gtin=code.zfill(14))
    if n == 14:
        return Scan(shown, True, CodeKind.GTIN14, gtin=code)
    return _gtin13(shown, code.zfill(13), CodeKind.UPCA if n == 12 else CodeKind.EAN13, rules)


def _gtin13(shown: str, code: str, kind: CodeKind, rules: ScanRules) -> Scan:
    layout = rules.layout_for(code[:2])
    if layout is not None:
        return _variable(shown, code, layout, rules)
    if code[:3] == "977":  # ISSN: 977 + 7 ISSN digits (its mod-11 digit dropped) + variant
        return Scan(shown, True, CodeKind.ISSN, gtin=code.zfill(14))
    if code[:3] in ("978", "979") and isbn.is_valid(code):
        return Scan(shown, True, CodeKind.ISBN, gtin=code.zfill(14))
    return Scan(shown, True, kind, gtin=code.zfill(14))


def _variable(shown: str, code: str, layout: VariableMeasureLayout, rules: ScanRules) -> Scan:
    """A restricted-circulation number read by the store's layout (already check-digit valid)."""
    item_end = 2 + layout.item_digits
    value = code[12 - layout.value_digits : 12]
    zero = "0" * layout.value_digits
    check = ""
    if layout.check_digit:
        if price_check_digit(value) != int(code[item_end]):
            return _invalid(shown, f"{layout.measure} check digit does not match (misread?)")
        check = str(price_check_digit(zero))
    key = code[:item_end] + check + zero
    gtin = (key + str(gs1_check_digit(key))).zfill(14)
    if layout.measure is Measure.WEIGHT:
        grams = gs1.grams_from_kg(int(value), layout.decimals)
        return Scan(shown, True, CodeKind.VARIABLE_WEIGHT, gtin=gtin, weight_g=grams)
    price = gs1.minor_from_amount(int(value), layout.decimals, rules.minor_digits)
    if price is None:
        return _invalid(shown, "label price has more decimals than the store currency")
    return Scan(shown, True, CodeKind.VARIABLE_PRICE, gtin=gtin, price_minor=price)


def _plu(shown: str, code: str) -> Scan:
    """IFPS PLU 3000-4999; organic is 9 + PLU; 83000-84999 are 5-digit PLUs of their own."""
    if len(code) == 4 and "3000" <= code <= "4999":
        return Scan(shown, True, CodeKind.PLU, plu=code)
    if len(code) == 5 and code[0] == "9" and "3000" <= code[1:] <= "4999":
        return Scan(shown, True, CodeKind.PLU, plu=code[1:], organic=True)
    if len(code) == 5 and "83000" <= code <= "84999":
        return Scan(shown, True, CodeKind.PLU, plu=code)
    return _invalid(
        shown, f"unsupported length {len(code)} (a produce PLU is 3000-4999, organic 9 + PLU)"
    )


def _from_gs1(shown: str, found: gs1.Elements) -> Scan:
    if found.error:
        return _invalid(shown, found.error)
    return Scan(
        shown,
        True,
        CodeKind.GS1,
        gtin=found.gtin,
        price_minor=found.price_minor,
        weight_g=found.weight_g,
        expiry_yymmdd=found.expiry_yymmdd,
    )


def _checks(code: str) -> bool:
    return gs1_check_digit(code[:-1]) == int(code[-1])
