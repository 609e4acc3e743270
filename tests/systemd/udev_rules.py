"""A strict reader of udev rules files (udev(7)) and a small evaluator of the subset the
kiosk's rules use, so tests can say which device gets which name, group and mode."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

MATCH_KEYS = {
    "ACTION", "DEVPATH", "KERNEL", "KERNELS", "NAME", "SYMLINK", "SUBSYSTEM", "SUBSYSTEMS",
    "DRIVER", "DRIVERS", "ATTR", "ATTRS", "SYSCTL", "ENV", "CONST", "TAG", "TAGS", "TEST",
    "PROGRAM", "RESULT",
}  # fmt: skip
ASSIGN_KEYS = {
    "NAME", "SYMLINK", "OWNER", "GROUP", "MODE", "SECLABEL", "ATTR", "SYSCTL", "ENV", "TAG",
    "RUN", "LABEL", "GOTO", "IMPORT", "OPTIONS",
}  # fmt: skip
WITH_ATTRIBUTE = {"ATTR", "ATTRS", "SYSCTL", "ENV", "CONST", "TEST", "SECLABEL", "RUN", "IMPORT"}
IMPORT_TYPES = {"program", "builtin", "file", "db", "cmdline", "parent"}
ONLY_PLAIN_ASSIGN = {"LABEL", "GOTO", "IMPORT", "OWNER", "GROUP", "MODE", "NAME"}
_PAIR = re.compile(r'\s*([A-Z]+)(?:\{([^{}"]+)\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(,|$)')


@dataclass(frozen=True)
class Pair:
    key: str
    attr: str | None
    op: str
    value: str

    @property
    def is_match(self) -> bool:
        return self.op in ("==", "!=")


@dataclass(frozen=True)
class Rule:
    line: int
    pairs: tuple[Pair, ...]

    def assigns(self, key: str, attr: str | None = None) -> list[str]:
        return [p.value for p in self.pairs if not p.is_match and (p.key, p.attr) == (key, attr)]


def parse(path: Path) -> list[Rule]:
    """Every rule of the file; anything udev would reject or warn about fails an assert."""
    rules: list[Rule] = []
    lines = path.read_text().splitlines()
    assert path.read_text().endswith("\n")
    number = 0
    while number < len(lines):
        start = number + 1
        text = lines[number]
        while text.endswith("\\"):  # udev joins continuation lines
            number += 1
            text = text[:-1] + lines[number]
        number += 1
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        rules.append(Rule(start, _pairs(text, f"{path.name}:{start}")))
    labels = [r.assigns("LABEL")[0] for r in rules if r.assigns("LABEL")]
    assert len(labels) == len(set(labels)), f"a LABEL is defined twice: {labels}"
    for rule in rules:
        for goto in rule.assigns("GOTO"):
            assert any(r.line > rule.line and r.assigns("LABEL") == [goto] for r in rules), (
                f"line {rule.line}: GOTO {goto!r} has no LABEL after it"
            )
    return rules


def _pairs(text: str, where: str) -> tuple[Pair, ...]:
    pairs: list[Pair] = []
    pos = 0
    while pos < len(text.rstrip()):
        found = _PAIR.match(text, pos)
        assert found, f'{where}: cannot read a KEY op "value" at {text[pos:]!r}'
        key, attr, op, value, comma = found.groups()
        pair = Pair(key, attr, op, value)
        is_match = pair.is_match
        assert key in (MATCH_KEYS if is_match else ASSIGN_KEYS), f"{where}: {key} {op}"
        assert (attr is not None) == (key in WITH_ATTRIBUTE) or key == "RUN", f"{where}: {key}"
        if key in ONLY_PLAIN_ASSIGN and not is_match:
            assert op == "=", f"{where}: {key} takes =, not {op}"
        if key == "IMPORT":
            assert attr is not None and attr.split()[0] in IMPORT_TYPES, f"{where}: {attr}"
        if key == "MODE":
            assert re.fullmatch(r"0?[0-7]{3}", value), f"{where}: MODE {value!r}"
        if key == "SYMLINK" and not is_match:
            assert re.fullmatch(r"([A-Za-z0-9_.\-/]|\$env\{[A-Z_]+\})+", value), where
        pairs.append(pair)
        pos = found.end()
        if comma == "":
            break
    assert text[pos:].strip() == "", f"{where}: trailing text {text[pos:]!r}"
    assert any(not p.is_match for p in pairs), f"{where}: a rule that assigns nothing"
    return tuple(pairs)


@dataclass
class Device:
    """What udev knows of a device when it reaches these rules: its kernel name,
    subsystem, sysfs attributes and the properties earlier rules set (ID_*)."""

    kernel: str
    subsystem: str
    env: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, str] = field(default_factory=dict)
    action: str = "add"
    symlinks: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    group: str = "root"
    mode: str = "0600"


def _matches(pattern: str, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, alt) for alt in pattern.split("|"))


def _substitute(value: str, device: Device) -> str:
    return re.sub(r"\$env\{([A-Z_]+)\}", lambda m: device.env.get(m.group(1), ""), value)


def apply(rules: list[Rule], device: Device) -> Device:
    """Run the rules over `device` as udev would for the keys they use; IMPORT is skipped
    (give the properties it would import in `device.env`)."""
    skip_to: str | None = None
    for rule in rules:
        label = rule.assigns("LABEL")
        if skip_to is not None:
            if label == [skip_to]:
                skip_to = None
            continue
        if not all(_pair_matches(p, device) for p in rule.pairs if p.is_match):
            continue
        for p in rule.pairs:
            if p.is_match:
                continue
            value = _substitute(p.value, device)
            if p.key == "ENV" and p.attr:
                device.env[p.attr] = value
            elif p.key == "SYMLINK":
                device.symlinks.append(value)
            elif p.key == "TAG":
                device.tags.append(value)
            elif p.key == "GROUP":
                device.group = value
            elif p.key == "MODE":
                device.mode = value
            elif p.key == "GOTO":
                skip_to = value
    return device


def _pair_matches(p: Pair, device: Device) -> bool:
    actual = {
        "ACTION": device.action,
        "KERNEL": device.kernel,
        "SUBSYSTEM": device.subsystem,
    }.get(p.key)
    if p.key == "ENV":
        actual = device.env.get(p.attr or "", "")
    elif p.key == "ATTR":
        actual = device.attrs.get(p.attr or "", "")
    assert actual is not None, f"the evaluator does not know {p.key}"
    return _matches(p.value, actual) == (p.op == "==")
