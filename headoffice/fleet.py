"""`headoffice fleet`: one row per kiosk, from what the ledger last heard of each.

Presence comes from the retained status (the bdSeq rule is the ledger's); health from the
newer of the kiosk's birth and telemetry; times are head office's receive times, since a
kiosk's own clock may be unsynchronised.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from headoffice.db import KioskState


@dataclass(frozen=True, slots=True)
class FleetRow:
    kiosk_id: str
    online: bool | None  # None: no status heard yet
    since: str | None  # when it went online or offline (head office's clock)
    last_seen: str | None  # its latest event, online status, birth or telemetry
    clock_synced: bool | None
    devices: dict[str, str]
    signal: str | None  # the light tower's signal
    outbox_depth: int | None  # events head office has not acknowledged
    sales_today: int | None  # from the latest telemetry
    software: str | None
    catalog_version: int | None
    conn_seq: int | None
    reported_at: str | None  # when the health figures above arrived


def fleet(states: list[KioskState]) -> list[FleetRow]:
    return [_row(state) for state in states]


def _row(state: KioskState) -> FleetRow:
    birth, telemetry = state.birth, state.telemetry
    # the newer report wins; ISO times from the one clock compare as text
    use_telemetry = telemetry is not None and (
        birth is None or (state.telemetry_at or "") >= (state.birth_at or "")
    )
    latest = telemetry if use_telemetry else birth
    return FleetRow(
        kiosk_id=state.kiosk_id,
        online=state.online,
        since=state.online_since,
        last_seen=state.last_seen,
        clock_synced=None if latest is None else latest.clock_synced,
        devices={} if latest is None else dict(latest.devices),
        signal=None if latest is None else latest.signal,
        outbox_depth=None if latest is None else latest.outbox_depth,
        sales_today=None if telemetry is None else telemetry.sales_today,
        software=None if birth is None else birth.software,
        catalog_version=None if birth is None else birth.catalog_version,
        conn_seq=state.conn_seq,
        reported_at=state.telemetry_at if use_telemetry else state.birth_at,
    )


def to_json(rows: list[FleetRow]) -> str:
    return json.dumps([asdict(row) for row in rows], indent=2)


_COLUMNS = (
    ("kiosk", 16),
    ("status", 7),
    ("since", 19),
    ("last seen", 19),
    ("clock", 8),
    ("signal", 19),
    ("outbox", 6),
    ("sales", 5),
)


def render_table(rows: list[FleetRow]) -> str:
    """A fixed-width table for a terminal, one line per kiosk, devices last."""
    lines = ["  ".join(f"{name:<{width}}" for name, width in _COLUMNS) + "  devices"]
    for row in rows:
        cells = (
            row.kiosk_id,
            {True: "online", False: "offline", None: "?"}[row.online],
            _time(row.since),
            _time(row.last_seen),
            {True: "synced", False: "UNSYNCED", None: "?"}[row.clock_synced],
            row.signal or "?",
            "?" if row.outbox_depth is None else str(row.outbox_depth),
            "?" if row.sales_today is None else str(row.sales_today),
        )
        devices = " ".join(f"{name}={state}" for name, state in sorted(row.devices.items()))
        text = "  ".join(f"{c:<{w}}" for c, (_, w) in zip(cells, _COLUMNS, strict=True))
        lines.append(f"{text}  {devices or '?'}")
    online = sum(row.online is True for row in rows)
    lines.append(f"{len(rows)} kiosk(s), {online} online")
    return "\n".join(lines)


def _time(iso: str | None) -> str:
    """`2026-11-23T09:00:12.345+00:00` → `2026-11-23 09:00:12` (UTC, as stored)."""
    return "?" if not iso else iso[:19].replace("T", " ")
