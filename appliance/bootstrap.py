"""Composition root: config → devices (real or twin, by name) → store → loop. Nothing else
knows concrete classes. A twin is only ever chosen by name (`--sim` or config), never as
a fallback for missing hardware.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from appliance.catalog_file import Catalog, load_json
from appliance.config import SIM_DEVICES, Config
from appliance.core import barcodes, snapshot
from appliance.core.events import CatalogWaiting, OutboxDepthChanged
from appliance.core.signals import Colour, Lamp
from appliance.core.state import Checkout, KioskState, Rules
from appliance.money import minor_digits
from appliance.ports import (
    CardTerminal,
    Clock,
    Device,
    HelpButton,
    KeySwitch,
    ReceiptPrinter,
    Speaker,
)
from appliance.ports import Scanner as ScannerPort
from appliance.shell import catalog_import, headoffice_link, lookup, store_health
from appliance.shell.loop import Loop
from appliance.shell.runner import Ports, Runner
from appliance.shell.store import Store, StoreError
from drivers.gpio import GpioDrawer, GpioHelpButton, GpioKeySwitch, GpioLightTower
from drivers.receipt_layout import ReceiptLayout
from drivers.sim.card_terminal_sim import SimCardTerminal
from drivers.sim.gpio_sim import SimGpioBench
from drivers.sim.printer_sim import SimReceiptPrinter
from drivers.sim.scanner_sim import SimScanner
from drivers.sim.speaker_sim import SimSpeaker

log = logging.getLogger(__name__)

DEMO_CATALOG = Path(__file__).parent / "demo" / "catalog.json"
SAFE_LAMP = Lamp(Colour.RED)
CATALOG_LOOK_S = 5.0  # how often the running kiosk looks for a staged catalog version


class DeviceUnavailable(RuntimeError):
    """A configured device cannot be built; the kiosk must not sell without it."""


@dataclass
class SimHardware:
    """Handles on every twin, for the simulator's keys, scenarios and tests."""

    scanner: SimScanner
    printer: SimReceiptPrinter
    terminal: SimCardTerminal
    gpio: SimGpioBench
    speaker: SimSpeaker


@dataclass
class Devices:
    """Every device by its role, whichever adapter or twin config chose."""

    tower: GpioLightTower
    drawer: GpioDrawer
    key_switch: KeySwitch
    help_button: HelpButton
    scanner: ScannerPort
    printer: ReceiptPrinter
    terminal: CardTerminal
    speaker: Speaker
    gpio_bench: SimGpioBench | None

    def inputs(self) -> list[Any]:
        """The devices that report events, in the order they are started."""
        parts = [self.drawer, self.key_switch, self.help_button, self.scanner, self.printer]
        return [*parts, self.terminal]

    def all(self) -> list[Device]:
        parts: list[Device] = [self.tower, *self.inputs(), self.speaker]
        return parts if self.gpio_bench is None else [*parts, self.gpio_bench]


