"""Catalog files (JSON; CSV is appliance/catalog_csv.py) → products, promotions, tax rates.

docs/catalog.md is the format. Outside input: every row is checked (appliance/catalog_rows.py)
and every problem is reported with its place and reason. `load_json` and `parse` keep the
old contract for the demo catalog and tests: any bad row raises CatalogError.
"""

from __future__ import annotations

import json
import re
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.catalog_rows import (
    COLUMNS,
    NAME_COLUMN,
    CatalogError,
    CatalogSource,
    Item,
    checked_text,
    percent,
    vat_bp,
)
from appliance.core import barcodes
from appliance.core.products import Product
from appliance.core.promotion_codec import from_dict
from appliance.core.promotions import Rule
from appliance.money import parse_amount

__all__ = ["Catalog", "CatalogError", "JsonCatalog", "load_json", "lookup_key", "parse", "vat_bp"]

LABEL_MAX = 20
FORMATS = ("csv", "json")
_JSON_KEYS = frozenset({"version", "currency", "catalog_version", "tax_rates"})
_JSON_KEYS |= {"products", "promotions"}
_PROMOTION_KEYS = {
    "multibuy": {"quantity", "price", "free", "codes"},
    "buy_get": {"buy", "get", "off"},
    "unit_off": {"codes", "percent", "amount", "min"},
    "meal_deal": {"price", "groups"},
}


@dataclass
class Catalog:
    currency: str
    products: list[Product] = field(default_factory=list)
    promotions: list[Rule] = field(default_factory=list)
    stock: dict[str, int] = field(default_factory=dict)
    # what Product does not carry, by GTIN: (category, picture, ((lang, name), ...))
    details: dict[str, tuple[str | None, str | None, tuple[tuple[str, str], ...]]] = field(
        default_factory=dict
    )


def lookup_key(code: str, rules: barcodes.ScanRules = barcodes.DEFAULT_RULES) -> str:
    """A catalog code → the 14-digit key the scanner's parse will look up under the same
    store rules (a scale item's code with its price zeroed), or CatalogError."""
    scan = barcodes.parse(code, rules)
    if not scan.valid or not scan.gtin:  # a PLU has no GTIN to key a product by
        raise CatalogError([f"{code!r}: {scan.error or f'a {scan.kind.value} has no GTIN'}"])
    return scan.gtin


class JsonCatalog(CatalogSource):
    """A JSON catalog (docs/catalog.md), read whole: JSON has no streaming reader in the
    standard library, so very large catalogs are better sent as CSV."""

    def __init__(
        self,
        data: Any,
        rules: barcodes.ScanRules = barcodes.DEFAULT_RULES,
        currency: str | None = None,
        allowed_rates: Iterable[int] | None = None,
    ) -> None:
        if not isinstance(data, dict) or data.get("version") != 1:
            raise CatalogError(['expected an object with "version": 1'])
        problems = [f"{key}: unknown field" for key in data if key not in _JSON_KEYS]
        declared = data.get("currency")
        if not isinstance(declared, str) or not re.fullmatch(r"[A-Z]{3}", declared):
            raise CatalogError([*problems, "currency: expected an ISO 4217 code"])
        if currency is not None and declared != currency:
            problems.append(f"currency: the file is in {declared}, the store sells in {currency}")
        super().__init__(declared, rules, allowed_rates)
        version = data.get("catalog_version")
        if version is not None:
            if isinstance(version, bool) or not isinstance(version, int) or version < 1:
                problems.append(f"catalog_version: expected a whole number from 1, got {version!r}")
            else:
                self.catalog_version = version
        if data.get("tax_rates") is not None:
            rates = _tax_rates(data["tax_rates"], problems)
            if rates is not None:
                self._declare_rates(rates)
        rows = data.get("products")
        self._rows: list[Any] = [] if rows is None else rows
        self._promotion_rows = data.get("promotions")
        if not isinstance(self._rows, list):
            problems.append("products: expected a list of objects")
        if self._promotion_rows is not None and not isinstance(self._promotion_rows, list):
            problems.append("promotions: expected a list of objects")
        if problems:
            raise CatalogError(problems)
        self.has_promotions = self._promotion_rows is not None
        self.expected_rows = len(self._rows)

    def items(self) -> Iterator[Item]:
        for i, row in enumerate(self._rows):
            where = f"products[{i}]"
            self._counted()
            if not isinstance(row, dict):
                self.reject(where, None, "expected an object")
                continue
            unknown = [k for k in row if k not in COLUMNS and not NAME_COLUMN.fullmatch(k)]
            for key in unknown:
                self.reject(where, key, "unknown field")
            item = self.check_row(row, where)
            if item is not None and not unknown:
                yield item
        self._done()

    def promotions(self, known: Container[str]) -> list[Rule]:
        out: list[Rule] = []
        ids: dict[str, str] = {}
        for i, row in enumerate(self._promotion_rows or []):
            where = f"promotions[{i}]"
            try:
                rule = _promotion(row, self.currency, known, self.rules)
            except (CatalogError, ValueError, TypeError, KeyError, AttributeError) as exc:
                self.problems.append(f"{where}: {exc}")
                continue
            first = ids.setdefault(rule.promo_id, where)
            if first != where:
                self.problems.append(f"{where}: id: {rule.promo_id} duplicates {first}")
                continue
            out.append(rule)
        return out


