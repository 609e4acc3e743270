"""Typed kiosk configuration: defaults → /etc/kiosk/kiosk.toml → boot partition → environment.

Strict, as Klipper is: an unknown section or key, a wrong type or a value out of range is a
ConfigError that names the key and the file it came from. Read once at start and passed
down; nothing keeps a global settings object. docs/config.md lists every key.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_type_hints

if TYPE_CHECKING:
    from appliance.broker_tls import TlsFiles

SYSTEM_FILE = Path("/etc/kiosk/kiosk.toml")
BOOT_FILE = Path("/boot/firmware/kiosk.toml")
ENV_PREFIX = "KIOSK_"


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names key and source."""


def _range(lo: float | None = None, hi: float | None = None) -> dict[str, Any]:
    return {"lo": lo, "hi": hi}


def _choice(*options: str) -> dict[str, Any]:
    return {"choices": options}


def _pattern(regex: str) -> dict[str, Any]:
    return {"pattern": regex}


# https://host[:port][/path], no spaces, query or fragment (the sale id is appended)
_HTTPS_URL = r"(https://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?)?"


@dataclass(frozen=True)
class KioskSection:
    id: str = field(default="demo-kiosk", metadata=_pattern(r"[A-Za-z0-9_-]{1,64}"))
    """Kiosk id: the MQTT user name and certificate CN. Letters, digits, '-', '_'."""
    store_id: str = field(default="", metadata=_pattern(r"[A-Za-z0-9_.-]{0,64}"))
    """The store this kiosk belongs to: it also obeys head office's commands sent to
    `group:<store_id>` (docs/mqtt.md). "" for none."""
    command_keys_dir: str = "/etc/kiosk/command-keys"
    """Folder of head office's trusted command keys (`*.pub`, Ed25519 PEM, made by
    `headoffice keygen`). No folder or no key: every command is refused as unknown-key."""
    store_name: str = "Demo Store"
    """Printed at the top of every receipt."""
    currency: str = field(default="EUR", metadata=_choice("EUR", "PLN", "GBP", "USD"))
    """ISO 4217 currency of every price in the catalog."""
    locale: str = field(default="en_GB", metadata=_choice("en_GB", "en_US", "de_DE", "pl_PL"))
    """Locale for money and dates on screen and receipt."""
    barcode_rules: str = field(
        default="default",
        metadata=_choice(
            "default", "plain", "pl", "de", "gb", "se", "no", "dk", "fi", "ee", "lv", "lt"
        ),
    )
    """Which scale-label (restricted circulation number) layout the store's scales print:
    a country preset (appliance/core/barcodes.py PRESETS); "default" reads 20-29 as
    PP IIIII VVVVV C with a price, "plain" reads no variable measure at all."""
    data_dir: str = "/var/lib/kiosk"
    """Directory of the store of record (the data partition on a Pi)."""
    cash_rounding_minor: int = field(default=0, metadata=_range(0, 100))
    """Cash amounts (refunds paid from the drawer) are rounded to this step in minor
    units, halves up: 5 for 0.05 (Switzerland), 50 or 100 where small coins are gone; 0 none."""
    thank_you_s: float = field(default=5.0, metadata=_range(1, 60))
    """Seconds the thank-you screen stays up."""
    ereceipt_url: str = field(default="", metadata=_pattern(_HTTPS_URL))
    """E-receipts: the QR code (on screen and on the receipt) links to <ereceipt_url>/<sale
    id>; an https URL without query or fragment. "" offers no e-receipt and asks nothing:
    the receipt prints at once."""
    receipt_choice_s: float = field(default=10.0, metadata=_range(3, 60))
    """Seconds the receipt choice (Print, E-receipt, No receipt) waits; then it prints."""
    ereceipt_s: float = field(default=30.0, metadata=_range(5, 120))
    """Seconds the e-receipt QR code stays on screen unless the customer touches Done."""
    outbox_limit: int = field(default=200_000, metadata=_range(2, 10_000_000))
    """Unsent events the store may hold for head office. At this many the lane finishes
    the sale in hand and goes out of service, so no sale ever has to be dropped; it comes
    back by itself below 90 % (a week of a busy lane is about 20,000)."""
    low_stock_level: int = field(default=5, metadata=_range(0, 1_000_000))
    """A sale that takes a product's stock to this level or below tells head office
    (stream `stock`, kind "low"); reaching 0 or below tells it kind "out"."""
    idle_prompt_s: float = field(default=60.0, metadata=_range(10, 3600))
    """Seconds an open basket may wait without a touch or scan before the screen asks
    "Are you still there?" (one problem sound)."""
    idle_staff_s: float = field(default=60.0, metadata=_range(10, 3600))
    """Seconds "Are you still there?" waits for an answer before staff are called (amber,
    audited as abandoned-basket); staff resume or cancel. No timer drops a basket."""


