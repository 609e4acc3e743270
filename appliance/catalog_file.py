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
from appliance.core.promotions import Promotion
from appliance.money import MoneyError, parse_amount


class CatalogError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems[:10]) + (" ..." if len(problems) > 10 else ""))


@dataclass
class Catalog:
    currency: str
    products: list[Product] = field(default_factory=list)
    promotions: list[Promotion] = field(default_factory=list)
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
) -> Promotion:
    gtins = frozenset(lookup_key(str(c), rules) for c in row["codes"])
    unknown = [g for g in gtins if g not in codes]
    if unknown:
        raise ValueError(f"codes not in the catalog: {', '.join(sorted(unknown))}")
    quantity = int(row["quantity"])
    price = row.get("price")
    free = int(row.get("free", 0))
    if quantity < 2 or (price is None) == (free == 0) or not 0 <= free < quantity:
        raise ValueError("a multi-buy needs quantity >= 2 and either a price or free units")
    return Promotion(
        promo_id=str(row["id"]),
        name=str(row["name"]),
        gtins=gtins,
        quantity=quantity,
        bundle_price_minor=None if price is None else parse_amount(str(price), currency),
        free_units=free,
    )
