"""Reading systemd's ini-style files (systemd.syntax(7)) the way systemd does, for tests."""

from __future__ import annotations

import re
from pathlib import Path

SYSTEMD_DIR = Path(__file__).resolve().parents[2] / "systemd"

_TIME_UNITS = {
    "us": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
}


def parse(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections of key -> values in order (keys may repeat). Strict: a line that is not a
    comment, a [Section] or Key=value, or a key before any section, fails loudly."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        where = f"{path.name}:{number}: {line!r}"
        header = re.fullmatch(r"\[([A-Za-z]+)\]", stripped)
        if header:
            current = sections.setdefault(header.group(1), {})
            continue
        pair = re.fullmatch(r"([A-Za-z][A-Za-z0-9]*)=(.*)", stripped)
        assert pair, f"not Key=value: {where}"
        assert current is not None, f"key before any [Section]: {where}"
        assert not pair.group(2).endswith("\\"), f"continuation lines are not used: {where}"
        assert " #" not in pair.group(2), f"a trailing comment is part of the value: {where}"
        current.setdefault(pair.group(1), []).append(pair.group(2))
    return sections


def value(sections: dict[str, dict[str, list[str]]], section: str, key: str) -> str:
    """The value systemd uses for a single-valued key: the last assignment."""
    values = sections.get(section, {}).get(key)
    assert values, f"[{section}] {key}= is not set"
    return values[-1]


def seconds(span: str) -> float:
    """A systemd time span ("15s", "2min", "1min 30s", "90") in seconds (systemd.time(7))."""
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", span.strip())
    assert parts and re.fullmatch(r"(\s*\d+(\.\d+)?\s*[a-z]*)+\s*", span), span
    return sum(float(n) * _TIME_UNITS[unit or "s"] for n, unit in parts)