@dataclass(frozen=True)
class DevicesSection:
    scanner: str = field(default="evdev", metadata=_choice("evdev", "serial", "sim"))
    """Barcode scanner adapter: a USB keyboard-wedge scanner (evdev), a serial one, the twin."""
    printer: str = field(
        default="escpos-network",
        metadata=_choice("escpos-network", "escpos-serial", "escpos-usb", "sim"),
    )
    """Receipt printer adapter: ESC/POS over the network (port 9100), a serial line or USB;
    the twin."""
    gpio: str = field(default="lgpio", metadata=_choice("lgpio", "sim"))
    """Pin factory for the light tower, drawer, key switch and help button."""
    card_terminal: str = field(default="sim", metadata=_choice("sim"))
    """Card terminal adapter (only the simulated terminal exists so far)."""
    speaker: str = field(default="pygame", metadata=_choice("pygame", "sim"))
    """Item and problem sounds: the audio output through pygame.mixer, or the twin."""


@dataclass(frozen=True)
class ScannerSection:
    """The barcode scanner (drivers/scanner_*.py); docs/config.md."""

    device: str = field(
        default="",
        metadata=_pattern(r"(/dev/input/by-(id|path)/[^\s]+|[0-9a-fA-F]{4}:[0-9a-fA-F]{4})?"),
    )
    """The USB scanner: /dev/input/by-id/... (stable across replugs) or vendor:product in
    hex ("05e0:1200"). Only this device is grabbed; a staff keyboard never is."""
    layout: str = field(default="us", metadata=_choice("us", "de", "fr", "pl"))
    """The keyboard layout the scanner is set to type in (fr: digits need Shift)."""
    terminator: str = field(default="enter", metadata=_choice("enter", "tab", "none"))
    """The suffix the scanner sends after each code; "none" ends a scan after gap_s."""
    gap_s: float = field(default=0.1, metadata=_range(0.02, 1.0))
    """Seconds without a key that end a scan (terminator none) or drop a stalled half scan."""
    aim_prefix: bool = False
    """The scanner sends an AIM symbology identifier (]E0, ]C1, ...) before each code."""
    fnc1: str = field(default="", metadata=_pattern(r"[!-/:-@\[\\^-`{-~]?"))
    """The character the scanner types for GS1's FNC1 (often ~ or ^), "" for none."""
    reconnect_s: float = field(default=0.5, metadata=_range(0.1, 1.5))
    """How often a missing scanner is looked for: a replug is back within this."""
    serial_port: str = field(default="", metadata=_pattern(r"(/dev/[^\s]+)?"))
    """A serial scanner's port: /dev/serial/by-id/... (devices.scanner = "serial")."""
    serial_baudrate: int = field(default=9600, metadata=_range(1200, 921600))
    """A serial scanner's speed (8N1)."""


_USB_ID = r"((?!0000)[0-9a-fA-F]{4})?"  # 0000 would match any device


@dataclass(frozen=True)
class PrinterSection:
    host: str = "127.0.0.1"
    """Network printer address (escpos-network)."""
    port: int = field(default=9100, metadata=_range(1, 65535))
    """Network printer TCP port."""
    timeout_s: float = field(default=5.0, metadata=_range(0.1, 60))
    """Every printer write and status read gives up after this many seconds."""
    serial_port: str = field(default="", metadata=_pattern(r"(/dev/[^\s]+)?"))
    """A serial printer's port: /dev/serial/by-id/... (escpos-serial)."""
    serial_baudrate: int = field(default=9600, metadata=_range(1200, 115200))
    """A serial printer's speed (8N1), as set on the printer (its self-test page shows it)."""
    usb_vendor: str = field(default="", metadata=_pattern(_USB_ID))
    """A USB printer's vendor id, 4 hex digits as lsusb shows it ("04b8": Epson) (escpos-usb)."""
    usb_product: str = field(default="", metadata=_pattern(_USB_ID))
    """A USB printer's product id, 4 hex digits as lsusb shows it ("0e15")."""
    usb_in_ep: str = field(default="82", metadata=_pattern(r"8[1-9a-fA-F]"))
    """The USB printer's bulk IN endpoint in hex (lsusb -v, bEndpointAddress): status
    answers come back on it."""
    usb_out_ep: str = field(default="01", metadata=_pattern(r"0[1-9a-fA-F]"))
    """The USB printer's bulk OUT endpoint in hex (often 01; 02 or 03 on some models)."""


