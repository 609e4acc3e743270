"""The `kiosk` command: run the kiosk, run scenarios, inspect barcodes."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

from appliance import config as config_mod
from appliance.core import barcodes

DEMO_CONFIG = Path(__file__).parent / "demo" / "kiosk.toml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the kiosk")
    run.add_argument("--sim", action="store_true", help="simulated hardware and a demo catalog")
    run.add_argument("--headless", action="store_true", help="SDL's dummy video driver")
    run.add_argument("--config", type=Path, action="append", default=None, help="extra TOML file")
    run.add_argument("--data-dir", type=Path, help="store directory (overrides kiosk.data_dir)")
    run.add_argument("--screenshot", type=Path, help="save the last frame as PNG on exit")
    run.add_argument("--run-for", type=float, help="exit after this many seconds")
    run.add_argument(
        "--broker", metavar="HOST:PORT", help="report to this MQTT broker (with --sim: only then)"
    )
    run.add_argument(
        "--scan",
        action="append",
        default=[],
        metavar="CODE",
        help="with --sim: scan this code once started (repeatable; demos and screenshots)",
    )

    scenario = sub.add_parser("scenario", help="run a scenario file headless (docs/scenarios.md)")
    scenario.add_argument("file", type=Path)
    scenario.add_argument("--json", action="store_true", help="print sales, receipts, state")

    barcode = sub.add_parser("barcode", help="parse one barcode and print it as JSON")
    barcode.add_argument("code")

    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,  # python-escpos calls logging.basicConfig() when imported
    )
    if args.command == "run":
        return _run(args)
    if args.command == "scenario":
        return _scenario(args.file, args.json)
    return _barcode(args.code)


def _run(args: argparse.Namespace) -> int:
    from appliance import bootstrap
    from appliance.shell.clock import SystemClock

    files = [config_mod.SYSTEM_FILE, config_mod.BOOT_FILE, *(args.config or [])]
    if args.sim and not config_mod.SYSTEM_FILE.exists():
        # a developer's machine: the demo store's settings first, then the usual layers
        files.insert(0, DEMO_CONFIG)
    try:
        cfg = config_mod.load(files)
    except config_mod.ConfigError as exc:
        print(f"kiosk: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.data_dir is not None:
        cfg = replace(cfg, kiosk=replace(cfg.kiosk, data_dir=str(args.data_dir)))
    if args.broker:
        host, _, port = args.broker.rpartition(":")
        if not host or not port.isdigit():
            print("kiosk: --broker wants HOST:PORT", file=sys.stderr)
            return 2
        cfg = config_mod.merge(
            cfg, {"broker": {"enabled": True, "host": host, "port": int(port)}}, "--broker"
        )
    elif args.sim:
        # the simulator reports only when asked: a developer's machine may run its own broker
        cfg = replace(cfg, broker=replace(cfg.broker, enabled=False))
    try:
        kiosk = bootstrap.build(cfg, SystemClock(), sim=args.sim, terminal_delay_s=1.5)
    except bootstrap.DeviceUnavailable as exc:
        print(f"kiosk: cannot start: {exc}", file=sys.stderr)
        return 3
    from appliance.shell.notify import Notifier
    from ui import app

    def scan_given_codes() -> None:
        if kiosk.sim is not None:
            for code in args.scan:
                kiosk.sim.scanner.scan(code)

    if args.scan and kiosk.sim is None:
        print("kiosk: --scan needs --sim", file=sys.stderr)
        kiosk.close()
        return 2
    try:
        return app.run(
            kiosk,
            headless=args.headless,
            screenshot=args.screenshot,
            run_for_s=args.run_for,
            notifier=Notifier(),
            after_start=scan_given_codes,
        )
    except KeyboardInterrupt:
        # app.run has already closed the kiosk (tower red, devices released)
        print("kiosk: stopped", file=sys.stderr)
        return 130


def _scenario(path: Path, as_json: bool) -> int:
    from appliance.scenario import ScenarioError, run_file

    try:
        report = run_file(path)
    except ScenarioError as exc:
        print(f"FAIL {exc}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(f"ok {path}: {len(report['sales'])} sales, final screen {report['final']['screen']}")
    return 0


def _barcode(code: str) -> int:
    """Print one JSON object for one scan; exit 0 when it is valid, 1 when not.

    `expiry` is the GS1 date resolved against today's date here (the shell may read the
    clock; the core may not). ASCII-only JSON: an undecodable argument cannot break stdout.
    """
    import datetime as dt

    scan = barcodes.parse(code)
    out: dict[str, object] = {"valid": scan.valid, "kind": scan.kind.value, "gtin": scan.gtin}
    for key, value in (("price_minor", scan.price_minor), ("weight_g", scan.weight_g)):
        if value is not None:
            out[key] = value
    if scan.expiry_yymmdd is not None:
        today = dt.date.today()
        try:
            out["expiry"] = barcodes.resolve_gs1_date(scan.expiry_yymmdd, today).isoformat()
        except ValueError:
            out["expiry"] = scan.expiry_yymmdd
        out["expired"] = barcodes.is_expired(scan, today)
    for key, text in (("plu", scan.plu), ("addon", scan.addon)):
        if text is not None:
            out[key] = text
    if scan.organic:
        out["organic"] = True
    if scan.error:
        out["error"] = scan.error
    print(json.dumps(out))
    return 0 if scan.valid else 1
