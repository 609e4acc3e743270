"""The probes behind `kiosk doctor`: one small look per device or service, each a Finding.

A probe may raise or block; appliance/doctor.py runs each with a deadline and turns an
exception into a fault. Devices are driven through their ports (start, the first event,
close), so the doctor sees what the kiosk would see. Host facts (free space, the clock)
come from `HostSources`, which tests replace.
"""

from __future__ import annotations

import os
import queue
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from appliance.broker_tls import TlsError, TlsFiles, certificate_cn
from appliance.core.events import (
    Event,
    KeyPosition,
    PaperState,
    PrinterStatusChanged,
    ScannerFound,
    ScannerLost,
)
from appliance.ports import Emit
from appliance.shell import store_health
from appliance.shell.clock import TIMESYNC_FLAG as TIMESYNC_FILE
from appliance.shell.clock import kernel_clock_synced
from drivers.printer_escpos import PrinterFault
from drivers.scanner_decode import ScannerFault

MB = 1_000_000
MIN_FREE_BYTES = 50 * MB
"""Below this the data partition cannot be trusted to hold the next sales: a fault."""
WARN_FREE_BYTES = 500 * MB
"""Below this the doctor warns, long before selling stops."""
"""systemd-timesyncd touches it on each successful synchronisation (systemd-timesyncd(8))."""


@dataclass(frozen=True)
class Finding:
    """`ok`: usable as it is. `reason`: why not, or what needs attention; "" when all is well."""

    ok: bool
    state: str
    reason: str = ""


class Startable(Protocol):
    def start(self, emit: Emit) -> None: ...

    def close(self) -> None: ...


class Inputs(Protocol):
    """The GPIO inputs as the doctor reads them (appliance/doctor.py GpioInputs)."""

    @property
    def drawer_closed(self) -> bool: ...
    @property
    def key_position(self) -> KeyPosition: ...
    @property
    def help_pressed(self) -> bool: ...


@dataclass(frozen=True)
class HostSources:
    """Where the host's facts come from, and the limits they are held to."""

    statvfs: Callable[[str], Any] = os.statvfs
    min_free_bytes: int = MIN_FREE_BYTES
    warn_free_bytes: int = WARN_FREE_BYTES
    kernel_clock_synced: Callable[[], bool | None] = kernel_clock_synced
    timesync_file: Path = TIMESYNC_FILE


def first_event(
    device: Startable, kinds: tuple[type[Event], ...], wait_s: float
) -> tuple[Event | None, float]:
    """Start the device, wait for its first event of `kinds`, close it.
    Returns the event (None when none came within wait_s) and how long it took."""
    events: queue.SimpleQueue[Event] = queue.SimpleQueue()
    started = time.monotonic()
    try:
        device.start(events.put)
        while (left := started + wait_s - time.monotonic()) > 0:
            try:
                event = events.get(timeout=left)
            except queue.Empty:
                break
            if isinstance(event, kinds):
                return event, time.monotonic() - started
        return None, wait_s
    finally:
        device.close()


# -- devices ---------------------------------------------------------------------------------

_SCANNER_ADVICE: dict[str, str] = {
    ScannerFault.NOT_FOUND: "not found at {where}: is it plugged in, and is it the configured"
    " device? (ls -l /dev/input/by-id/)",
    ScannerFault.BUSY: "busy: grabbed by another process (is the kiosk running?"
    " systemctl stop kiosk, then ask again)",
    ScannerFault.NO_PERMISSION: "permission denied on {where}: the user needs group input"
    " (a serial scanner: dialout)",
    ScannerFault.AMBIGUOUS: "several devices match {where}: configure the scanner by its"
    " /dev/input/by-id path",
    ScannerFault.KEYBOARD: "{where} looks like a keyboard: if it really is the scanner,"
    " configure it by its /dev/input/by-id path",
}


