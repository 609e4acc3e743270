"""`headoffice ingest` runs the ingest service; `sales` and `fleet` print what it stored;
`keygen` and `send` make the command key and sign and publish commands to kiosks."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from types import FrameType

from appliance import commands as kiosk_commands
from appliance.broker_tls import TlsError, TlsFiles
from headoffice import commands as ho_commands
from headoffice import fleet
from headoffice.db import LedgerError, open_ledger
from headoffice.ingest import Ingest
from headoffice.reorder import ReorderWindow

log = logging.getLogger("headoffice")
DB_HELP = "the ledger: a SQLite file, or a PostgreSQL URL (postgresql://user@host/db)"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handlers = {"ingest": _ingest, "sales": _sales, "fleet": _fleet, "keygen": _keygen}
    return handlers.get(args.command, _send)(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="headoffice", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="store kiosk events and acknowledge them")
    ingest.add_argument("--broker", required=True, type=_host_port, metavar="HOST:PORT")
    ingest.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    ingest.add_argument("--client-id", help="MQTT client id (default: per host)")
    ingest.add_argument("--group", default="ingest", help="shared subscription group")
    window = ReorderWindow()
    ingest.add_argument(
        "--key", type=Path, metavar="FILE", help="command key to sign resync requests with"
    )
    ingest.add_argument(
        "--reorder-s", type=_positive(float), default=window.seconds, metavar="S",
        help=f"how long a gap may stay open before a resync (default {window.seconds:g})",
    )  # fmt: skip
    ingest.add_argument(
        "--reorder-count", type=_positive(int), default=window.count, metavar="N",
        help=f"or how many events may wait behind it (default {window.count})",
    )  # fmt: skip
    _add_tls(ingest)

    sales = commands.add_parser("sales", help="print the stored sales")
    sales.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    sales.add_argument("--json", action="store_true", help="a JSON list instead of a table")

    view = commands.add_parser("fleet", help="print every kiosk: presence, health, sales today")
    view.add_argument("--db", required=True, metavar="PATH|URL", help=DB_HELP)
    view.add_argument("--json", action="store_true", help="a JSON list instead of a table")

    keygen = commands.add_parser("keygen", help="make the key pair that signs commands")
    keygen.add_argument("--out", required=True, type=Path, metavar="DIR", help="where to write")

    send = commands.add_parser("send", help="sign and publish a command to a kiosk")
    send.add_argument("kiosk", metavar="KIOSK", help="a kiosk id, or group:<store id>")
    send.add_argument("kind", metavar="KIND", choices=kiosk_commands.KINDS)
    send.add_argument("--body", default="{}", metavar="JSON", help="the body (default {})")
    send.add_argument("--expires-in", type=int, metavar="S", help="lifetime in seconds")
    send.add_argument("--key", type=Path, default=Path(ho_commands.KEY_FILE), metavar="FILE")
    send.add_argument("--broker", required=True, type=_host_port, metavar="HOST:PORT")
    send.add_argument("--wait", action="store_true", help="wait for the kiosk's result")
    send.add_argument("--timeout", type=float, default=30.0, metavar="S", help="for --wait")
    _add_tls(send)
    return parser


def _add_tls(parser: argparse.ArgumentParser) -> None:
    # not --key: `send --key` is the command-signing key
    tls = parser.add_argument_group("TLS (docs/tls.md): all three, or none for plain MQTT")
    tls.add_argument("--tls-ca", type=Path, metavar="FILE", help="CA of the broker's cert")
    tls.add_argument("--tls-cert", type=Path, metavar="FILE", help="head office's certificate")
    tls.add_argument("--tls-key", type=Path, metavar="FILE", help="its private key")


def _tls(args: argparse.Namespace) -> TlsFiles | None:
    """The TLS files given, checked; None for plain MQTT. TlsError names what is wrong."""
    given = (args.tls_ca, args.tls_cert, args.tls_key)
    if all(path is None for path in given):
        return None
    if any(path is None for path in given):
        raise TlsError("--tls-ca, --tls-cert and --tls-key go together")
    files = TlsFiles(*given, names=("--tls-ca", "--tls-cert", "--tls-key"))
    files.check()
    return files


def _positive(kind: type[float] | type[int]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected more than 0, got {text}")
        return value

    return parse


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def _ingest(args: argparse.Namespace) -> int:
    host, port = args.broker
    try:
        tls = _tls(args)
        if args.key is not None:
            ho_commands.load_key(args.key)  # refuse a bad key now, not at the first gap
        ingest = Ingest(
            host, port, args.db, client_id=args.client_id, shared_group=args.group, tls=tls,
            reorder=ReorderWindow(args.reorder_s, args.reorder_count), command_key=args.key,
        )  # fmt: skip
    except (TlsError, ValueError) as exc:
        log.error("%s", exc)
        return 2

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
    try:
        with open_ledger(args.db, create=False) as ledger:
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


def _fleet(args: argparse.Namespace) -> int:
    try:
        with open_ledger(args.db, create=False) as ledger:
            rows = fleet.fleet(ledger.kiosk_states())
    except (LedgerError, ValueError) as exc:
        log.error("%s", exc)
        return 1
    try:
        print(fleet.to_json(rows) if args.json else fleet.render_table(rows))
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _keygen(args: argparse.Namespace) -> int:
    try:
        private, public = ho_commands.keygen(args.out)
    except OSError as exc:
        log.error("%s", exc)
        return 1
    key_id = kiosk_commands.key_id(kiosk_commands.load_public_key(public.read_bytes()))
    print(f"private key {private} (keep it at head office, mode 0600)")
    print(f"public key  {public} (install on every kiosk), key id {key_id}")
    return 0


def _send(args: argparse.Namespace) -> int:
    try:
        body = json.loads(args.body)
    except json.JSONDecodeError as exc:
        log.error("--body: not JSON: %s", exc)
        return 2
    if not isinstance(body, dict):
        log.error("--body: expected a JSON object")
        return 2
    host, port = args.broker
    try:
        tls = _tls(args)
    except TlsError as exc:
        log.error("not sent: %s", exc)
        return 2
    try:
        sent = ho_commands.send(
            host,
            port,
            args.key,
            args.kiosk,
            args.kind,
            body,
            time.time(),
            expires_in_s=args.expires_in,
            wait_s=args.timeout if args.wait else None,
            tls=tls,
        )
    except (kiosk_commands.CommandError, ValueError) as exc:
        log.error("not sent: %s", exc)
        return 2
    except ho_commands.SendError as exc:
        log.error("not sent: %s", exc)
        return 1
    print(f"sent {args.kind} {sent.cmd_id} to {sent.topic} (counter {sent.counter})")
    if not args.wait:
        return 0
    if sent.result is None:
        log.error("no result from %s within %.0f s", args.kiosk, args.timeout)
        return 1
    r = sent.result
    print(f"{args.kiosk}: {r['outcome']} ({r['code']}) {r['reason']}".rstrip())
    return 0 if r["outcome"] == "applied" else 1
