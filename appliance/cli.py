"""The `kiosk` command: run the kiosk, run scenarios, inspect barcodes, import catalogs."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from appliance import config as config_mod
from appliance import out_of_service, store_cli
from appliance.core import barcodes
from appliance.shell import config_overlay

DEMO_CONFIG = Path(__file__).parent / "demo" / "kiosk.toml"
_log = logging.getLogger("kiosk.catalog")


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

    _add_catalog_parser(sub)

    store_cli.register(sub)
    out_of_service.register(sub)

    doctor = sub.add_parser(
        "doctor",
        help="every configured device and service, and why not when faulty (docs/doctor.md)",
        description="Exit 0: everything needed for selling is OK; 1: something is not;"
        " 2: usage or configuration error.",
    )
    doctor.add_argument("--sim", action="store_true", help="probe the simulated devices")
    doctor.add_argument("--json", action="store_true", help='one JSON document {"ok", "checks"}')
    doctor.add_argument("--config", type=Path, action="append", help="extra TOML file")
    doctor.add_argument("--data-dir", type=Path, help="store directory (kiosk.data_dir)")
    doctor.add_argument("--broker", metavar="HOST:PORT", help="with --sim: check this broker")

    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,  # python-escpos calls logging.basicConfig() when imported
    )
    if args.command in store_cli.COMMANDS:
        return store_cli.run(args)
    if args.command == "run":
        return _run(args)
    if args.command == "doctor":
        return _doctor(args)
    if args.command == "out-of-service":
        return out_of_service.run_from_args(args)
    if args.command == "scenario":
        return _scenario(args.file, args.json)
    if args.command == "catalog":
        if args.catalog_command == "import":
            return _catalog_import(args)
        return _catalog_show(args)
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
    try:  # head office's config commands: the last layer (docs/config.md)
        cfg = config_overlay.apply(cfg)
    except config_mod.ConfigError as exc:
        print(f"kiosk: configuration error: {exc}", file=sys.stderr)
        return 2
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
        config_mod.check_broker_files(cfg)  # a missing key file stops the start, named
    except config_mod.ConfigError as exc:
        print(f"kiosk: configuration error: {exc}", file=sys.stderr)
        return 2
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


def _doctor(args: argparse.Namespace) -> int:
    """Configuration as `kiosk run` reads it (with --sim: the demo's first, broker off
    unless --broker names one); the drivers' own warnings only with --verbose."""
    from appliance import doctor

    if not args.verbose:
        logging.getLogger().setLevel(logging.ERROR)
    files = [config_mod.SYSTEM_FILE, config_mod.BOOT_FILE, *(args.config or [])]
    if args.sim and not config_mod.SYSTEM_FILE.exists():
        files.insert(0, DEMO_CONFIG)
    broker: dict[str, object] = {"enabled": False} if args.sim else {}
    if args.broker:
        host, _, port = args.broker.rpartition(":")
        if not host or not port.isdigit():
            print("kiosk: --broker wants HOST:PORT", file=sys.stderr)
            return 2
        broker = {"enabled": True, "host": host, "port": int(port)}
    try:
        if missing := [str(f) for f in args.config or [] if not f.is_file()]:
            raise config_mod.ConfigError(f"{missing[0]}: no such file")
        cfg = config_mod.merge(config_mod.load(files), {"broker": broker}, "--broker")
    except config_mod.ConfigError as exc:
        print(f"kiosk: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.data_dir is not None:
        cfg = replace(cfg, kiosk=replace(cfg.kiosk, data_dir=str(args.data_dir)))
    return doctor.main(cfg, sys.stdout, sim=args.sim, as_json=args.json)


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


def _add_catalog_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    catalog = sub.add_parser("catalog", help="import or show the product catalog (docs/catalog.md)")
    commands = catalog.add_subparsers(dest="catalog_command", required=True)
    imp = commands.add_parser(
        "import",
        help="check a CSV or JSON catalog and stage it as the next version",
        description="Check every row; stage the file as the next catalog version. The kiosk"
        " applies it between sales, or at its next start. Exit 0: staged; 1: bad rows (nothing"
        " staged without --skip-bad); 2: usage or configuration error.",
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", choices=("csv", "json"), help="default: from the file name")
    imp.add_argument("--delta", action="store_true", help="upsert these rows, delete nothing")
    imp.add_argument("--skip-bad", action="store_true", help="stage the good rows anyway")
    show = commands.add_parser("show", help="the live version, its counts, the waiting version")
    show.add_argument("--json", action="store_true", help="one JSON object")
    for command in (imp, show):
        command.add_argument("--data-dir", type=Path, help="store directory (kiosk.data_dir)")
        command.add_argument("--config", type=Path, action="append", help="extra TOML file")


def _catalog_config(args: argparse.Namespace) -> config_mod.Config | None:
    files = [config_mod.SYSTEM_FILE, config_mod.BOOT_FILE, *(args.config or [])]
    missing = [str(f) for f in args.config or [] if not f.is_file()]
    try:
        if missing:
            raise config_mod.ConfigError(f"{missing[0]}: no such file")
        cfg = config_mod.load(files)
    except config_mod.ConfigError as exc:
        print(f"kiosk: configuration error: {exc}", file=sys.stderr)
        return None
    if args.data_dir is not None:
        cfg = replace(cfg, kiosk=replace(cfg.kiosk, data_dir=str(args.data_dir)))
    return cfg


def _catalog_import(args: argparse.Namespace) -> int:
    """Check the file and stage it; every problem on stderr, the summary on stdout."""
    from appliance.bootstrap import scan_rules
    from appliance.catalog_file import CatalogError
    from appliance.shell import catalog_import
    from appliance.shell.clock import SystemClock
    from appliance.shell.store import Store, StoreError

    cfg = _catalog_config(args)
    if cfg is None:
        return 2
    path: Path = args.file
    if not path.is_file():
        print(f"kiosk: {path}: no such file", file=sys.stderr)
        return 2
    kind = "delta" if args.delta else "full"
    try:
        store = Store.open(Path(cfg.kiosk.data_dir) / "kiosk.sqlite3")
    except StoreError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    with store:
        try:
            source = catalog_import.open_source(
                path, args.format, scan_rules(cfg), cfg.kiosk.currency, store
            )
        except CatalogError as exc:
            return _refused(path, exc.problems, "the file cannot be imported")
        except ValueError as exc:  # the format cannot be told from the name
            print(f"kiosk: {exc}", file=sys.stderr)
            return 2
        bar = ProgressBar(source.expected_rows, sys.stderr) if sys.stderr.isatty() else None
        source.progress = bar.update if bar else None
        try:
            version = catalog_import.stage(
                store,
                source,
                str(path.resolve()),
                kind,
                SystemClock().wall_iso(),
                skip_bad=args.skip_bad,
            )
        except CatalogError as exc:
            if bar:
                bar.finish(source.rows_read)
            problems = source.problems + ([] if exc.problems is source.problems else exc.problems)
            what = f"{_rows(source.rows_read)} read, {_rows(source.bad_rows)} bad"
            return _refused(path, problems, what, hint=bool(source.problems) and not args.skip_bad)
        except StoreError as exc:
            print(f"kiosk: {exc}", file=sys.stderr)
            return 2
        if bar:
            bar.finish(source.rows_read)
        waiting = catalog_import.pending(store)
    for problem in source.problems:
        print(f"{path.name}: {problem}", file=sys.stderr)
    imported = source.rows_read - source.bad_rows
    print(
        f"{_rows(source.rows_read)} read, {imported:,} imported, {source.bad_rows:,} skipped"
        + (f", {len(source.problems):,} problems (listed above)" if source.problems else "")
    )
    merged = "" if waiting is None or waiting.kind == kind else ", merged into the waiting full"
    rows = "" if waiting is None else f", {waiting.rows:,} products"
    print(
        f"staged catalog version {version} ({kind}{merged}{rows}); the kiosk applies it"
        " between sales, or at its next start"
    )
    if source.problems:
        _log.warning("%s: %d problems skipped (--skip-bad)", path, len(source.problems))
        return 1
    return 0


def _rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


def _refused(path: Path, problems: list[str], what: str, *, hint: bool = False) -> int:
    """Bad input: every problem on stderr, logged, and nothing changed."""
    for problem in problems:
        print(f"{path.name}: {problem}", file=sys.stderr)
    count = f"{len(problems):,} problem{'' if len(problems) == 1 else 's'}"
    print(f"{what}, {count}; nothing imported")
    if hint:
        print("(--skip-bad imports the good rows and skips the bad ones)")
    _log.warning("%s refused (%s); the catalog is unchanged", path, count)
    return 1


def _catalog_show(args: argparse.Namespace) -> int:
    from appliance.shell import catalog_import
    from appliance.shell.store import Store, StoreError

    cfg = _catalog_config(args)
    if cfg is None:
        return 2
    path = Path(cfg.kiosk.data_dir) / "kiosk.sqlite3"
    if not path.is_file():  # showing must not create an empty store
        print(f"kiosk: no store at {path}", file=sys.stderr)
        return 2
    try:
        with Store.open(path) as store:
            info = catalog_import.summary(store)
    except StoreError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
        return 0
    applied = f", applied {info['applied_at']} ({info['kind']})" if info["version"] else ""
    print(f"catalog version {info['version']}{applied}")
    rates = ", ".join(f"{r['rate_bp'] / 100:g} % {r['label']}" for r in info["tax_rates"])
    print(
        f"{info['products']:,} products, {info['names']:,} names in other languages,"
        f" {info['promotions']:,} promotions, tax rates: {rates or 'any'}"
    )
    waiting = info["pending"]
    if waiting is None:
        print("nothing waiting")
    else:
        print(
            f"waiting: version {waiting['version']} ({waiting['kind']}, {waiting['rows']:,} rows)"
            f" staged {waiting['staged_at']} from {waiting['source']}"
        )
        if waiting["error"]:
            print(f"  refused when applied: {waiting['error']}")
    return 0


class ProgressBar:
    """A text bar on a terminal: rows done of those expected, rows per second; redrawn at
    most every `every_s` seconds, so a fast import does not spend its time drawing."""

    def __init__(
        self,
        expected: int,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        every_s: float = 0.1,
        width: int = 30,
    ) -> None:
        self._expected = max(expected, 1)
        self._stream = stream
        self._clock = clock
        self._every_s = every_s
        self._width = width
        self._started = clock()
        self._drawn_at: float | None = None

    def update(self, done: int) -> None:
        now = self._clock()
        if self._drawn_at is not None and now - self._drawn_at < self._every_s:
            return
        self._drawn_at = now
        self._draw(done, now)

    def finish(self, done: int) -> None:
        self._draw(done, self._clock())
        self._stream.write("\n")
        self._stream.flush()

    def _draw(self, done: int, now: float) -> None:
        share = min(done / self._expected, 1.0)
        filled = round(share * self._width)
        rate = done / max(now - self._started, 1e-9)
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(f"\r[{bar}] {done:,}/{self._expected:,} rows  {rate:,.0f} rows/s")
        self._stream.flush()