def scanner(device: Startable, where: str, wait_s: float) -> Finding:
    """A real scanner found and grabbed (evdev) or opened (serial), then released."""
    event, _ = first_event(device, (ScannerFound, ScannerLost), wait_s)
    if isinstance(event, ScannerFound):
        return Finding(True, f"found and grabbed ({where})")
    if isinstance(event, ScannerLost):
        advice = _SCANNER_ADVICE.get(event.reason, f"{event.reason} ({where})")
        return Finding(False, event.reason, advice.format(where=where))
    return Finding(False, "no answer", f"{where}: neither found nor lost within {wait_s:g} s")


def scanner_twin(plugged: bool) -> Finding:
    if plugged:
        return Finding(True, "simulated, plugged in")
    return Finding(False, "simulated, unplugged", "not found: the twin is unplugged (F5)")


_PRINTER_ADVICE: dict[str, str] = {
    PrinterFault.PAPER_OUT: "load a new roll",
    PrinterFault.COVER_OPEN: "close the printer's cover",
    PrinterFault.OFFLINE: "the printer is off-line: look at its lights, switch it off and on",
    PrinterFault.PRINTER_ERROR: "the printer reports an error: clear the jam or cutter,"
    " switch it off and on",
    PrinterFault.CANNOT_CONNECT: "is it on and cabled, and is its [printer] address right?",
    PrinterFault.NO_STATUS_ANSWER: "it took the connection but did not answer a status"
    " query (another program printing, or not an ESC/POS printer)",
    PrinterFault.GARBLED_STATUS: "its status answer made no sense (not an ESC/POS printer?)",
}


def printer(device: Startable, where: str, wait_s: float) -> Finding:
    """The printer's real-time status (online, cover, paper): the first status it reports."""
    event, _ = first_event(device, (PrinterStatusChanged,), wait_s)
    if not isinstance(event, PrinterStatusChanged):
        return Finding(False, f"no status ({where})", f"no status within {wait_s:g} s")
    if not event.online or event.paper is PaperState.OUT:
        fault = event.reason or PrinterFault.OFFLINE
        advice = _PRINTER_ADVICE.get(fault, "")
        return Finding(False, f"{fault} ({where})", f"{fault}: {advice}" if advice else fault)
    if event.paper is PaperState.LOW:
        return Finding(True, f"online, paper near end ({where})", "paper low: load a roll soon")
    return Finding(True, f"online, paper ok ({where})")


def drawer(inputs: Inputs) -> Finding:
    if inputs.drawer_closed:
        return Finding(True, "closed")
    return Finding(True, "open", "the drawer is open: count it and push it shut")


_KEY_ADVICE = {
    KeyPosition.STAFF: "the key is in the staff position: turn it back to sell",
    KeyPosition.SERVICE: "the key is in the service position: the lane is closed to shoppers",
}


def key_switch(inputs: Inputs) -> Finding:
    position = inputs.key_position
    return Finding(True, position.value, _KEY_ADVICE.get(position, ""))


def help_button(inputs: Inputs) -> Finding:
    if not inputs.help_pressed:
        return Finding(True, "released")
    return Finding(True, "pressed", "pressed now: held down, stuck, or wired the wrong way")


def card_terminal(simulated_run: bool) -> Finding:
    if simulated_run:
        return Finding(True, "simulated")
    return Finding(True, "simulated", "approves every payment: no real adapter exists yet")


# -- services and the host -------------------------------------------------------------------


def broker(host: str, port: int, client_id: str, timeout_s: float) -> Finding:
    """TCP connect, MQTT 5 CONNECT, wait for CONNACK, DISCONNECT; a clean session under
    its own client id, so the running kiosk's session is never taken over."""
    where = f"{host}:{port}"
    answers: queue.SimpleQueue[ReasonCode] = queue.SimpleQueue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.on_connect = lambda _c, _u, _flags, code, _props: answers.put(code)
    client.connect_timeout = timeout_s
    try:
        try:
            client.connect(host, port, keepalive=max(5, round(timeout_s * 2)), clean_start=True)
        except OSError as exc:  # refused, timed out, no such host
            return Finding(False, f"unreachable ({where})", f"cannot connect to {where}: {exc}")
        client.loop_start()
        try:
            code = answers.get(timeout=timeout_s)
        except queue.Empty:
            return Finding(False, f"no answer ({where})", f"no MQTT CONNACK within {timeout_s:g} s")
        if code.is_failure:
            return Finding(False, f"refused ({where})", f"the broker refused: {code}")
        return Finding(True, f"connected ({where})")
    finally:
        client.disconnect()
        client.loop_stop()
        # paho keeps its callbacks in a cycle with its socket pair (paho.mqtt.python#627)
        client.on_connect = None


