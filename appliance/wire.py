"""What crosses the wire to head office: MQTT topics and payloads, version 1.

The one catalogue of topics and payload shapes (docs/mqtt.md documents them). Both the
kiosk and headoffice import this module, so the two ends cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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


HEADOFFICE_STATE_TOPIC = f"{ROOT}/ho/state"
ALL_EVENTS_FILTER = f"{ROOT}/k/+/evt/#"
ALL_STATUS_FILTER = f"{ROOT}/k/+/status"


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
    parts = topic.split("/")
    if len(parts) != 5 or parts[:3] != ["pos", "v1", "k"] or parts[4] != "status":
        raise WireError(f"not a status topic: {topic!r}")
    if not _is_id(parts[3]):
        raise WireError(f"bad kiosk in topic: {topic!r}")
    return parts[3]


def _is_id(text: str) -> bool:
    return 0 < len(text) <= 64 and all(c.isalnum() or c in "-_." for c in text)


# -- payloads -------------------------------------------------------------------------

STREAM_SALES = "sales"
STREAM_REFUNDS = "refunds"
STREAM_STOCK = "stock"
STREAMS = frozenset({STREAM_SALES, STREAM_REFUNDS, STREAM_STOCK, "alerts", "audit", "results"})


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
        return json.dumps(
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
            separators=(",", ":"),
            sort_keys=True,
        ).encode()


def _load(payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise WireError(f"payload too large ({len(payload)} bytes)")
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WireError("payload is not a JSON object")
    if data.get("v") != SCHEMA_VERSION:
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
    if len(currency) != 3 or not currency.isupper():
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
