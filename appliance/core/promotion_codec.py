"""Promotions ↔ plain JSON-able dicts, so the store can keep them as data (pure).

Shape: {"kind": "multibuy" | "buy_get" | "unit_off" | "meal_deal", then the dataclass's
fields by name}. Money is integer minor units, GTINs are 14-digit strings, sets are sorted
lists, a meal deal's groups are [{"name": ..., "gtins": [...]}, ...] in order. Reading is
strict: an unknown kind or key, a missing field or a wrong type raises ValueError naming
the field, and the dataclasses then check ranges the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields
from typing import Any

from appliance.core.promotions import KINDS, Group, MealDeal, Rule


def to_dict(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": rule.kind}
    for f in fields(rule):
        value = getattr(rule, f.name)
        if isinstance(value, frozenset):
            value = sorted(value)
        elif isinstance(rule, MealDeal) and f.name == "groups":
            value = [{"name": g.name, "gtins": sorted(g.gtins)} for g in rule.groups]
        out[f.name] = value
    return out


def _text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected text, got {value!r}")
    return value


def _whole(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field}: expected a whole number, got {value!r}")
    return value


def _maybe_whole(field: str, value: object) -> int | None:
    return None if value is None else _whole(field, value)


def _gtins(field: str, value: object) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(g, str) for g in value):
        raise ValueError(f"{field}: expected a list of GTIN strings, got {value!r}")
    if len(set(value)) != len(value):
        raise ValueError(f"{field}: lists a GTIN twice")
    return frozenset(value)


def _groups(field: str, value: object) -> tuple[Group, ...]:
    if not isinstance(value, list):
        raise ValueError(f"{field}: expected a list of groups, got {value!r}")
    out = []
    for i, row in enumerate(value):
        if not isinstance(row, Mapping) or set(row) != {"name", "gtins"}:
            raise ValueError(f"{field}[{i}]: expected {{'name': ..., 'gtins': [...]}}")
        out.append(
            Group(
                _text(f"{field}[{i}].name", row["name"]),
                _gtins(f"{field}[{i}].gtins", row["gtins"]),
            )
        )
    return tuple(out)


_READERS: dict[str, Callable[[str, object], object]] = {
    "promo_id": _text,
    "name": _text,
    "gtins": _gtins,
    "buy_gtins": _gtins,
    "get_gtins": _gtins,
    "quantity": _whole,
    "buy_quantity": _whole,
    "get_quantity": _whole,
    "free_units": _whole,
    "min_quantity": _whole,
    "percent_off": _maybe_whole,
    "bundle_price_minor": _maybe_whole,
    "amount_off_minor": _maybe_whole,
    "price_minor": _whole,
    "groups": _groups,
}


def from_dict(data: Mapping[str, object]) -> Rule:
    """A promotion from its dict; ValueError names the first field that is wrong."""
    if not isinstance(data, Mapping):
        raise ValueError(f"promotion: expected an object, got {data!r}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {', '.join(sorted(KINDS))}, got {kind!r}")
    cls = KINDS[str(kind)]
    known = {f.name: f for f in fields(cls)}
    for key in data:
        if key != "kind" and key not in known:
            raise ValueError(f"{key}: not a field of a {kind} promotion")
    values: dict[str, Any] = {}
    for name, f in known.items():
        if name in data:
            values[name] = _READERS[name](name, data[name])
        elif f.default is MISSING:
            raise ValueError(f"{name}: missing")
    return cls(**values)
