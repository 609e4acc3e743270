"""`headoffice ingest` runs the ingest service; `headoffice sales` prints the stored sales."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path
from types import FrameType

from headoffice.db import LedgerError, SqliteLedger
from headoffice.ingest import Ingest

log = logging.getLogger("headoffice")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "ingest":
        return _ingest(args)
    return _sales(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="headoffice", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="store kiosk events and acknowledge them")
    ingest.add_argument("--broker", required=True, type=_host_port, metavar="HOST:PORT")
    ingest.add_argument("--db", required=True, type=Path, metavar="PATH", help="ledger file")
    ingest.add_argument("--client-id", help="MQTT client id (default: per host)")
    ingest.add_argument("--group", default="ingest", help="shared subscription group")

    sales = commands.add_parser("sales", help="print the stored sales")
    sales.add_argument("--db", required=True, type=Path, metavar="PATH", help="ledger file")
    sales.add_argument("--json", action="store_true", help="a JSON list instead of a table")
    return parser


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def _ingest(args: argparse.Namespace) -> int:
    host, port = args.broker
    ingest = Ingest(host, port, args.db, client_id=args.client_id, shared_group=args.group)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("%s: stopping", signal.Signals(signum).name)
        ingest.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        ingest.run_forever()
    except LedgerError as exc:
        log.error("%s", exc)
        return 1
    log.info("stopped: %d events stored, %d messages rejected", ingest.stored, ingest.rejected)
    return 0


def _sales(args: argparse.Namespace) -> int:
    if not args.db.is_file():
        log.error("no ledger at %s", args.db)
        return 1
    try:
        with SqliteLedger.open(args.db) as ledger:
            sales = ledger.sales()
    except LedgerError as exc:
        log.error("%s", exc)
        return 1
    try:
        if args.json:
            print(json.dumps([asdict(s) for s in sales], indent=2))
            return 0
        print(f"{'kiosk':<16} {'no.':>6}  {'at':<32} {'total (minor)':>16}  sale id")
        for s in sales:
            total = f"{s.total_minor} {s.currency}"
            print(f"{s.kiosk_id:<16} {s.sale_seq:>6}  {s.at:<32} {total:>16}  {s.sale_id}")
        print(f"{len(sales)} sale(s)")
    except BrokenPipeError:
        # `headoffice sales | head`: the reader left; say nothing more (Python docs, SIGPIPE)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