@dataclass(frozen=True)
class GpioSection:
    """BCM pin numbers (GPIO17 = 17) of the devices on the 40-pin header; docs/wiring.md."""

    tower_red: int = field(default=17, metadata=_range(2, 27))
    """Light tower red lamp (relay or MOSFET input, active high)."""
    tower_amber: int = field(default=27, metadata=_range(2, 27))
    """Light tower amber lamp."""
    tower_green: int = field(default=22, metadata=_range(2, 27))
    """Light tower green lamp."""
    tower_buzzer: int = field(default=23, metadata=_range(2, 27))
    """Light tower buzzer (active high): pulses during the drawer alarm, silent otherwise."""
    drawer_solenoid: int = field(default=24, metadata=_range(2, 27))
    """Cash drawer solenoid driver input (active high)."""
    drawer_sensor: int = field(default=25, metadata=_range(2, 27))
    """Cash drawer switch to ground: closed drawer pulls the pin low."""
    key_switch: int = field(default=5, metadata=_range(2, 27))
    """Staff key switch to ground: staff position pulls the pin low."""
    key_positions: int = field(default=2, metadata=_range(2, 3))
    """Positions of the key switch: 2 (normal, staff) or 3 (normal, staff, service)."""
    key_switch_2: int = field(default=16, metadata=_range(2, 27))
    """Second key switch contact to ground (key_positions = 3): service pulls it low."""
    key_debounce_s: float = field(default=0.05, metadata=_range(0.01, 0.5))
    """The key's contacts must rest this many seconds before a turn counts."""
    help_button: int = field(default=6, metadata=_range(2, 27))
    """Customer help button to ground."""
    drawer_pulse_s: float = field(default=0.2, metadata=_range(0.05, 1.0))
    """Solenoid pulse length in seconds (most drawers want 100-250 ms; longer burns coils)."""
    blink_s: float = field(default=0.5, metadata=_range(0.1, 2.0))
    """Half-period of a blinking lamp, seconds."""
    drawer_alarm_s: float = field(default=30.0, metadata=_range(5, 600))
    """Seconds the cash drawer may stay open before the drawer alarm (tower and screen)."""


_ABS_PATH = r"/[^\s]+"  # an absolute path without spaces


@dataclass(frozen=True)
class BrokerSection:
    enabled: bool = True
    """Report to head office over MQTT."""
    host: str = "127.0.0.1"
    """MQTT broker host name."""
    port: int = field(default=1883, metadata=_range(1, 65535))
    """MQTT broker port."""
    keepalive_s: int = field(default=30, metadata=_range(5, 600))
    """MQTT keepalive, seconds."""
    tls: bool = False
    """Connect over TLS with this kiosk's client certificate (docs/tls.md). The broker
    takes the certificate's CN as the MQTT user name, so the CN must be kiosk.id; the
    files must exist when the kiosk starts. The broker's TLS port is usually 8883."""
    ca_file: str = field(default="/etc/kiosk/tls/ca.crt", metadata=_pattern(_ABS_PATH))
    """PEM file of the CA that signed the broker's certificate (the broker's name is checked)."""
    cert_file: str = field(default="/etc/kiosk/tls/kiosk.crt", metadata=_pattern(_ABS_PATH))
    """PEM file of this kiosk's client certificate (CN = kiosk.id)."""
    key_file: str = field(default="/etc/kiosk/tls/kiosk.key", metadata=_pattern(_ABS_PATH))
    """PEM file of that certificate's private key, unencrypted (a passphrase would wait for
    a keyboard), readable only by the kiosk's user."""

    def tls_files(self) -> TlsFiles | None:
        """The TLS files when tls is on, labelled with their keys; None when it is off."""
        if not self.tls:
            return None
        from appliance.broker_tls import TlsFiles

        paths = (Path(self.ca_file), Path(self.cert_file), Path(self.key_file))
        return TlsFiles(*paths, names=("broker.ca_file", "broker.cert_file", "broker.key_file"))


