"""Wires head office's side of the kiosk: trusted command keys, the command runner in the
main loop, and birth and telemetry (bootstrap calls `connect` when a broker is configured)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from appliance import commands
from appliance.config import Config
from appliance.core import barcodes
from appliance.core.events import CommandReceived
from appliance.ports import Clock
from appliance.shell.command_runner import CommandRunner
from appliance.shell.loop import Loop
from appliance.shell.presence import Presence
from appliance.shell.store import Store

if TYPE_CHECKING:  # paho loads only when a broker is configured
    from appliance.shell.reporter import Reporter

__all__ = ["KeysUnreadable", "Presence", "connect", "trusted_keys"]

log = logging.getLogger(__name__)


class KeysUnreadable(ValueError):
    """A file in the command keys folder is not an Ed25519 public key: the kiosk must not
    start trusting less (or other) than it was told to."""


def trusted_keys(folder: Path) -> dict[str, Ed25519PublicKey]:
    """Every `*.pub` in the folder by key id; {} when there is no folder (logged)."""
    if not folder.is_dir():
        log.warning("no command keys at %s: every head-office command will be refused", folder)
        return {}
    files = sorted(folder.glob("*.pub"))
    try:
        keys = commands.trust_store(f.read_bytes() for f in files)
    except (OSError, ValueError) as exc:
        raise KeysUnreadable(f"{folder}: {exc}") from exc
    log.info("trusting %d head-office command key(s): %s", len(keys), ", ".join(sorted(keys)))
    return keys


def connect(
    config: Config,
    store: Store,
    clock: Clock,
    loop: Loop,
    reporter: Reporter,
    rules: barcodes.ScanRules,
) -> Presence:
    """Commands go through the runner before the core; returns the birth/telemetry source."""
    # SystemClock asks the kernel whether NTP has set it; a clock that cannot say is unsynced
    synced = getattr(clock, "synced", lambda: False)
    trusted = trusted_keys(Path(config.kiosk.command_keys_dir))
    runner = CommandRunner(config, store, clock, trusted, reporter, synced, rules)
    loop.shell_handlers[CommandReceived] = runner.handle
    data_dir = Path(config.kiosk.data_dir)
    return Presence(config.kiosk.id, config, data_dir, store, clock, synced, reporter)
