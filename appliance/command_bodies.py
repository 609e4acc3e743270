"""The bodies of head office's commands: one strict schema per kind (docs/mqtt.md).

Pure. `appliance.commands` checks the signed envelope and calls `check_body`; the kiosk
checks a body's meaning when it applies it (a catalog version not newer than the live one
is refused then, by the catalog importer).
"""

from __future__ import annotations

import json
import re
from typing import Any

from appliance import config, wire

KINDS = ("catalog", "price", "stock-adjust", "out-of-service", "config", "rebirth", "resync")
MAX_INT = 2**63 - 1  # counters, times, versions: they fit the kiosk's SQLite integers
MAX_CATALOG_BYTES = 192 * 1024  # a `catalog` body's catalog as compact JSON; bigger: a file
MAX_PRICE_ROWS = 5_000
# Config keys head office may change: wording, timing and alert thresholds. Never identity
# (kiosk.id), money (currency, cash_rounding_minor), where data goes (data_dir, broker and
# printer hosts), devices or GPIO pins (a wrong pin could drive the drawer solenoid).
CONFIG_KEYS = frozenset(
    {
        "kiosk.store_name",
        "kiosk.locale",
        "kiosk.thank_you_s",
        "kiosk.low_stock_level",
        "printer.timeout_s",
        "broker.keepalive_s",
    }
)

_CODE = re.compile(r"[0-9]{1,14}")


class BodyError(ValueError):
    """A body that does not match its kind's schema; the message names the field."""


def _keys(body: dict[str, Any], *names: str) -> None:
    if set(body) != set(names):
        raise BodyError(f"expected exactly the fields {sorted(names)}, got {sorted(body)}")


def _int(value: Any, name: str, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise BodyError(f"{name}: expected a whole number {lo}..{hi}")
    return value


def _text(value: Any, name: str, lo: int, hi: int) -> str:
    if not isinstance(value, str) or not lo <= len(value) <= hi:
        raise BodyError(f"{name}: expected text of {lo}-{hi} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise BodyError(f"{name}: control characters are not allowed")
    return value


def _product_code(value: Any, name: str) -> None:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise BodyError(f"{name}: expected a product code of 1-14 digits")


def _catalog(body: dict[str, Any]) -> None:
    """{"mode": "full"|"delta", "catalog": <docs/catalog.md JSON, catalog_version required>}"""
    _keys(body, "mode", "catalog")
    if body["mode"] not in ("full", "delta"):
        raise BodyError("mode: expected 'full' or 'delta'")
    catalog = body["catalog"]
    if not isinstance(catalog, dict):
        raise BodyError("catalog: expected a catalog object (docs/catalog.md)")
    _int(catalog.get("version"), "catalog.version (the format)", 1, 1)
    _text(catalog.get("currency"), "catalog.currency", 3, 3)
    _int(catalog.get("catalog_version"), "catalog.catalog_version", 1, MAX_INT)
    if not isinstance(catalog.get("products", []), list):
        raise BodyError("catalog.products: expected a list")
    size = len(json.dumps(catalog, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_CATALOG_BYTES:
        raise BodyError(f"catalog: more than {MAX_CATALOG_BYTES} bytes; send it as a file")


def _price(body: dict[str, Any]) -> None:
    """{"catalog_version": N, "currency": "PLN", "rows": [{"code", "price_minor"}, ...]}"""
    _keys(body, "catalog_version", "currency", "rows")
    _int(body["catalog_version"], "catalog_version", 1, MAX_INT)
    currency = _text(body["currency"], "currency", 3, 3)
    if not currency.isalpha() or not currency.isupper():
        raise BodyError("currency: expected an ISO 4217 code")
    rows = body["rows"]
    if not isinstance(rows, list) or not 0 < len(rows) <= MAX_PRICE_ROWS:
        raise BodyError(f"rows: expected 1-{MAX_PRICE_ROWS} rows")
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or set(row) != {"code", "price_minor"}:
            raise BodyError(f"rows[{i}]: expected exactly code and price_minor")
        _product_code(row["code"], f"rows[{i}].code")
        _int(row["price_minor"], f"rows[{i}].price_minor", 0, 99_999_999)
        if row["code"] in seen:
            raise BodyError(f"rows[{i}].code: {row['code']} appears twice")
        seen.add(row["code"])


def _stock_adjust(body: dict[str, Any]) -> None:
    """{"code": "5900012345074", "delta": -3, "reason": "damaged"}"""
    _keys(body, "code", "delta", "reason")
    _product_code(body["code"], "code")
    if _int(body["delta"], "delta", -1_000_000, 1_000_000) == 0:
        raise BodyError("delta: 0 changes nothing")
    _text(body["reason"], "reason", 1, 80)


def _out_of_service(body: dict[str, Any]) -> None:
    """{"on": true, "reason": "cleaning"}"""
    _keys(body, "on", "reason")
    if not isinstance(body["on"], bool):
        raise BodyError("on: expected true or false")
    _text(body["reason"], "reason", 0, 200)


def _config(body: dict[str, Any]) -> None:
    """{"section.key": value, ...}: allow-listed keys, values checked as config files are."""
    if not 0 < len(body) <= len(CONFIG_KEYS):
        raise BodyError("expected 1 or more `section.key` settings")
    for name, value in body.items():
        if name not in CONFIG_KEYS:
            raise BodyError(f"{name}: not changeable remotely ({', '.join(sorted(CONFIG_KEYS))})")
        section, key = name.split(".")
        try:
            config.merge(config.Config(), {section: {key: value}}, "body")
        except config.ConfigError as exc:
            raise BodyError(str(exc)) from None


def _rebirth(body: dict[str, Any]) -> None:
    _keys(body)


def _resync(body: dict[str, Any]) -> None:
    """{"stream": "sales", "from_seq": 120}"""
    _keys(body, "stream", "from_seq")
    if not isinstance(body["stream"], str) or body["stream"] not in wire.STREAMS:
        raise BodyError(f"stream: expected one of {', '.join(sorted(wire.STREAMS))}")
    _int(body["from_seq"], "from_seq", 1, MAX_INT)


_SCHEMAS = {
    "catalog": _catalog,
    "price": _price,
    "stock-adjust": _stock_adjust,
    "out-of-service": _out_of_service,
    "config": _config,
    "rebirth": _rebirth,
    "resync": _resync,
}


def check_body(kind: str, body: dict[str, Any]) -> None:
    """BodyError unless `body` matches the schema of `kind` (one of KINDS)."""
    _SCHEMAS[kind](body)