class Kiosk:
    """The assembled kiosk: start(), then run_once() from the main thread, then close()."""

    def __init__(
        self,
        config: Config,
        clock: Clock,
        store: Store,
        loop: Loop,
        devices: Devices,
        sim: SimHardware | None,
        reporter: Any | None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.store = store
        self.loop = loop
        self.devices = devices
        self.tower = devices.tower
        self.sim = sim
        self.reporter = reporter
        self._closed = False
        self._next_catalog_look_at = 0.0
        self.presence: headoffice_link.Presence | None = None  # with a reporter

    @property
    def state(self) -> KioskState:
        return self.loop.state

    def start(self) -> None:
        for device in self.devices.inputs():
            device.start(self.loop.emit)
        depth = self.store.outbox_depth()
        self.loop.emit(OutboxDepthChanged(at=self.clock.monotonic(), depth=depth))
        if self.reporter is not None:
            self.reporter.start()
        self.loop.process_pending()

    def run_once(self, timeout_s: float) -> None:
        """Wait for input or a deadline (at most timeout_s), step it, report what is due."""
        self.loop.wait(timeout_s)
        if self.reporter is not None:
            self.reporter.pump(self.store)
        if self.presence is not None:
            self.presence.run_once(self.loop.state)
        self._look_for_catalog()

    def _look_for_catalog(self) -> None:
        """Every few seconds: has `kiosk catalog import` staged a new version? (One
        read-only query; the core decides when it is applied: between sales.)"""
        now = self.clock.monotonic()
        if now < self._next_catalog_look_at:
            return
        self._next_catalog_look_at = now + CATALOG_LOOK_S
        waiting = catalog_import.pending(self.store)
        if waiting is not None and waiting.error is None:
            self.loop.emit(CatalogWaiting(at=now, version=waiting.version))

    def close(self) -> None:
        """Drive every output to a safe state (tower red, drawer untouched), release all."""
        if self._closed:
            return
        self._closed = True
        try:
            self.tower.show(SAFE_LAMP)
        except Exception:
            log.exception("could not show the safe lamp")
        for part in [self.reporter, *reversed(self.devices.all())]:
            if part is None:
                continue
            try:
                part.close()
            except Exception:
                log.exception("closing %r failed", part)
        self.store.close()

    def __enter__(self) -> Kiosk:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def build(
    config: Config,
    clock: Clock,
    *,
    sim: bool = False,
    catalog: Catalog | None = None,
    terminal_delay_s: float = 0.0,
) -> Kiosk:
    """Build the kiosk. With sim=True every device is its twin and, when the store has no
    products yet, the demo catalog (or `catalog`) is loaded."""
    if sim:
        config = replace(config, devices=SIM_DEVICES)
    store, store_fault = _open_store(Path(config.kiosk.data_dir) / store_health.STORE_FILE)
    store.low_stock_level = config.kiosk.low_stock_level
    try:  # a version staged while the kiosk was not running goes live before selling
        if not store_fault:
            catalog_import.apply_pending(store, clock.wall_iso())
    except StoreError as exc:
        log.error("catalog update not applied: %s", exc)
    if not store_fault and (catalog is not None or (sim and store.product_count() == 0)):
        catalog = catalog or load_json(DEMO_CATALOG, scan_rules(config))
        if catalog.currency != config.kiosk.currency:
            config = replace(config, kiosk=replace(config.kiosk, currency=catalog.currency))
        store.replace_catalog(catalog.products, catalog.promotions, catalog.stock, clock.wall_iso())
        if catalog.details:  # categories, pictures and names for the lookup screen
            lookup.keep_details(store, catalog.details)
    mono = clock.monotonic
    twins: SimHardware | None = None
    d = config.devices
    if d.gpio == "sim":
        bench = SimGpioBench(config.gpio)
        factory: Any = bench.factory
    else:
        factory = _real_pin_factory(d.gpio)
    tower = GpioLightTower(config.gpio, factory)
    drawer = GpioDrawer(config.gpio, factory, mono)
    key: KeySwitch = GpioKeySwitch(config.gpio, factory, mono)
    help_button: HelpButton = GpioHelpButton(config.gpio, factory, mono)
    if d.gpio == "sim":
        bench.rest()
    scanner: ScannerPort
    printer: ReceiptPrinter
    terminal: CardTerminal
    scanner = SimScanner(mono) if d.scanner == "sim" else _real_scanner(config, mono)
    if d.printer == "sim":
        layout = replace(receipt_layout(config), store_name=config.kiosk.store_name)
        printer = SimReceiptPrinter(monotonic=mono, layout=layout)
    else:
        printer = _real_printer(config, mono)
    terminal = SimCardTerminal(mono, delay_s=terminal_delay_s)
    speaker: Speaker = SimSpeaker() if d.speaker == "sim" else _real_speaker(config)
    if sim:
        assert isinstance(scanner, SimScanner) and isinstance(printer, SimReceiptPrinter)
        assert isinstance(terminal, SimCardTerminal) and isinstance(speaker, SimSpeaker)
        twins = SimHardware(scanner, printer, terminal, bench, speaker)
    rules = Rules(
        store_name=config.kiosk.store_name,
        currency=config.kiosk.currency,
        promotions=store.promotions(),
        shelf_prices=tuple(sorted(store.shelf_prices().items())),
        thank_you_s=config.kiosk.thank_you_s,
        scan_rules=scan_rules(config),
        cash_rounding_minor=config.kiosk.cash_rounding_minor,
        store_fault=store_fault,
        outbox_limit=config.kiosk.outbox_limit,
        drawer_alarm_s=config.gpio.drawer_alarm_s,
        idle_prompt_s=config.kiosk.idle_prompt_s,
        idle_staff_s=config.kiosk.idle_staff_s,
        ereceipt_url=config.kiosk.ereceipt_url,
        receipt_choice_s=config.kiosk.receipt_choice_s,
        ereceipt_s=config.kiosk.ereceipt_s,
    )
    runner = Runner(
        Ports(printer, terminal, drawer, speaker),
        store,
        clock,
        config.kiosk.id,
        # SystemClock asks the kernel whether NTP has set it; a clock that cannot say
        # (ports.Clock does not require it) stamps every record unsynced
        clock_synced=getattr(clock, "synced", lambda: False),
        currency=config.kiosk.currency,
    )
    initial = replace(
        _initial_state(store, rules), catalog_version=catalog_import.catalog_version(store)
    )
    loop = Loop(initial, runner, clock, tower)
    reporter = None
    presence: headoffice_link.Presence | None = None
    if config.broker.enabled:
        from appliance.shell.reporter import Reporter

        reporter = Reporter(
            config.kiosk.id,
            config.broker.host,
            config.broker.port,
            loop.emit,
            mono,
            keepalive_s=config.broker.keepalive_s,
            tls=config.broker.tls_files(),
            data_dir=Path(config.kiosk.data_dir),
            store_id=config.kiosk.store_id,
        )
        runner.on_delivered = reporter.notice_acked
        try:
            presence = headoffice_link.connect(
                config, store, clock, loop, reporter, scan_rules(config)
            )
        except headoffice_link.KeysUnreadable as exc:
            raise DeviceUnavailable(f"command keys: {exc}") from exc
    devices = Devices(
        tower,
        drawer,
        key,
        help_button,
        scanner,
        printer,
        terminal,
        speaker,
        bench if d.gpio == "sim" else None,
    )
    kiosk = Kiosk(config, clock, store, loop, devices, twins, reporter)
    kiosk.presence = presence
    return kiosk


def receipt_layout(config: Config) -> ReceiptLayout:
    """The receipt as the store prints it: its locale, and the e-receipt QR code if set."""
    return ReceiptLayout(
        locale=config.kiosk.locale, ereceipt_base_url=config.kiosk.ereceipt_url or None
    )


def scan_rules(config: Config) -> barcodes.ScanRules:
    """The store's barcode rules: its scales' label layout, in its currency's decimals."""
    preset = barcodes.PRESETS[config.kiosk.barcode_rules]
    return replace(preset, minor_digits=minor_digits(config.kiosk.currency))


def _open_store(path: Path) -> tuple[Store, str]:
    """The store, checked first: a damaged or lost store is never opened for writing; the
    kiosk then starts out of service on an empty in-memory store and says why."""
    health = store_health.check(path, trust_clean_close=True)
    new_kiosk = not health.exists and not health.high_water
    if health.fit or new_kiosk:
        for warning in health.warnings:
            log.warning("store: %s", warning)
        return Store.open(path), ""
    log.error("store not fit to sell: %s", "; ".join(health.problems))
    return Store.open(":memory:"), health.reason


def _initial_state(store: Store, rules: Rules) -> KioskState:
    """A fresh lane, or the unpaid sale a restart interrupted, back on screen; a lane that
    cannot sell at all when the store is not fit."""
    state = KioskState(rules=rules)
    if rules.store_fault:
        reason = f"The store cannot be used: {rules.store_fault}. Staff: kiosk store check"
        return replace(state, checkout=Checkout.OUT_OF_SERVICE, out_of_service_reason=reason)
    saved = store.load_open_sale()
    if saved is not None:
        try:
            state = snapshot.restore(state, saved)
        except ValueError as exc:
            log.error("the open sale could not be restored (%s); it stays in the store", exc)
        else:
            log.info("restored an open sale of %d items", state.basket.item_count)
    lane = store.load_lane()
    if lane is not None:
        try:
            state = snapshot.restore_lane(state, lane)
        except ValueError as exc:
            log.error("the lane's closure could not be restored (%s)", exc)
        else:
            log.info("the lane is as it was: %s", state.out_of_service_reason or "open")
    return state


def _real_scanner(config: Config, mono: Callable[[], float]) -> ScannerPort:
    from drivers.scanner_decode import ScanDecoder
    from drivers.scanner_evdev import EvdevScanner
    from drivers.scanner_serial import SerialScanner

    s = config.scanner
    try:
        if config.devices.scanner == "serial":
            if not s.serial_port:
                raise ValueError("scanner.serial_port is not set")
            return SerialScanner(
                s.serial_port,
                s.serial_baudrate,
                monotonic=mono,
                aim_prefix=s.aim_prefix,
                fnc1=s.fnc1,
                reconnect_s=s.reconnect_s,
            )
        if not s.device:
            raise ValueError("scanner.device is not set (/dev/input/by-id/... or vvvv:pppp)")
        terminator: Any = s.terminator
        decoder = ScanDecoder(s.layout, terminator, s.gap_s, s.aim_prefix, fnc1=s.fnc1)
        return EvdevScanner(s.device, decoder, mono, s.reconnect_s)
    except ValueError as exc:
        raise DeviceUnavailable(f"scanner: {exc}") from exc


def _real_printer(config: Config, mono: Callable[[], float]) -> ReceiptPrinter:
    from drivers.printer_escpos import EscPosReceiptPrinter
    from drivers.printer_transports import (
        NetworkTransport,
        SerialTransport,
        Transport,
        UsbTransport,
    )

    p = config.printer
    transport: Transport
    try:
        if config.devices.printer == "escpos-serial":
            if not p.serial_port:
                raise ValueError("printer.serial_port is not set")
            transport = SerialTransport(p.serial_port, p.serial_baudrate)
        elif config.devices.printer == "escpos-usb":
            if not (p.usb_vendor and p.usb_product):
                raise ValueError("printer.usb_vendor and printer.usb_product are not set")
            in_ep, out_ep = int(p.usb_in_ep, 16), int(p.usb_out_ep, 16)
            transport = UsbTransport(p.usb_vendor, p.usb_product, in_ep, out_ep)
        else:
            transport = NetworkTransport(p.host, p.port)
    except ValueError as exc:
        raise DeviceUnavailable(f"printer: {exc}") from exc
    return EscPosReceiptPrinter(
        transport, monotonic=mono, timeout_s=p.timeout_s, layout=receipt_layout(config)
    )


def _real_speaker(config: Config) -> Speaker:
    """The sounds through pygame.mixer; a lane without audio sells silently (logged)."""
    from drivers.speaker_pygame import PygameSpeaker

    return PygameSpeaker(config.ui.volume)


def _real_pin_factory(name: str) -> Any:
    try:
        from gpiozero.pins.lgpio import LGPIOFactory
    except ImportError as exc:
        raise DeviceUnavailable(f"GPIO pin factory {name!r} cannot load: {exc}") from exc
    try:
        return LGPIOFactory()
    except Exception as exc:
        raise DeviceUnavailable(f"GPIO pin factory {name!r}: {exc}") from exc
