"""`kiosk doctor`: every configured device and service, its state, and why when it is faulty.

One probe per concern (appliance/doctor_probes.py), each run in its own thread with a
deadline: a probe that raises or hangs becomes a fault on its own line and the others
still run. Devices are built by name from config as bootstrap builds them (a twin only
when config or --sim names it); the store is only read. docs/doctor.md is for operators.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, TextIO, TypeVar

from gpiozero import DigitalInputDevice

from appliance import bootstrap
from appliance import doctor_probes as probes
from appliance.bootstrap import SimHardware
from appliance.config import SIM_DEVICES, Config, GpioSection
from appliance.core.events import KeyPosition
from appliance.doctor_probes import Finding, HostSources
from drivers.gpio import GpioDrawer, GpioKeySwitch
from drivers.sim.card_terminal_sim import SimCardTerminal
from drivers.sim.gpio_sim import SimGpioBench
from drivers.sim.printer_sim import SimReceiptPrinter
from drivers.sim.scanner_sim import SimScanner
from drivers.sim.speaker_sim import SimSpeaker

OK, WARN, FAULT = "OK", "WARN", "FAULT"
DEVICE_WAIT_S = 3.0
"""How long a scanner (or the twin printer) has to be found, or to say why not."""
BROKER_WAIT_S = 5.0
"""TCP connect, then CONNACK: each within this."""
STORE_WAIT_S = 60.0
"""quick_check reads every page: a big store on an SD card takes a while."""
GRACE_S = 2.0
"""On top of a probe's own waits, before the doctor stops waiting for it."""
STATE_COLUMN_MAX = 32  # a longer state (a long device path) pushes only its own reason
T = TypeVar("T")


@dataclass(frozen=True)
class Check:
    """One line of the report. `reason`: why it is faulty or needs attention, else ""."""

    name: str
    ok: bool
    needed_for_selling: bool
    state: str
    reason: str = ""

    @property
    def status(self) -> str:
        """FAULT: the lane cannot sell; WARN: it can, but look at it; OK."""
        if not self.ok:
            return FAULT if self.needed_for_selling else WARN
        return WARN if self.reason else OK

    def as_dict(self) -> dict[str, object]:
        return {"status": self.status, **asdict(self)}


@dataclass(frozen=True)
class Probe:
    name: str
    needed_for_selling: bool
    look: Callable[[], Finding]
    timeout_s: float = 5.0


def run(probe_list: Sequence[Probe]) -> list[Check]:
    """Each probe in turn, in its own daemon thread, given up on after its timeout."""
    return [_run_one(probe) for probe in probe_list]


def _run_one(probe: Probe) -> Check:
    outcome: list[Finding | Exception] = []

    def look() -> None:
        try:
            outcome.append(probe.look())
        except Exception as exc:  # any probe's failure is its own line, never the report's
            outcome.append(exc)

    thread = threading.Thread(target=look, name=f"doctor-{probe.name}", daemon=True)
    thread.start()
    thread.join(probe.timeout_s)
    need = probe.needed_for_selling
    if not outcome:
        return Check(probe.name, False, need, "no answer", f"no answer in {probe.timeout_s:g} s")
    found = outcome[0]
    if isinstance(found, Exception):
        return Check(probe.name, False, need, "error", str(found) or type(found).__name__)
    return Check(probe.name, found.ok, need, found.state, found.reason)


def ready_to_sell(checks: Sequence[Check]) -> bool:
    return all(c.ok for c in checks if c.needed_for_selling)