@dataclass(frozen=True)
class UiSection:
    width: int = field(default=800, metadata=_range(320, 7680))
    """Window or screen width in pixels."""
    height: int = field(default=480, metadata=_range(240, 7680))
    """Window or screen height in pixels."""
    fullscreen: bool = False
    """Take the whole display (on the kiosk itself)."""
    volume: int = field(default=60, metadata=_range(0, 100))
    """Loudness of the item and problem sounds, 0 (silent) to 100."""


@dataclass(frozen=True)
class Config:
    kiosk: KioskSection = field(default_factory=KioskSection)
    devices: DevicesSection = field(default_factory=DevicesSection)
    scanner: ScannerSection = field(default_factory=ScannerSection)
    printer: PrinterSection = field(default_factory=PrinterSection)
    gpio: GpioSection = field(default_factory=GpioSection)
    broker: BrokerSection = field(default_factory=BrokerSection)
    ui: UiSection = field(default_factory=UiSection)


SIM_DEVICES = DevicesSection(
    scanner="sim", printer="sim", gpio="sim", card_terminal="sim", speaker="sim"
)


def load(
    files: list[Path] | None = None,
    env: Mapping[str, str] | None = None,
    base: Config | None = None,
) -> Config:
    """Apply each existing file, then the environment, over `base` (or the defaults)."""
    config = base or Config()
    for path in files if files is not None else [SYSTEM_FILE, BOOT_FILE]:
        if path.exists():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
                raise ConfigError(f"{path}: not valid TOML: {exc}") from None
            config = merge(config, data, str(path))
    return merge(config, _from_env(os.environ if env is None else env), "environment")


def check_broker_files(config: Config) -> None:
    """At start, when the kiosk reports over TLS: ConfigError unless its CA, certificate and
    key files can be read and the certificate's CN is kiosk.id (the broker's user name for
    it). Not part of `load`: other commands read the config as users who cannot read keys."""
    files = config.broker.tls_files() if config.broker.enabled else None
    if files is None:
        return
    from appliance.broker_tls import TlsError, certificate_cn

    try:
        files.check()
        cn = certificate_cn(files.cert_file)
    except TlsError as exc:
        raise ConfigError(f"{exc} (broker.tls is on)") from None
    if cn != config.kiosk.id:
        raise ConfigError(
            f"broker.cert_file: {files.cert_file} is for {cn!r}, but kiosk.id is "
            f"{config.kiosk.id!r}: the broker would give this kiosk {cn!r}'s topics or none"
        )


def merge(config: Config, data: Mapping[str, Any], source: str) -> Config:
    """Return `config` with the sections and keys in `data` replaced, strictly checked."""
    sections = {f.name: f for f in dataclasses.fields(config)}
    updates: dict[str, Any] = {}
    for name, values in data.items():
        if name not in sections:
            raise ConfigError(f"{source}: unknown section [{name}]")
        if not isinstance(values, Mapping):
            raise ConfigError(f"{source}: [{name}] must be a table")
        updates[name] = _merge_section(getattr(config, name), values, f"{source}: {name}")
    return dataclasses.replace(config, **updates)


def _merge_section(section: Any, values: Mapping[str, Any], where: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(section)}
    hints = get_type_hints(type(section))
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields:
            raise ConfigError(f"{where}.{key}: unknown key")
        changes[key] = _check(value, hints[key], fields[key].metadata, f"{where}.{key}")
    return dataclasses.replace(section, **changes)


def _check(value: Any, kind: type, meta: Mapping[str, Any], where: str) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}")
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ConfigError(f"{where}: {value!r} is not one of {', '.join(choices)}")
    pattern = meta.get("pattern")
    if pattern and not re.fullmatch(pattern, str(value)):
        raise ConfigError(f"{where}: {value!r} does not match {pattern}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"{where}: {value!r} is outside {lo}..{hi}")
    return value


def _from_env(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """KIOSK_BROKER__PORT=1884 → {"broker": {"port": 1884}} (TOML value syntax)."""
    out: dict[str, dict[str, Any]] = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, key = name[len(ENV_PREFIX) :].lower().split("__", 1)
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw  # a bare word is a string
        out.setdefault(section, {})[key] = value
    return out