def broker_tls(host: str, port: int, files: TlsFiles, timeout_s: float) -> Finding:
    """TCP connect and the TLS handshake with the kiosk's certificate, then a moment's
    wait: a broker that refuses the certificate says so then (TLS 1.3 tells the client
    after its handshake). No MQTT CONNECT: the broker forces the client id to the
    certificate's CN, so a CONNECT would throw the running kiosk off and end its session."""
    where = f"{host}:{port}"
    try:
        files.check()
        cn = certificate_cn(files.cert_file)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cafile=str(files.ca_file))
        context.load_cert_chain(str(files.cert_file), str(files.key_file))
    except (TlsError, ssl.SSLError, OSError) as exc:
        return Finding(False, "TLS files unusable", str(exc))
    try:
        with (
            socket.create_connection((host, port), timeout=timeout_s) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            tls.settimeout(min(1.0, timeout_s))
            try:
                answer = tls.recv(1)
            except TimeoutError:
                return Finding(True, f"TLS accepted as {cn} ({where})")
            if not answer:
                return Finding(False, f"refused ({where})", "the broker closed the link")
            return Finding(True, f"TLS accepted as {cn} ({where})")
    except ssl.SSLError as exc:
        return Finding(False, f"refused ({where})", f"TLS: {exc.reason or exc}")
    except OSError as exc:  # refused, timed out, no such host
        return Finding(False, f"unreachable ({where})", f"cannot connect to {where}: {exc}")


def disk_space(data_dir: Path, host: HostSources) -> Finding:
    """Free bytes (for an unprivileged user) on the file system that holds the store."""
    where = data_dir
    while not where.exists() and where != where.parent:  # a new kiosk: not created yet
        where = where.parent
    st = host.statvfs(str(where))
    free, total = st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize
    state = f"{_size(free)} free of {_size(total)} ({data_dir})"
    if free < host.min_free_bytes:
        return Finding(
            False,
            state,
            f"below the {_size(host.min_free_bytes)} needed to keep selling: make room"
            f" (docs/doctor.md)",
        )
    if free < host.warn_free_bytes:
        return Finding(True, state, f"below {_size(host.warn_free_bytes)}: make room soon")
    return Finding(True, state)


def store(data_dir: Path) -> Finding:
    """store_health's read-only check (quick_check); judged as bootstrap judges it."""
    health = store_health.check(data_dir / store_health.STORE_FILE, quick=True)
    warnings = "; ".join(health.warnings)
    if not health.exists and not health.high_water:  # a new kiosk: made at its first start
        return Finding(True, "none yet (made at first start)", warnings)
    if not health.fit:
        return Finding(False, "not fit to sell", f"{health.reason} (kiosk store check)")
    sales = f", {health.sales} sales" if health.sales is not None else ""
    return Finding(True, f"fit to sell{sales}", warnings)


def clock(host: HostSources) -> Finding:
    synced = host.kernel_clock_synced()
    if synced is None and host.timesync_file.exists():
        synced = True
    if synced:
        return Finding(True, "synchronised")
    state = "not synchronised" if synced is False else "unknown"
    return Finding(
        False,
        state,
        "sales are stamped clock_synced=false until NTP answers: is the network up?"
        " (timedatectl timesync-status)",
    )


def _size(count: int) -> str:
    for unit, size in (("GB", 1_000_000_000), ("MB", MB), ("kB", 1000)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} B"
