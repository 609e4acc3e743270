"""Catalog files (JSON, docs/catalog.md) → validated products, promotions and stock levels.

Outside input: every row is checked and every bad row is reported with its position and
reason; a file with any bad row loads nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from appliance.core import barcodes
from appliance.core.products import Product
from appliance.core.promotion_codec import from_dict
from appliance.core.promotions import Rule
from appliance.money import MoneyError, parse_amount


class CatalogError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems[:10]) + (" ..." if len(problems) > 10 else ""))


@dataclass
class Catalog:
    currency: str
    products: list[Product] = field(default_factory=list)
    promotions: list[Rule] = field(default_factory=list)
    stock: dict[str, int] = field(default_factory=dict)


def lookup_key(code: str, rules: barcodes.ScanRules = barcodes.DEFAULT_RULES) -> str:
    """A catalog code → the 14-digit key the scanner's parse will look up under the same
    store rules (a scale item's code with its price zeroed), or CatalogError."""
    scan = barcodes.parse(code, rules)
    if not scan.valid or not scan.gtin:  # a PLU has no GTIN to key a product by
        raise CatalogError([f"{code!r}: {scan.error or f'a {scan.kind.value} has no GTIN'}"])
    return scan.gtin


def vat_bp(value: object) -> int:
    """23 or "23" or 7.7 (percent) → basis points."""
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a VAT rate: {value!r}") from None
    if not rate.is_finite() or not 0 <= rate <= 100 or rate * 100 != int(rate * 100):
        raise ValueError(f"not a VAT rate: {value!r}")
    return int(rate * 100)


def load_json(path: Path, rules: barcodes.ScanRules = barcodes.DEFAULT_RULES) -> Catalog:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError([f"{path}: cannot read: {exc}"]) from None
    return parse(data, rules)


def parse(data: Any, rules: barcodes.ScanRules = barcodes.DEFAULT_RULES) -> Catalog:
    if not isinstance(data, dict) or data.get("version") != 1:
        raise CatalogError(['expected an object with "version": 1'])
    currency = data.get("currency")
    if not isinstance(currency, str) or len(currency) != 3:
        raise CatalogError(["currency: expected an ISO 4217 code"])
    catalog = Catalog(currency)
    problems: list[str] = []
    codes: dict[str, str] = {}
    for i, row in enumerate(data.get("products") or []):
        try:
            product, stock = _product(row, currency, rules)
        except (CatalogError, MoneyError, ValueError, TypeError, KeyError) as exc:
            problems.append(f"products[{i}]: {exc}")
            continue
        if product.gtin in codes:
            problems.append(f"products[{i}]: duplicate code {codes[product.gtin]}")
            continue
        codes[product.gtin] = row["code"]
        catalog.products.append(product)
        if stock is not None:
            catalog.stock[product.gtin] = stock
    for i, row in enumerate(data.get("promotions") or []):
        try:
            catalog.promotions.append(_promotion(row, currency, codes, rules))
        except (CatalogError, MoneyError, ValueError, TypeError, KeyError) as exc:
            problems.append(f"promotions[{i}]: {exc}")
    if problems:
        raise CatalogError(problems)
    return catalog


def _product(
    row: dict[str, Any], currency: str, rules: barcodes.ScanRules
) -> tuple[Product, int | None]:
    name = row["name"]
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        raise ValueError("name: 1 to 80 characters")
    age = row.get("age")
    if age is not None and (not isinstance(age, int) or not 0 < age <= 99):
        raise ValueError(f"age: expected years 1-99, got {age!r}")
    stock = row.get("stock")
    if stock is not None and (not isinstance(stock, int) or isinstance(stock, bool)):
        raise ValueError(f"stock: expected a whole number, got {stock!r}")
    product = Product(
        gtin=lookup_key(str(row["code"]), rules),
        name=name.strip(),
        price_minor=parse_amount(str(row["price"]), currency),
        vat_rate_bp=vat_bp(row.get("vat", 0)),
        age_limit=age,
        weighed=bool(row.get("weighed", False)),
    )
    return product, stock


def _promotion(
    row: dict[str, Any], currency: str, codes: dict[str, str], rules: barcodes.ScanRules
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

    kind = row.get("kind", "multibuy")
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
