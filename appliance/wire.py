"""What crosses the wire to head office: MQTT topics and payloads, version 1.

The one catalogue of topics and payload shapes (docs/mqtt.md documents them). Both the
kiosk and headoffice import this module, so the two ends cannot drift apart.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

import orjson

SCHEMA_VERSION = 1
ROOT = "pos/v1"
MAX_PAYLOAD_BYTES = 256 * 1024


class WireError(ValueError):
    """A message that does not match its schema. The message names the field."""


# -- topics ---------------------------------------------------------------------------


def kiosk_root(kiosk_id: str) -> str:
    return f"{ROOT}/k/{kiosk_id}"


def event_topic(kiosk_id: str, stream: str) -> str:
    """Outbox events (QoS 1): kiosk → head office."""
    return f"{kiosk_root(kiosk_id)}/evt/{stream}"


def ack_topic(kiosk_id: str) -> str:
    """Application-level acknowledgements (QoS 1): head office → kiosk."""
    return f"{kiosk_root(kiosk_id)}/ack"


def status_topic(kiosk_id: str) -> str:
    """Retained online/offline state of one kiosk (its Last Will says offline)."""
    return f"{kiosk_root(kiosk_id)}/status"


def birth_topic(kiosk_id: str) -> str:
    """Retained latest birth (QoS 1): what head office needs to rebuild its view of a kiosk."""
    return f"{kiosk_root(kiosk_id)}/birth"


def telemetry_topic(kiosk_id: str) -> str:
    """Health samples (QoS 0, not retained): droppable by design."""
    return f"{kiosk_root(kiosk_id)}/telemetry"


def command_topic(kiosk_id: str) -> str:
    """Signed commands for one kiosk (QoS 1, not retained): head office → kiosk."""
    return f"{kiosk_root(kiosk_id)}/cmd"


def group_command_topic(group: str) -> str:
    """Signed commands for every kiosk of a group, e.g. a store (QoS 1, not retained)."""
    return f"{ROOT}/g/{group}/cmd"


HEADOFFICE_STATE_TOPIC = f"{ROOT}/ho/state"
ALL_EVENTS_FILTER = f"{ROOT}/k/+/evt/#"
ALL_STATUS_FILTER = f"{ROOT}/k/+/status"
ALL_BIRTH_FILTER = f"{ROOT}/k/+/birth"
ALL_TELEMETRY_FILTER = f"{ROOT}/k/+/telemetry"


def parse_event_topic(topic: str) -> tuple[str, str]:
    """`pos/v1/k/<kiosk>/evt/<stream>` → (kiosk, stream), or WireError."""
    parts = topic.split("/")
    if len(parts) != 6 or parts[:3] != ["pos", "v1", "k"] or parts[4] != "evt":
        raise WireError(f"not an event topic: {topic!r}")
    if not _is_id(parts[3]) or not _is_id(parts[5]):
        raise WireError(f"bad kiosk or stream in topic: {topic!r}")
    return parts[3], parts[5]


def parse_status_topic(topic: str) -> str:
    """`pos/v1/k/<kiosk>/status` → kiosk, or WireError."""
    return parse_kiosk_topic(topic, "status")


def parse_kiosk_topic(topic: str, leaf: str) -> str:
    """`pos/v1/k/<kiosk>/<leaf>` (status, birth, telemetry, cmd) → kiosk, or WireError."""
    parts = topic.split("/")
    if len(parts) != 5 or parts[:3] != ["pos", "v1", "k"] or parts[4] != leaf:
        raise WireError(f"not a {leaf} topic: {topic!r}")
    if not _is_id(parts[3]):
        raise WireError(f"bad kiosk in topic: {topic!r}")
    return parts[3]


_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # ASCII, as kiosk.id and appliance.commands
_CURRENCY = re.compile(r"[A-Z]{3}")


def _is_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


# -- payloads -------------------------------------------------------------------------

STREAM_SALES = "sales"
STREAM_REFUNDS = "refunds"
STREAM_STOCK = "stock"
STREAM_RESULTS = "results"
STREAMS = frozenset({STREAM_SALES, STREAM_REFUNDS, STREAM_STOCK, "alerts", "audit", STREAM_RESULTS})


@dataclass(frozen=True, slots=True)
class Envelope:
    """Every outbox event: who, which stream, which position in it, and the body."""

    event_id: str
    kiosk_id: str
    stream: str
    seq: int
    at: str
    clock_synced: bool
    body: dict[str, Any]

    def to_json(self) -> bytes:
        """Compact, keys sorted, UTF-8 (orjson: a sale's envelope in ~2 µs, not json's ~25,
        inside every sale's commit)."""
        return orjson.dumps(
            {
                "v": SCHEMA_VERSION,
                "event_id": self.event_id,
                "kiosk_id": self.kiosk_id,
                "stream": self.stream,
                "seq": self.seq,
                "at": self.at,
                "clock_synced": self.clock_synced,
                "body": self.body,
            },
            option=orjson.OPT_SORT_KEYS,
        )


def _load(payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise WireError(f"payload too large ({len(payload)} bytes)")
    try:
        # orjson is strict where json is lax: no NaN or Infinity, no integers past 64 bits,
        # UTF-8 only; and several times faster on head office's ingest path
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise WireError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WireError("payload is not a JSON object")
    if type(data.get("v")) is not int or data["v"] != SCHEMA_VERSION:  # `true` == 1 in Python
        raise WireError(f"unsupported schema version {data.get('v')!r}")
    return data


def _field(data: dict[str, Any], name: str, kind: type, where: str = "") -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise WireError(f"{where}{name}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def parse_envelope(payload: bytes) -> Envelope:
    data = _load(payload)
    env = Envelope(
        event_id=_field(data, "event_id", str),
        kiosk_id=_field(data, "kiosk_id", str),
        stream=_field(data, "stream", str),
        seq=_field(data, "seq", int),
        at=_field(data, "at", str),
        clock_synced=_field(data, "clock_synced", bool),
        body=_field(data, "body", dict),
    )
    if env.stream not in STREAMS:
        raise WireError(f"stream: unknown {env.stream!r}")
    if env.seq < 1:
        raise WireError("seq: must be 1 or more")
    if not _is_id(env.kiosk_id) or not 0 < len(env.event_id) <= 64:
        raise WireError("kiosk_id or event_id: malformed")
    if env.stream == STREAM_SALES:
        validate_sale_body(env.body)
    elif env.stream == STREAM_REFUNDS:
        validate_refund_body(env.body)
    elif env.stream == STREAM_RESULTS:
        validate_result_body(env.body)
    return env


def validate_refund_body(body: dict[str, Any]) -> None:
    """A refund body: refund id and number, the sale it returns, lines that add up."""
    _field(body, "refund_id", str, "body.")
    _field(body, "refund_seq", int, "body.")
    _field(body, "sale_id", str, "body.")
    total = _field(body, "total_minor", int, "body.")
    lines = _field(body, "lines", list, "body.")
    if not lines or total <= 0:
        raise WireError("body: a refund returns at least one unit")
    amounts = 0
    for i, line in enumerate(lines):
        if not isinstance(line, dict):
            raise WireError(f"body.lines[{i}]: expected object")
        if _field(line, "units", int, f"body.lines[{i}].") < 1:
            raise WireError(f"body.lines[{i}].units: must be 1 or more")
        amounts += _field(line, "amount_minor", int, f"body.lines[{i}].")
    if amounts != total:
        raise WireError("body.total_minor: the lines do not add up to the total")


def validate_sale_body(body: dict[str, Any]) -> None:
    """A sale body: sale id, kiosk sequence, currency, total, and lines that add up."""
    _field(body, "sale_id", str, "body.")
    _field(body, "sale_seq", int, "body.")
    currency = _field(body, "currency", str, "body.")
    if not _CURRENCY.fullmatch(currency):
        raise WireError("body.currency: expected an ISO 4217 code")
    total = _field(body, "total_minor", int, "body.")
    lines = _field(body, "lines", list, "body.")
    if not lines:
        raise WireError("body.lines: a sale has at least one line")
    line_sum = 0
    for i, line in enumerate(lines):
        if not isinstance(line, dict):
            raise WireError(f"body.lines[{i}]: expected object")
        _field(line, "gtin", str, f"body.lines[{i}].")
        _field(line, "name", str, f"body.lines[{i}].")
        qty = _field(line, "quantity", int, f"body.lines[{i}].")
        if qty < 1:
            raise WireError(f"body.lines[{i}].quantity: must be 1 or more")
        line_sum += _field(line, "total_minor", int, f"body.lines[{i}].")
    saved = _field(body, "saved_minor", int, "body.")
    if line_sum - saved != total:
        raise WireError("body.total_minor: lines minus savings do not equal the total")


def ack_payload(event_ids: list[str]) -> bytes:
    return json.dumps({"v": SCHEMA_VERSION, "event_ids": event_ids}).encode()


def parse_ack(payload: bytes) -> tuple[str, ...]:
    data = _load(payload)
    ids = _field(data, "event_ids", list)
    if not ids or len(ids) > 10_000 or not all(isinstance(i, str) and i for i in ids):
        raise WireError("event_ids: expected a non-empty list of strings")
    return tuple(ids)


def online_payload(online: bool, since: str) -> bytes:
    return json.dumps({"v": SCHEMA_VERSION, "online": online, "since": since}).encode()


def parse_online(payload: bytes) -> bool:
    return bool(_field(_load(payload), "online", bool))


# -- kiosk presence, birth and telemetry ------------------------------------------------

STATUS_STATES = ("online", "lost", "offline")  # lost: the Will; offline: a clean goodbye


@dataclass(frozen=True, slots=True)
class Status:
    """A kiosk's retained presence on `status`. conn_seq is the connection counter (bdSeq)
    that one connection's Will and online status share; None from a kiosk without it."""

    online: bool
    since: str
    conn_seq: int | None = None
    state: str | None = None


def status_payload(online: bool, since: str, conn_seq: int, state: str) -> bytes:
    """For a kiosk's status and its Will (`since` is "" in a Will: head office's receive
    time is when the kiosk was lost, research §1.3)."""
    if state not in STATUS_STATES or conn_seq < 0:
        raise ValueError(f"bad status: {state!r}, conn_seq {conn_seq}")
    payload = {"v": SCHEMA_VERSION, "online": online, "since": since, "conn_seq": conn_seq}
    return json.dumps(payload | {"state": state}, separators=(",", ":"), sort_keys=True).encode()


def parse_status(payload: bytes) -> Status:
    data = _load(payload)
    online = _field(data, "online", bool)
    since = data.get("since", "")
    conn_seq = data.get("conn_seq")
    state = data.get("state")
    if not isinstance(since, str):
        raise WireError("since: expected str")
    if conn_seq is not None and (not _is_count(conn_seq)):
        raise WireError("conn_seq: expected a whole number ≥ 0")
    if state is not None and state not in STATUS_STATES:
        raise WireError(f"state: expected one of {', '.join(STATUS_STATES)}")
    return Status(online, since, conn_seq, state)


@dataclass(frozen=True, slots=True)
class Birth:
    """Sent after every connect, and again on a `rebirth` command with the same conn_seq
    (not a new session). Retained: the latest birth of each kiosk."""

    kiosk_id: str
    conn_seq: int  # as in this connection's status and Will
    at: str  # the kiosk's wall clock, ISO 8601
    clock_synced: bool
    software: str  # appliance.__version__
    config_digest: str  # SHA-256 (hex) of the effective configuration
    catalog_version: int  # the live catalog, prices included; 0: none applied yet
    catalog_waiting: int | None  # a staged version the kiosk applies between sales
    devices: dict[str, str]  # device → state: {"printer": "ok", "scanner": "lost"}
    signal: str  # the light tower's signal (appliance.core.signals.Signal)
    outbox_depth: int  # events head office has not acknowledged yet
    outbox_heads: dict[str, int]  # stream → lowest unacknowledged seq (absent: none)
    command_counters: dict[str, int]  # head-office key id → last accepted command counter

    def to_json(self) -> bytes:
        return _record_json(asdict(self))


@dataclass(frozen=True, slots=True)
class Telemetry:
    """A health sample, QoS 0: lost samples do not matter. None: not readable here."""

    kiosk_id: str
    at: str  # the kiosk's wall clock, ISO 8601
    clock_synced: bool
    uptime_s: float | None  # since the operating system started
    cpu_temp_c: float | None  # degrees Celsius
    load_1m: float | None  # load averages over 1, 5 and 15 minutes
    load_5m: float | None
    load_15m: float | None
    mem_total_bytes: int | None
    mem_available_bytes: int | None
    disk_total_bytes: int | None  # of the data directory's file system
    disk_free_bytes: int | None  # available to the kiosk's (unprivileged) user
    outbox_depth: int
    devices: dict[str, str]
    signal: str
    sales_today: int  # completed sales since local midnight

    def to_json(self) -> bytes:
        return _record_json(asdict(self))


_NONE = type(None)
_TYPES: dict[str, tuple[type, ...]] = {
    "kiosk_id": (str,),
    "conn_seq": (int,),
    "at": (str,),
    "clock_synced": (bool,),
    "software": (str,),
    "config_digest": (str,),
    "catalog_version": (int,),
    "catalog_waiting": (int, _NONE),
    "devices": (dict,),
    "signal": (str,),
    "outbox_depth": (int,),
    "outbox_heads": (dict,),
    "command_counters": (dict,),
    "sales_today": (int,),
    **dict.fromkeys(("uptime_s", "cpu_temp_c", "load_1m", "load_5m", "load_15m"), (float, _NONE)),
    **dict.fromkeys(
        ("mem_total_bytes", "mem_available_bytes", "disk_total_bytes", "disk_free_bytes"),
        (int, _NONE),
    ),
}
_MAPS: dict[str, type] = {"devices": str, "outbox_heads": int, "command_counters": int}


def parse_birth(payload: bytes) -> Birth:
    return Birth(**_record(_load(payload), [f.name for f in fields(Birth)]))


def parse_telemetry(payload: bytes) -> Telemetry:
    return Telemetry(**_record(_load(payload), [f.name for f in fields(Telemetry)]))


def _record(data: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The named fields, type-checked by _TYPES; fields this version does not know are
    ignored, so a newer kiosk can add some without breaking an older head office."""
    values: dict[str, Any] = {}
    for name in names:
        kinds = _TYPES[name]
        if name not in data:
            raise WireError(f"{name}: missing")
        value = data[name]
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            try:
                value = float(value)
            except OverflowError:  # beyond a double: as the non-finite values below
                raise WireError(f"{name}: not a finite number") from None
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            expected = " or ".join("null" if k is _NONE else k.__name__ for k in kinds)
            raise WireError(f"{name}: expected {expected}, got {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise WireError(f"{name}: not a finite number")
        if isinstance(value, int) and not isinstance(value, bool) and not _is_count(value):
            raise WireError(f"{name}: expected a whole number ≥ 0")
        if name in _MAPS:
            _check_map(name, data[name], _MAPS[name])
        values[name] = value
    if not _is_id(values["kiosk_id"]):
        raise WireError("kiosk_id: malformed")
    return values


def _check_map(name: str, value: dict[str, Any], kind: type) -> None:
    if len(value) > 64:
        raise WireError(f"{name}: more than 64 entries")
    for key, item in value.items():
        ok = isinstance(item, str) and len(item) <= 64 if kind is str else _is_count(item)
        if not 0 < len(key) <= 64 or not ok:
            raise WireError(f"{name}.{key[:64]}: expected {kind.__name__}")


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _record_json(record: dict[str, Any]) -> bytes:
    payload = {"v": SCHEMA_VERSION, **record}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


# -- command results (stream `results`) --------------------------------------------------

OUTCOMES = ("applied", "rejected", "failed")


def result_body(cmd_id: str, kind: str, outcome: str, code: str, reason: str) -> dict[str, Any]:
    """The body of a `results` event: what became of one command (ValueError if malformed).

    cmd_id and kind are as the command claimed them ("" when unreadable); code is a stable
    word (`ok` when applied, appliance.commands.Code when rejected); reason is for people.
    """
    body = {"cmd_id": cmd_id, "kind": kind, "outcome": outcome, "code": code, "reason": reason}
    validate_result_body(body)
    return body


def validate_result_body(body: dict[str, Any]) -> None:
    cmd_id = _field(body, "cmd_id", str, "body.")
    kind = _field(body, "kind", str, "body.")
    outcome = _field(body, "outcome", str, "body.")
    code = _field(body, "code", str, "body.")
    reason = _field(body, "reason", str, "body.")
    if outcome not in OUTCOMES:
        raise WireError(f"body.outcome: expected one of {', '.join(OUTCOMES)}")
    if len(cmd_id) > 64 or len(kind) > 64 or not 0 < len(code) <= 64 or len(reason) > 1000:
        raise WireError("body: cmd_id, kind, code or reason too long (or code empty)")
