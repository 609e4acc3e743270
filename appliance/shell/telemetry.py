"""What the kiosk tells head office about itself: health readers, birth, telemetry, bdSeq.

Each reader returns None, never raises, when its source is missing or unreadable (a
container has no thermal zone; a test machine may have no /proc). The payload builders
take the kiosk's facts as arguments; only the health readers look at the system.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path

import appliance
from appliance import wire

log = logging.getLogger(__name__)

PROC = Path("/proc")
THERMAL_ZONE = Path("/sys/class/thermal/thermal_zone0/temp")  # the SoC's sensor on a Pi
COUNTER_FILE = "connection-counter"


# -- health readers -------------------------------------------------------------------------


def uptime_s(proc: Path = PROC) -> float | None:
    """Seconds since the operating system started (/proc/uptime, first field)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return float((proc / "uptime").read_text().split()[0])
    return None


def load_average(proc: Path = PROC) -> tuple[float, float, float] | None:
    """Load averages over 1, 5 and 15 minutes (/proc/loadavg)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        one, five, fifteen = (float(f) for f in (proc / "loadavg").read_text().split()[:3])
        return one, five, fifteen
    return None


def memory_bytes(proc: Path = PROC) -> tuple[int, int] | None:
    """(total, available) memory in bytes (/proc/meminfo's MemTotal and MemAvailable, kB)."""
    with contextlib.suppress(OSError, ValueError, IndexError, KeyError):
        fields: dict[str, int] = {}
        for line in (proc / "meminfo").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("MemTotal", "MemAvailable"):
                fields[name] = int(rest.split()[0]) * 1024  # the kernel's "kB" is KiB
        return fields["MemTotal"], fields["MemAvailable"]
    return None


def disk_bytes(path: Path) -> tuple[int, int] | None:
    """(total, available to an unprivileged user) bytes of the file system holding path."""
    with contextlib.suppress(OSError):
        st = os.statvfs(path)
        return st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize
    return None


def cpu_temp_c(zone: Path = THERMAL_ZONE) -> float | None:
    """The CPU's temperature in degrees Celsius (the kernel reports millidegrees)."""
    with contextlib.suppress(OSError, ValueError):
        return int(zone.read_text().strip()) / 1000.0
    return None


def config_digest(config: object) -> str:
    """SHA-256 (hex) of the effective configuration's repr: equal digests, equal config."""
    return hashlib.sha256(repr(config).encode("utf-8")).hexdigest()


# -- the connection counter (Sparkplug's bdSeq, research §1.3) ------------------------------


def next_connection_counter(data_dir: Path) -> int:
    """Increment and persist the counter; call once before each MQTT connect.

    The Will registered at CONNECT and the online status published after it carry the
    number returned, so head office can ignore a Will that arrives after the next
    connection's online status. Written to a temporary file, fsynced, renamed and the
    directory fsynced: after a power cut the file holds the old or the new number, and a
    number once used is never handed out again. An unreadable file (logged) restarts at the
    wall clock's Unix seconds: far above any count of connections a kiosk has made, unless
    the clock is back at 1970, so the numbers head office sees still go up.
    """
    path = data_dir / COUNTER_FILE
    try:
        current = int(path.read_text(encoding="ascii").strip())
        if current < 0:
            raise ValueError(f"negative: {current}")
    except FileNotFoundError:
        current = 0
    except (OSError, ValueError) as exc:
        current = max(0, int(time.time()))
        log.error("connection counter %s unreadable (%s); going on from %d", path, exc, current)
    counter = current + 1
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, f"{counter}\n".encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return counter


# -- payloads -------------------------------------------------------------------------------


def birth_payload(
    *,
    kiosk_id: str,
    conn_seq: int,
    at: str,
    clock_synced: bool,
    config: object,
    catalog_version: int,
    catalog_waiting: int | None,
    devices: Mapping[str, str],
    signal: str,
    outbox_depth: int,
    outbox_heads: Mapping[str, int],
    command_counters: Mapping[str, int],
) -> bytes:
    """The retained birth (wire.Birth) for this connection or a rebirth."""
    return wire.Birth(
        kiosk_id=kiosk_id,
        conn_seq=conn_seq,
        at=at,
        clock_synced=clock_synced,
        software=appliance.__version__,
        config_digest=config_digest(config),
        catalog_version=catalog_version,
        catalog_waiting=catalog_waiting,
        devices=dict(devices),
        signal=signal,
        outbox_depth=outbox_depth,
        outbox_heads=dict(outbox_heads),
        command_counters=dict(command_counters),
    ).to_json()


def telemetry_payload(
    *,
    kiosk_id: str,
    at: str,
    clock_synced: bool,
    data_dir: Path,
    devices: Mapping[str, str],
    signal: str,
    outbox_depth: int,
    sales_today: int,
    proc: Path = PROC,
    thermal_zone: Path = THERMAL_ZONE,
) -> bytes:
    """One health sample (wire.Telemetry): the kiosk's facts plus what the system says."""
    load = load_average(proc)
    memory = memory_bytes(proc)
    disk = disk_bytes(data_dir)
    return wire.Telemetry(
        kiosk_id=kiosk_id,
        at=at,
        clock_synced=clock_synced,
        uptime_s=uptime_s(proc),
        cpu_temp_c=cpu_temp_c(thermal_zone),
        load_1m=load[0] if load else None,
        load_5m=load[1] if load else None,
        load_15m=load[2] if load else None,
        mem_total_bytes=memory[0] if memory else None,
        mem_available_bytes=memory[1] if memory else None,
        disk_total_bytes=disk[0] if disk else None,
        disk_free_bytes=disk[1] if disk else None,
        outbox_depth=outbox_depth,
        devices=dict(devices),
        signal=signal,
        sales_today=sales_today,
    ).to_json()
