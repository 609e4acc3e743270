"""The kiosk's birth and telemetry from its live state and store (docs/mqtt.md).

The main loop calls `Presence.run_once` after each round: a birth when the reporter says
one is due (every connect, a `rebirth` command), and a telemetry sample every
`telemetry_every_s` while connected. Only reads: the store, the state, the system.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from appliance.core.signals import signal_for
from appliance.core.state import KioskState
from appliance.ports import Clock
from appliance.shell import catalog_import, command_log, telemetry
from appliance.shell.store import Store

log = logging.getLogger(__name__)

TELEMETRY_EVERY_S = 60.0


class PresenceLink(Protocol):
    """What presence needs of the reporter (appliance/shell/reporter.py)."""

    @property
    def connected(self) -> bool: ...

    def birth_due(self) -> int | None: ...

    def publish_birth(self, payload: bytes) -> None: ...

    def publish_telemetry(self, payload: bytes) -> bool: ...


def devices(state: KioskState) -> dict[str, str]:
    """Each device's state in one word (or a short reason)."""
    d = state.devices
    printer = "offline" if not d.printer_online else f"paper-{d.paper.value}"
    return {
        "printer": "ok" if printer == "paper-ok" else printer,
        "scanner": "ok" if d.scanner_ok else "lost",
        "drawer": "alarm" if d.drawer_alarm else ("open" if d.drawer_open else "closed"),
        "key": state.key.value,
        "broker": "connected" if d.broker_connected else "disconnected",
    }


def outbox_heads(store: Store) -> dict[str, int]:
    """The lowest unacknowledged seq per stream (streams with none are absent)."""
    rows = store.db.execute("SELECT stream, min(seq) FROM outbox GROUP BY stream").fetchall()
    return {str(stream): int(seq) for stream, seq in rows}


def sales_today(store: Store, wall_iso: str) -> int:
    """Sales committed since local midnight (sales are stamped with UTC ISO times)."""
    local = datetime.fromisoformat(wall_iso).astimezone()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    since = midnight.astimezone(datetime.fromisoformat(wall_iso).tzinfo)
    row = store.db.execute(
        "SELECT count(*) FROM sales WHERE at >= ?", (since.isoformat(timespec="milliseconds"),)
    ).fetchone()
    return int(row[0])


class Presence:
    def __init__(
        self,
        kiosk_id: str,
        config: object,
        data_dir: Path,
        store: Store,
        clock: Clock,
        clock_synced: Callable[[], bool],
        link: PresenceLink,
        telemetry_every_s: float = TELEMETRY_EVERY_S,
    ) -> None:
        self._kiosk_id = kiosk_id
        self._config = config
        self._data_dir = data_dir
        self._store = store
        self._clock = clock
        self._clock_synced = clock_synced
        self._link = link
        self.telemetry_every_s = telemetry_every_s  # seconds between samples
        self._sampled_at: float | None = None  # monotonic, the last telemetry sample

    def run_once(self, state: KioskState) -> None:
        """Publish what is due. A store that cannot be read is logged, never raised."""
        try:
            conn_seq = self._link.birth_due()
            if conn_seq is not None:
                self._link.publish_birth(self.birth(state, conn_seq))
            now = self._clock.monotonic()
            last = self._sampled_at
            if (last is None or now - last >= self.telemetry_every_s) and self._link.connected:
                self._sampled_at = now
                self._link.publish_telemetry(self.telemetry(state))
        except Exception:
            log.exception("birth or telemetry not published")

    def birth(self, state: KioskState, conn_seq: int) -> bytes:
        waiting = catalog_import.pending(self._store)
        return telemetry.birth_payload(
            kiosk_id=self._kiosk_id,
            conn_seq=conn_seq,
            at=self._clock.wall_iso(),
            clock_synced=self._clock_synced(),
            config=self._config,
            catalog_version=catalog_import.catalog_version(self._store),
            catalog_waiting=waiting.version if waiting and waiting.error is None else None,
            devices=devices(state),
            signal=signal_for(state).value,
            outbox_depth=self._store.outbox_depth(),
            outbox_heads=outbox_heads(self._store),
            command_counters=command_log.counters(self._store),
        )

    def telemetry(self, state: KioskState) -> bytes:
        wall = self._clock.wall_iso()
        return telemetry.telemetry_payload(
            kiosk_id=self._kiosk_id,
            at=wall,
            clock_synced=self._clock_synced(),
            data_dir=self._data_dir,
            devices=devices(state),
            signal=signal_for(state).value,
            outbox_depth=self._store.outbox_depth(),
            sales_today=sales_today(self._store, wall),
        )
