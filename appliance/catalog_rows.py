"""Catalog rows → checked products: the columns both formats share, and their rules.

A CatalogSource reads a file's rows once, as a stream, checks each cell and keeps every
problem as `<where>: <column>: <reason>` (`line 7` in a CSV file, `products[5]` in a JSON
file). What to do with a bad row (refuse the file, or skip the row) is the importer's
decision (appliance/shell/catalog_import.py). docs/catalog.md documents every column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from appliance.core import barcodes
from appliance.core.products import Product
from appliance.core.promotions import Rule
from appliance.money import MoneyError, minor_digits, parse_amount

COLUMNS = (
    "code",
    "plu",
    "name",
    "price",
    "vat",
    "age",
    "weighed",
    "limit",
    "category",
    "picture",
    "stock",
)
REQUIRED = ("code", "name", "price", "vat")
NAME_COLUMN = re.compile(r"name_([a-z]{2,3})")  # name_pl, name_de: ISO 639 language codes
PICTURE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,95}\.(?:png|jpg|jpeg|webp)", re.IGNORECASE)
NAME_MAX = 80
CATEGORY_MAX = 40
MAX_PRICE_MAJOR = 1_000_000  # a price at or above this is a typo, in any of our currencies
MAX_STOCK = 1_000_000_000
_FLAGS = {"": False, "0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PROGRESS_EVERY = 1000  # rows between progress callbacks


class CatalogError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems[:10]) + (" ..." if len(problems) > 10 else ""))


@dataclass(frozen=True, slots=True)
class Item:
    """One validated product row and what the core's Product does not carry.

    where: the row's place in the file ("line 7", "products[5]"), for later problems.
    names: (language, name) pairs besides the default `product.name`.
    picture: a plain file name under the data directory's pictures/.
    stock: the counted level to set, or None to leave the stock as it is.
    """

    product: Product
    where: str
    names: tuple[tuple[str, str], ...] = ()
    category: str | None = None
    picture: str | None = None
    stock: int | None = None


def vat_bp(value: object) -> int:
    """23 or "23" or 7.7 (percent) → basis points."""
    if isinstance(value, bool):
        raise ValueError(f"not a VAT rate: {value!r}")
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a VAT rate: {value!r}") from None
    if not rate.is_finite() or not 0 <= rate <= 100 or rate * 100 != int(rate * 100):
        raise ValueError(f"not a VAT rate: {value!r}")
    return int(rate * 100)


def percent(rate_bp: int) -> str:
    """2300 → "23", 770 → "7.7": a rate as a file would write it."""
    whole, part = divmod(rate_bp, 100)
    return str(whole) if part == 0 else f"{whole}.{part:02d}".rstrip("0")


class CatalogSource:
    """A catalog file being read: its header facts first, then its rows once, as a stream.

    currency: the currency of every price (the store's; a JSON file must say the same).
    catalog_version: the version the file declares, or None to take the next number.
    tax_rates: the rates the file declares (basis points → label), or None.
    has_promotions: the file carries a promotions section (absent: promotions are kept).
    problems: every problem met so far, in file order.
    progress: called with rows read so far, every thousand rows and at the end.
    """

    def __init__(
        self,
        currency: str,
        rules: barcodes.ScanRules,
        allowed_rates: Iterable[int] | None = None,
    ) -> None:
        self.currency = currency
        self.rules = rules
        self.catalog_version: int | None = None
        self.tax_rates: dict[int, str] | None = None
        self.has_promotions = False
        self.problems: list[str] = []
        self.rows_read = 0
        self.expected_rows = 0
        self.progress: Callable[[int], None] | None = None
        self._allowed = None if allowed_rates is None else frozenset(allowed_rates)
        self._bad: set[str] = set()
        self._codes: dict[str, str] = {}
        self._plus: dict[str, str] = {}
        self._rates: dict[str, int] = {}
        self._max_price = MAX_PRICE_MAJOR * 10 ** minor_digits(currency)
        self._checks: tuple[tuple[str, Callable[[object], Any]], ...] = (
            ("code", self._code),
            ("plu", _plu),
            ("name", lambda v: checked_text(v, NAME_MAX)),
            ("price", self._price),
            ("vat", self._vat),
            ("age", lambda v: _whole(v, 1, 99)),
            ("weighed", _flag),
            ("limit", lambda v: _whole(v, 1, 999)),
            ("category", lambda v: checked_text(v, CATEGORY_MAX)),
            ("picture", _picture),
            ("stock", lambda v: _whole(v, 0, MAX_STOCK)),
        )

    @property
    def bad_rows(self) -> int:
        """Product rows with at least one problem (skipped under --skip-bad)."""
        return len(self._bad)

    def reject(self, where: str, column: str | None, reason: str) -> None:
        self._bad.add(where)
        self.problems.append(f"{where}: {column}: {reason}" if column else f"{where}: {reason}")

    def items(self) -> Iterator[Item]:
        """Every good product row, in file order; problems go to `problems`."""
        raise NotImplementedError

    def promotions(self, known: Container[str]) -> list[Rule]:
        """The file's good promotions; `known` holds the GTINs a promotion may name."""
        return []

    def _declare_rates(self, rates: dict[int, str]) -> None:
        """The file's own tax rates are the only ones its rows may use."""
        self.tax_rates = rates
        self._allowed = frozenset(rates)

    def _counted(self) -> None:
        self.rows_read += 1
        if self.progress is not None and self.rows_read % _PROGRESS_EVERY == 0:
            self.progress(self.rows_read)

    def _done(self) -> None:
        if self.progress is not None:
            self.progress(self.rows_read)

    def check_row(
        self,
        row: Mapping[str, object],
        where: str,
        name_columns: Iterable[tuple[str, str]] | None = None,
    ) -> Item | None:
        """One row (absent, None and "" all mean "not given") → an Item, or None if bad.

        name_columns: the row's (name_<lang> column, lang) pairs when the caller knows them
        (a CSV header); otherwise they are found in the row's keys.
        """
        before = len(self.problems)
        got: dict[str, Any] = {}
        for column, check in self._checks:
            raw = row.get(column)
            if raw is None or raw == "":
                if column in REQUIRED:
                    self.reject(where, column, "required")
                continue
            try:
                got[column] = check(raw)
            except (ValueError, TypeError) as exc:
                self.reject(where, column, str(exc))
        names = []
        for column, lang in languages(row) if name_columns is None else name_columns:
            raw = row.get(column)
            if raw is None or raw == "":
                continue
            try:
                names.append((lang, checked_text(raw, NAME_MAX)))
            except ValueError as exc:
                self.reject(where, column, str(exc))
        gtin: str | None = got.get("code")
        plu: str | None = got.get("plu")
        if gtin is not None:
            first = self._codes.setdefault(gtin, where)
            if first != where:
                self.reject(where, "code", f"{str(row['code']).strip()} duplicates {first}")
        if plu is not None:
            first = self._plus.setdefault(plu, where)
            if first != where:
                self.reject(where, "plu", f"{plu} duplicates {first}")
        if len(self.problems) != before or gtin is None:
            return None
        product = Product(
            gtin,
            got["name"],
            got["price"],
            got["vat"],
            got.get("age"),
            got.get("weighed", False),
            got.get("limit"),
            plu,
        )
        return Item(
            product, where, tuple(names), got.get("category"), got.get("picture"), got.get("stock")
        )

    def _code(self, value: object) -> str:
        text = _scalar(value).strip()
        scan = barcodes.parse(text, self.rules)
        if not scan.valid:
            raise ValueError(f"{text!r}: {scan.error}")
        if not scan.gtin:
            raise ValueError(f"{text!r} is a {scan.kind.value} code, which has no GTIN")
        return scan.gtin

    def _price(self, value: object) -> int:
        if isinstance(value, bool):
            raise ValueError(f"not an amount: {value!r}")
        try:
            minor = parse_amount(_scalar(value), self.currency)
        except MoneyError as exc:
            raise ValueError(str(exc)) from None
        if minor >= self._max_price:
            raise ValueError(f"{value} is more than {MAX_PRICE_MAJOR:,} {self.currency}")
        return minor

    def _vat(self, value: object) -> int:
        key = str(value)
        rate = self._rates.get(key)
        if rate is None:
            rate = self._rates[key] = vat_bp(value)
        if self._allowed is not None and rate not in self._allowed:
            rates = ", ".join(percent(r) for r in sorted(self._allowed)) or "none"
            raise ValueError(f"{percent(rate)} % is not one of the store's tax rates ({rates})")
        return rate


def languages(columns: Iterable[str]) -> list[tuple[str, str]]:
    """The (name_<lang> column, lang) pairs among `columns`."""
    return [(c, m[1]) for c in columns if (m := NAME_COLUMN.fullmatch(c))]


def _scalar(value: object) -> str:
    """A JSON string or number (never a boolean, list or object) as text."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected text or a number, got {value!r}")
    return str(value)


def checked_text(value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    text = value.strip()
    if not text or len(text) > limit:
        raise ValueError(f"1 to {limit} characters, got {len(text)}")
    if _CONTROL.search(text):
        raise ValueError("control characters are not allowed")
    return text


def _whole(value: object, lo: int, hi: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise ValueError(f"expected a whole number {lo}-{hi:,}, got {value!r}")
    if not lo <= number <= hi:
        raise ValueError(f"expected a whole number {lo}-{hi:,}, got {number}")
    return number


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    flag = _FLAGS.get(str(value).strip().lower()) if isinstance(value, str | int) else None
    if flag is None:
        raise ValueError(f"expected 1/0, true/false or yes/no, got {value!r}")
    return flag


def _plu(value: object) -> str:
    """The PLU as the runner looks it up: 4011, organic 94011, or a 5-digit 83000-84999."""
    text = _scalar(value).strip()
    scan = barcodes.parse(text)
    if not scan.valid or scan.kind is not barcodes.CodeKind.PLU or scan.plu is None:
        raise ValueError(f"{text!r} is not a produce PLU (3000-4999, 9 + PLU, 83000-84999)")
    return f"9{scan.plu}" if scan.organic else scan.plu


def _picture(value: object) -> str:
    if not isinstance(value, str) or not PICTURE.fullmatch(value.strip()):
        raise ValueError(
            f"{value!r} is not a plain file name ending .png, .jpg, .jpeg or .webp"
            " (letters, digits, '.', '-', '_'; no folders)"
        )
    return value.strip()
