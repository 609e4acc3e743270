"""CSV catalogs (docs/catalog.md): a header row, then one product per row, read as a stream.

Line numbers are the file's own (the header is line 1; a quoted field may span lines and
its row is named by the line it starts on). The file is checked as UTF-8 before any row
is read, so a stray Latin-1 byte is reported with its line, not as a crash halfway.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from appliance.catalog_rows import (
    COLUMNS,
    NAME_COLUMN,
    REQUIRED,
    CatalogError,
    CatalogSource,
    Item,
    languages,
)
from appliance.core import barcodes

_CHUNK = 1 << 20


class CsvCatalog(CatalogSource):
    """A CSV file in the store's currency. CSV carries products only: no promotions and no
    tax rates of its own (rows are checked against the store's rates when it has any)."""

    def __init__(
        self,
        path: Path,
        rules: barcodes.ScanRules,
        currency: str,
        allowed_rates: Iterable[int] | None = None,
    ) -> None:
        super().__init__(currency, rules, allowed_rates)
        self.path = path
        lines = _count_lines(path)
        self.header = _header(path)
        self.expected_rows = max(lines - 1, 0)
        self._languages = languages(self.header)

    def items(self) -> Iterator[Item]:
        width = len(self.header)
        with self.path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, strict=True)
            try:
                next(reader)
                start = reader.line_num + 1
                for fields in reader:
                    where = f"line {start}"
                    start = reader.line_num + 1
                    if not any(fields):
                        continue  # a blank line (or a row of empty cells) is no row
                    self._counted()
                    if len(fields) != width:
                        self.reject(where, None, f"{len(fields)} fields, the header has {width}")
                        continue
                    row = dict(zip(self.header, fields, strict=True))
                    item = self.check_row(row, where, self._languages)
                    if item is not None:
                        yield item
            except csv.Error as exc:
                raise CatalogError([f"line {reader.line_num}: {exc}"]) from None
        self._done()


def _count_lines(path: Path) -> int:
    """Lines in the file (for the progress bar), after checking it is UTF-8 throughout."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    last = b""
    try:
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    line = lines + chunk[: max(exc.start, 0)].count(b"\n") + 1
                    raise CatalogError([f"line {line}: not UTF-8 text"]) from None
                lines += chunk.count(b"\n")
                last = chunk[-1:]
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise CatalogError(
            [f"line {lines + 1}: not UTF-8 text (the file ends mid-character)"]
        ) from None
    except OSError as exc:
        raise CatalogError([f"{path}: cannot read: {exc}"]) from None
    return lines + (1 if last not in (b"", b"\n") else 0)


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        try:
            header = next(csv.reader(f, strict=True), None)
        except csv.Error as exc:
            raise CatalogError([f"line 1: {exc}"]) from None
    if not header or not any(header):
        raise CatalogError(["line 1: expected a header row (code,name,price,vat,...)"])
    names = [column.strip().lower() for column in header]
    problems = []
    seen: set[str] = set()
    for i, name in enumerate(names, start=1):
        if not name:
            problems.append(f"line 1: column {i}: has no name")
        elif name in seen:
            problems.append(f"line 1: {name}: appears twice")
        elif name not in COLUMNS and not NAME_COLUMN.fullmatch(name):
            problems.append(f"line 1: {name}: unknown column")
        seen.add(name)
    problems += [f"line 1: {c}: required column missing" for c in REQUIRED if c not in seen]
    if problems:
        raise CatalogError(problems)
    return names