def read_json(
    path: Path,
    rules: barcodes.ScanRules = barcodes.DEFAULT_RULES,
    currency: str | None = None,
    allowed_rates: Iterable[int] | None = None,
) -> JsonCatalog:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CatalogError([f"line {exc.lineno}: not valid JSON: {exc.msg}"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError([f"{path}: cannot read: {exc}"]) from None
    return JsonCatalog(data, rules, currency, allowed_rates)


def load_json(path: Path, rules: barcodes.ScanRules = barcodes.DEFAULT_RULES) -> Catalog:
    return _whole_catalog(read_json(path, rules))


def parse(data: Any, rules: barcodes.ScanRules = barcodes.DEFAULT_RULES) -> Catalog:
    return _whole_catalog(JsonCatalog(data, rules))


def _whole_catalog(source: JsonCatalog) -> Catalog:
    """The old contract: everything in memory, and any bad row refuses the whole file."""
    catalog = Catalog(source.currency)
    for item in source.items():
        catalog.products.append(item.product)
        if item.category or item.picture or item.names:
            catalog.details[item.product.gtin] = (item.category, item.picture, item.names)
        if item.stock is not None:
            catalog.stock[item.product.gtin] = item.stock
    catalog.promotions = source.promotions({p.gtin for p in catalog.products})
    if source.problems:
        raise CatalogError(source.problems)
    return catalog


def _tax_rates(rows: object, problems: list[str]) -> dict[int, str] | None:
    if not isinstance(rows, list) or not rows:
        problems.append('tax_rates: expected a list of {"rate": 23, "label": "A"}')
        return None
    out: dict[int, str] = {}
    for i, row in enumerate(rows):
        where = f"tax_rates[{i}]"
        if not isinstance(row, dict) or set(row) != {"rate", "label"}:
            problems.append(f'{where}: expected {{"rate": 23, "label": "A"}}')
            continue
        try:
            rate, label = vat_bp(row["rate"]), checked_text(row["label"], LABEL_MAX)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if rate in out:
            problems.append(f"{where}: rate: {percent(rate)} % is declared twice")
        out[rate] = label
    return out


def _promotion(
    row: dict[str, Any], currency: str, codes: Container[str], rules: barcodes.ScanRules
) -> Rule:
    """A catalog row (decimal prices, scannable codes) → a validated promotion rule.

    kind "multibuy" (the default): quantity, price | free, codes
    kind "buy_get":   buy {quantity, codes}, get {quantity, codes}, off (percent, 100)
    kind "unit_off":  codes, percent | amount, min
    kind "meal_deal": price, groups [{name, codes}]
    """

    def keys(values: object, where: str) -> list[str]:
        if not isinstance(values, list) or not values:
            raise ValueError(f"{where}: expected a list of codes")
        found = [lookup_key(str(c), rules) for c in values]
        unknown = [g for g in found if g not in codes]
        if unknown:
            raise ValueError(f"{where}: codes not in the catalog: {', '.join(sorted(unknown))}")
        return found

    def money(value: object) -> int | None:
        return None if value is None else parse_amount(str(value), currency)

    if not isinstance(row, dict):
        raise ValueError("expected an object")
    kind = row.get("kind", "multibuy")
    if kind not in _PROMOTION_KEYS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(_PROMOTION_KEYS)}")
    for key in ("id", "name"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise ValueError(f"{key}: required text")
    unknown = set(row) - _PROMOTION_KEYS[kind] - {"kind", "id", "name"}
    if unknown:
        raise ValueError(f"{sorted(unknown)[0]}: unknown field for a {kind} promotion")
    data: dict[str, Any] = {"kind": kind, "promo_id": str(row["id"]), "name": str(row["name"])}
    if kind == "multibuy":
        data |= {
            "gtins": keys(row.get("codes"), "codes"),
            "quantity": row.get("quantity"),
            "bundle_price_minor": money(row.get("price")),
            "free_units": row.get("free", 0),
        }
    elif kind == "buy_get":
        buy, get = row.get("buy") or {}, row.get("get") or {}
        data |= {
            "buy_gtins": keys(buy.get("codes"), "buy.codes"),
            "buy_quantity": buy.get("quantity"),
            "get_gtins": keys(get.get("codes"), "get.codes"),
            "get_quantity": get.get("quantity", 1),
            "percent_off": row.get("off", 100),
        }
    elif kind == "unit_off":
        data |= {
            "gtins": keys(row.get("codes"), "codes"),
            "percent_off": row.get("percent"),
            "amount_off_minor": money(row.get("amount")),
            "min_quantity": row.get("min", 1),
        }
    elif kind == "meal_deal":
        groups = row.get("groups")
        if not isinstance(groups, list):
            raise ValueError("groups: expected a list of {name, codes}")
        data |= {
            "price_minor": money(row.get("price")),
            "groups": [
                {"name": str(g.get("name")), "gtins": keys(g.get("codes"), f"groups[{i}].codes")}
                for i, g in enumerate(groups)
            ],
        }
    return from_dict(data)
