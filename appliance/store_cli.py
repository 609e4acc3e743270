"""`kiosk store check|recover` and `kiosk export sales`: the store of record from a shell.

docs/store.md is the operator's guide. appliance/cli.py wires these in with `register`
and `run`; `python -m appliance.store_cli` runs them on their own.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from appliance import config as config_mod
from appliance.core.tax import tax_included, tax_table
from appliance.money import minor_digits
from appliance.shell import store_health
from appliance.shell.schema import LINES_OF_SALE

COMMANDS = frozenset({"store", "export"})

CSV_COLUMNS = (
    "sale_seq",
    "sale_id",
    "at",
    "date",
    "currency",
    "payment_method",
    "payment_reference",
    "sale_total",
    "sale_saved",
    "line_no",
    "gtin",
    "name",
    "quantity",
    "unit_price",
    "line_total",
    "line_paid",
    "vat_rate",
    "line_vat",
    "line_net",
)


def register(sub: Any) -> None:
    """Add `store` and `export` to the `kiosk` command's subparsers."""
    store = sub.add_parser("store", help="check or recover the store of record (docs/store.md)")
    actions = store.add_subparsers(dest="store_command", required=True)
    check = actions.add_parser("check", help="is the store fit to sell from? (exit 1 if not)")
    _data_dir(check)
    check.add_argument("--quick", action="store_true", help="quick_check, not integrity_check")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    recover = actions.add_parser(
        "recover", help="keep the damaged store aside, salvage it into a fresh one"
    )
    _data_dir(recover)
    recover.add_argument(
        "--backup-dir", type=Path, help="where the damaged files go (default DATA_DIR/damaged)"
    )
    recover.add_argument(
        "--above",
        type=int,
        default=0,
        metavar="N",
        help="number the next sale above N too (head office's last sale for this kiosk)",
    )
    recover.add_argument("--force", action="store_true", help="rebuild even a healthy store")

    export = sub.add_parser("export", help="export records for accountants")
    kinds = export.add_subparsers(dest="export_command", required=True)
    sales = kinds.add_parser("sales", help="sales with their lines, by date (inclusive)")
    _data_dir(sales)
    sales.add_argument("--from", dest="date_from", type=_date, required=True, metavar="DATE")
    sales.add_argument("--to", dest="date_to", type=_date, required=True, metavar="DATE")
    sales.add_argument("--format", choices=("csv", "json"), default="csv")
    sales.add_argument(
        "--tz",
        type=_zone,
        default=None,
        metavar="ZONE",
        help="time zone of the dates, e.g. Europe/Warsaw (default: this machine's)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        path = _store_path(args)
    except config_mod.ConfigError as exc:
        print(f"kiosk: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.command == "store" and args.store_command == "check":
        return _check(path, args.quick, args.json)
    if args.command == "store":
        return _recover(path, args.backup_dir or path.parent / "damaged", args.above, args.force)
    return _export_sales(path, args.date_from, args.date_to, args.format, args.tz)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__)
    register(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


def _data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", type=Path, help="the store's directory (default: kiosk.data_dir)"
    )


def _store_path(args: argparse.Namespace) -> Path:
    data_dir = args.data_dir
    if data_dir is None:
        data_dir = Path(config_mod.load().kiosk.data_dir)
    return Path(data_dir) / store_health.STORE_FILE


def _date(text: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"unknown time zone {name!r}") from None


# -- store check / recover ---------------------------------------------------------------


def _check(path: Path, quick: bool, as_json: bool) -> int:
    health = store_health.check(path, quick=quick)
    if as_json:
        out = {
            "path": health.path,
            "fit": health.fit,
            "exists": health.exists,
            "problems": list(health.problems),
            "warnings": list(health.warnings),
            "schema_version": health.schema_version,
            "sales": health.sales,
            "last_sale_seq": health.last_sale_seq,
            "outbox_depth": health.outbox_depth,
            "high_water": health.high_water,
        }
        print(json.dumps(out, indent=2))
    else:
        print("\n".join(health.lines()))
        if not health.fit:
            print("The kiosk will not sell from this store. docs/store.md: `kiosk store recover`.")
    return 0 if health.fit else 1


def _recover(path: Path, backup_dir: Path, above: int, force: bool) -> int:
    before = store_health.check(path)
    if before.fit and not force:
        print("\n".join(before.lines()))
        print("Nothing to recover (--force rebuilds a healthy store anyway).")
        return 0
    try:
        report = store_health.recover(path, backup_dir, at_least=above)
    except (store_health.RecoveryError, OSError) as exc:
        print(f"kiosk: cannot recover: {exc}", file=sys.stderr)
        return 1
    print("\n".join(report.lines()))
    return 0 if report.health.fit else 1


# -- export sales ------------------------------------------------------------------------


def _export_sales(path: Path, first: date, last: date, fmt: str, zone: tzinfo | None) -> int:
    if first > last:
        print(f"kiosk: --from {first} is after --to {last}", file=sys.stderr)
        return 2
    if not path.exists():
        print(f"kiosk: the store {path} is missing", file=sys.stderr)
        return 1
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        print(f"kiosk: cannot open the store: {exc}", file=sys.stderr)
        return 1
    try:
        sales = list(_sales_between(db, first, last, zone))
    except sqlite3.DatabaseError as exc:
        print(f"kiosk: the sales cannot be read: {exc}", file=sys.stderr)
        return 1
    finally:
        db.close()
    if fmt == "json":
        period = {"from": first.isoformat(), "to": last.isoformat()}
        print(json.dumps({**period, "sales": sales}, indent=2, ensure_ascii=False))
    else:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for sale in sales:
            for line in sale["lines"]:
                writer.writerow(
                    [
                        sale["sale_seq"],
                        sale["sale_id"],
                        sale["at"],
                        sale["date"],
                        sale["currency"],
                        sale["payment"]["method"],
                        sale["payment"]["reference"],
                        sale["total"],
                        sale["saved"],
                        line["line_no"],
                        line["gtin"],
                        line["name"],
                        line["quantity"],
                        line["unit_price"],
                        line["total"],
                        line["paid"],
                        line["vat_rate"],
                        line["vat"],
                        line["net"],
                    ]
                )
    return 0


def _sales_between(
    db: sqlite3.Connection, first: date, last: date, zone: tzinfo | None
) -> Iterator[dict[str, Any]]:
    """Sales whose time, in `zone`, falls on a date from `first` to `last`, by number.

    The journal keeps UTC; a local date can start up to 14 hours either side of it, so
    the SQL takes a margin of days and each sale's own date decides."""
    low = (first - timedelta(days=2)).isoformat()
    high = (last + timedelta(days=2)).isoformat()
    rows = db.execute(
        "SELECT s.sale_id, s.seq, s.at, s.currency, s.total_minor, s.saved_minor,"
        " s.payment_method, s.payment_reference, l.line_no, l.gtin, l.name, l.quantity,"
        " l.unit_price_minor, l.total_minor, COALESCE(l.paid_minor, l.total_minor),"
        f" l.vat_rate_bp FROM sales s JOIN sale_lines l ON {LINES_OF_SALE}"
        " WHERE s.at >= ? AND s.at < ? ORDER BY s.seq, l.line_key",
        (low, high),
    )
    sale: dict[str, Any] | None = None
    paid: list[tuple[int, int]] = []
    for row in rows:
        sale_id, seq, at, currency, total, saved, method, reference = row[:8]
        if sale is None or sale["sale_id"] != sale_id:
            if sale is not None:
                yield _with_vat(sale, paid)
            when = datetime.fromisoformat(at)
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            local = when.astimezone(zone) if zone else when.astimezone()
            if not first <= local.date() <= last:
                sale = None
                continue
            sale = {
                "sale_seq": seq,
                "sale_id": sale_id,
                "at": at,
                "date": local.date().isoformat(),
                "currency": currency,
                "total": _money(total, currency),
                "saved": _money(saved, currency),
                "payment": {"method": method, "reference": reference},
                "lines": [],
            }
            paid = []
        line_no, gtin, name, quantity, unit, line_total, line_paid, rate = row[8:]
        vat = tax_included(line_paid, rate)
        sale["lines"].append(
            {
                "line_no": line_no,
                "gtin": gtin,
                "name": name,
                "quantity": quantity,
                "unit_price": _money(unit, currency),
                "total": _money(line_total, currency),
                "paid": _money(line_paid, currency),
                "vat_rate": _percent(rate),
                "vat": _money(vat, currency),
                "net": _money(line_paid - vat, currency),
            }
        )
        paid.append((rate, line_paid))
    if sale is not None:
        yield _with_vat(sale, paid)


def _with_vat(sale: dict[str, Any], paid: list[tuple[int, int]]) -> dict[str, Any]:
    """The sale's VAT table as its receipt shows it (per rate, rounded once per rate)."""
    currency = sale["currency"]
    sale["vat"] = [
        {
            "rate": _percent(row.rate_bp),
            "gross": _money(row.gross_minor, currency),
            "vat": _money(row.tax_minor, currency),
            "net": _money(row.net_minor, currency),
        }
        for row in tax_table(paid)
    ]
    return sale


def _money(minor: int, currency: str) -> str:
    """349 EUR → "3.49"; decimal text, never a float. The currency is its own column."""
    digits = minor_digits(currency)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{part:0{digits}d}" if digits else f"{sign}{whole}"


def _percent(rate_bp: int) -> str:
    """2300 → "23", 550 → "5.5", 0 → "0"."""
    whole, part = divmod(rate_bp, 100)
    return f"{whole}.{part:02d}".rstrip("0").rstrip(".") if part else str(whole)


if __name__ == "__main__":
    sys.exit(main())