class GpioInputs:
    """The drawer sensor, key switch and help button on one pin factory."""

    def __init__(self, pins: GpioSection, factory: Any, *, owns_factory: bool) -> None:
        self._factory = factory if owns_factory else None
        self._parts: list[Any] = []
        try:
            self._drawer = self._keep(GpioDrawer(pins, factory, time.monotonic))
            self._key = self._keep(GpioKeySwitch(pins, factory, time.monotonic))
            # GpioHelpButton does not say whether it is held: its pin, wired the same way
            self._help = self._keep(
                DigitalInputDevice(pins.help_button, pull_up=True, pin_factory=factory)
            )
        except BaseException:
            self.close()
            raise

    def _keep(self, part: T) -> T:
        self._parts.append(part)
        return part

    @property
    def drawer_closed(self) -> bool:
        return self._drawer.is_closed

    @property
    def key_position(self) -> KeyPosition:
        return self._key.position

    @property
    def help_pressed(self) -> bool:
        return bool(self._help.is_active)

    def close(self) -> None:
        for part in [*reversed(self._parts), self._factory]:
            if part is not None:
                part.close()
        self._parts, self._factory = [], None


class _RealPins:
    """GpioInputs on the configured pin factory, built on first use; a failure is kept and
    raised to every probe that asks, so each GPIO line says why."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._lock = threading.Lock()
        self.inputs: GpioInputs | None = None
        self._error: Exception | None = None

    def get(self) -> GpioInputs:
        with self._lock:
            if self.inputs is None and self._error is None:
                try:
                    factory = bootstrap._real_pin_factory(self._config.devices.gpio)
                    self.inputs = GpioInputs(self._config.gpio, factory, owns_factory=True)
                except Exception as exc:
                    hint = " (is the kiosk running? systemctl stop kiosk)"
                    text = f"{exc}{hint if 'busy' in str(exc).lower() else ''}"
                    self._error = RuntimeError(text or type(exc).__name__)
            if self._error is not None:
                raise self._error
            assert self.inputs is not None
            return self.inputs


@dataclass
class Twins:
    """The simulated devices, built as bootstrap builds them; tests make them fail first."""

    hardware: SimHardware
    inputs: GpioInputs

    @classmethod
    def build(cls, config: Config) -> Twins:
        mono = time.monotonic
        bench = SimGpioBench(config.gpio)
        inputs = GpioInputs(config.gpio, bench.factory, owns_factory=False)
        bench.rest()  # after the inputs exist: a pull-up resets its mock pin
        printer = SimReceiptPrinter(
            monotonic=mono, store_name=config.kiosk.store_name, locale=config.kiosk.locale
        )
        hardware = SimHardware(
            SimScanner(mono), printer, SimCardTerminal(mono), bench, SimSpeaker()
        )
        return cls(hardware, inputs)

    def close(self) -> None:
        self.inputs.close()
        h = self.hardware
        for part in (h.scanner, h.printer, h.terminal, h.speaker, h.gpio):
            part.close()


class _Doctor:
    """The probes for one configuration."""

    def __init__(self, config: Config, twins: Twins | None, host: HostSources) -> None:
        self.config = config
        self.twins = twins
        self.host = host
        self.real_pins = _RealPins(config) if config.devices.gpio != "sim" else None

    def plan(self) -> list[Probe]:
        data_dir = Path(self.config.kiosk.data_dir)
        printer_wait_s = self._printer_wait_s()
        return [
            Probe("scanner", True, self.scanner, DEVICE_WAIT_S + GRACE_S),
            Probe("printer", True, self.printer, printer_wait_s + GRACE_S),
            Probe("drawer", True, lambda: probes.drawer(self.inputs())),
            Probe("key switch", True, lambda: probes.key_switch(self.inputs())),
            Probe("help button", True, lambda: probes.help_button(self.inputs())),
            Probe("card terminal", True, self.card_terminal),
            Probe("broker", False, self.broker, 2 * BROKER_WAIT_S + GRACE_S),
            Probe("disk space", True, lambda: probes.disk_space(data_dir, self.host)),
            Probe("store", True, lambda: probes.store(data_dir), STORE_WAIT_S),
            Probe("clock", False, lambda: probes.clock(self.host)),
        ]

    def twin(self) -> Twins:
        assert self.twins is not None, "a device named sim without its twins"
        return self.twins

    def scanner(self) -> Finding:
        if self.config.devices.scanner == "sim":
            return probes.scanner_twin(self.twin().hardware.scanner.plugged)
        s = self.config.scanner
        where = (s.serial_port if self.config.devices.scanner == "serial" else s.device) or "?"
        device = bootstrap._real_scanner(self.config, time.monotonic)
        return probes.scanner(device, where, DEVICE_WAIT_S)

    def _printer_wait_s(self) -> float:
        if self.config.devices.printer == "sim":
            return DEVICE_WAIT_S
        return 2 * self.config.printer.timeout_s + 1  # connect, then one unanswered query

    def printer(self) -> Finding:
        if self.config.devices.printer == "sim":
            twin = self.twin().hardware.printer
            return probes.printer(twin, "simulated", self._printer_wait_s())
        p, kind = self.config.printer, self.config.devices.printer
        where = {
            "escpos-serial": p.serial_port,
            "escpos-usb": f"usb {p.usb_vendor}:{p.usb_product}",
        }.get(kind, f"{p.host}:{p.port}")
        device = bootstrap._real_printer(self.config, time.monotonic)
        return probes.printer(device, where, self._printer_wait_s())

    def inputs(self) -> probes.Inputs:
        if self.real_pins is None:
            return self.twin().inputs
        return self.real_pins.get()

    def card_terminal(self) -> Finding:
        return probes.card_terminal(simulated_run=self.config.devices == SIM_DEVICES)

    def broker(self) -> Finding:
        b = self.config.broker
        if not b.enabled:
            return Finding(True, "disabled (broker.enabled = false)")
        files = b.tls_files()
        if files is not None:
            return probes.broker_tls(b.host, b.port, files, BROKER_WAIT_S)
        client_id = f"{self.config.kiosk.id}-doctor"
        return probes.broker(b.host, b.port, client_id, BROKER_WAIT_S)

    def close(self) -> None:
        if self.real_pins is not None and self.real_pins.inputs is not None:
            self.real_pins.inputs.close()


def examine(
    config: Config,
    *,
    sim: bool = False,
    twins: Twins | None = None,
    host: HostSources | None = None,
) -> list[Check]:
    """Every check for this configuration, in report order; never raises, never hangs.
    `sim`: every device is its twin (as `kiosk run --sim`). `twins`: the caller's twins
    (the caller closes them); otherwise they are built when config names one."""
    if sim:
        config = replace(config, devices=SIM_DEVICES)
    d = config.devices
    own = twins is None and "sim" in (d.scanner, d.printer, d.gpio)
    if own:
        twins = Twins.build(config)
    doctor = _Doctor(config, twins, host or HostSources())
    try:
        return run(doctor.plan())
    finally:
        doctor.close()
        if own and twins is not None:
            twins.close()


def render_text(checks: Sequence[Check]) -> str:
    """One aligned line per check, then the verdict."""
    name_w = max(len(c.name) for c in checks)
    state_w = min(max(len(c.state) for c in checks), STATE_COLUMN_MAX)
    lines = [
        f"{c.status:<5}  {c.name:<{name_w}}  {c.state:<{state_w}}  {c.reason}".rstrip()
        for c in checks
    ]
    missing = [c.name for c in checks if c.needed_for_selling and not c.ok]
    lines.append("NOT ready to sell: " + ", ".join(missing) if missing else "ready to sell")
    return "\n".join(lines)


def render_json(checks: Sequence[Check]) -> str:
    document = {"ok": ready_to_sell(checks), "checks": [c.as_dict() for c in checks]}
    return json.dumps(document, indent=2, ensure_ascii=False)


def main(config: Config, out: TextIO, *, sim: bool = False, as_json: bool = False) -> int:
    """Print the report; 0 when everything needed for selling is OK, 1 otherwise."""
    checks = examine(config, sim=sim)
    print(render_json(checks) if as_json else render_text(checks), file=out)
    return 0 if ready_to_sell(checks) else 1
