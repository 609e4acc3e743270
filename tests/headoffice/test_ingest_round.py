"""One round of head office's ingest, without a broker: what it stores, acks and PUBACKs.

The round's MQTT client is a recorder that looks into the ledger through a connection of
its own whenever the ingest publishes, so "acked only once committed" is seen as another
reader would see it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from paho.mqtt.client import topic_matches_sub

from appliance import wire
from headoffice.db import open_ledger
from headoffice.ingest import Ingest, _Received, kind_of
from tests.support.sales import sale_envelope

KIOSK_A, KIOSK_B = "k-a", "k-b"


class RecordingClient:
    """Stands in for paho: records app-level acks (with what the ledger held at that moment,
    read by another connection) and PUBACKs."""

    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        self.acks: list[tuple[str, tuple[str, ...], set[str]]] = []
        self.pubacks: list[tuple[int, int]] = []

    def publish(self, topic: str, payload: bytes, qos: int = 0, *args: Any, **kw: Any) -> None:
        with closing(sqlite3.connect(self._db_path)) as db:
            committed = {r[0] for r in db.execute("SELECT event_id FROM events")}
        self.acks.append((topic, wire.parse_ack(payload), committed))

    def ack(self, mid: int, qos: int) -> None:
        self.pubacks.append((mid, len(self.acks)))


def _event(kiosk_id: str, seq: int, mid: int, topic_kiosk: str | None = None) -> _Received:
    topic = wire.event_topic(topic_kiosk or kiosk_id, wire.STREAM_SALES)
    return _Received("event", topic, sale_envelope(kiosk_id, seq).to_json(), mid, 1, 1)


@pytest.fixture
def ingest(tmp_path: Path) -> Any:
    service = Ingest("127.0.0.1", 1, tmp_path / "ho.sqlite3")  # never started: no broker
    service._drop_callbacks()  # let its own paho client go at once
    client = RecordingClient(tmp_path / "ho.sqlite3")
    service._client = client  # type: ignore[assignment]
    service._connection = 1
    with open_ledger(tmp_path / "ho.sqlite3") as ledger:
        yield service, client, ledger


def test_a_round_acks_exactly_the_events_it_stored_once_they_are_committed(ingest: Any) -> None:
    """GIVEN one round of deliveries: two sales of kiosk A in order, a payload that is not
    JSON, kiosk B's sale on kiosk A's topic, and kiosk B's first sale
    WHEN the ingest handles the round
    THEN each kiosk gets one ack listing exactly its stored events, published only when
    another reader already sees them committed; the two bad messages are neither stored
    nor acked and change nothing of kiosk A's stream; every delivery is PUBACKed, after
    the acks."""
    service, client, ledger = ingest
    bad_json = _Received("event", wire.event_topic(KIOSK_A, "sales"), b"{not json", 3, 1, 1)
    round_ = [
        _event(KIOSK_A, 1, 1),
        _event(KIOSK_A, 2, 2),
        bad_json,
        _event(KIOSK_B, 1, 4, topic_kiosk=KIOSK_A),
        _event(KIOSK_B, 1, 5),
    ]

    service._handle_batch(ledger, round_)

    a1, a2, b1 = (
        sale_envelope(k, s).event_id for k, s in [(KIOSK_A, 1), (KIOSK_A, 2), (KIOSK_B, 1)]
    )
    assert [(topic, ids) for topic, ids, _ in client.acks] == [
        (wire.ack_topic(KIOSK_A), (a1, a2)),
        (wire.ack_topic(KIOSK_B), (b1,)),
    ]
    for _, ids, committed in client.acks:
        assert set(ids) <= committed
    assert {e.event_id for e in ledger.events()} == {a1, a2, b1}
    assert (service.stored, service.rejected) == (3, 2)
    assert sorted(mid for mid, _ in client.pubacks) == [1, 2, 3, 4, 5]
    assert all(after == len(client.acks) for _, after in client.pubacks)

    # kiosk A's stream goes on from seq 3: the bad messages took no place in it
    service._handle_batch(ledger, [_event(KIOSK_A, 3, 6)])
    assert client.acks[-1][:2] == (wire.ack_topic(KIOSK_A), (sale_envelope(KIOSK_A, 3).event_id,))


def test_a_round_whose_every_message_is_bad_acks_nothing_and_stores_nothing(
    ingest: Any,
) -> None:
    """GIVEN a round of only malformed messages WHEN handled THEN no ack, nothing stored,
    each delivery PUBACKed (the broker must not send it again)."""
    service, client, ledger = ingest
    wrong_seq = sale_envelope(KIOSK_A, 1).to_json().replace(b'"seq":1', b'"seq":"1"')
    round_ = [
        _Received("event", wire.event_topic(KIOSK_A, "sales"), wrong_seq, 1, 1, 1),
        _Received("event", "pos/v1/k/k-a/evt/nope/extra", b"{}", 2, 1, 1),
    ]
    service._handle_batch(ledger, round_)
    assert client.acks == []
    assert ledger.events() == []
    assert sorted(mid for mid, _ in client.pubacks) == [1, 2]
    assert service.rejected == 2


FILTERS = {
    "event": wire.ALL_EVENTS_FILTER,
    "status": wire.ALL_STATUS_FILTER,
    "birth": wire.ALL_BIRTH_FILTER,
    "telemetry": wire.ALL_TELEMETRY_FILTER,
}
LEVELS = ["pos", "v1", "v2", "k", "g", "k-1", "", "evt", "sales", "status", "birth"]
LEVELS += ["telemetry", "ack", "cmd", "ho", "state"]


@given(st.lists(st.sampled_from(LEVELS), min_size=1, max_size=7))
def test_kind_of_routes_a_topic_as_the_subscriptions_match_it(levels: list[str]) -> None:
    """GIVEN any topic WHEN the ingest routes it THEN its kind is that of the subscription
    filter (wire's ALL_*_FILTER) that matches it, None when none does."""
    topic = "/".join(levels)
    matching = [kind for kind, sub in FILTERS.items() if topic_matches_sub(sub, topic)]
    assert kind_of(topic) == (matching[0] if matching else None)


def test_kind_of_the_topics_kiosks_send_on() -> None:
    assert kind_of(wire.event_topic(KIOSK_A, wire.STREAM_SALES)) == "event"
    assert kind_of(wire.status_topic(KIOSK_A)) == "status"
    assert kind_of(wire.birth_topic(KIOSK_A)) == "birth"
    assert kind_of(wire.telemetry_topic(KIOSK_A)) == "telemetry"
    assert kind_of(wire.ack_topic(KIOSK_A)) is None
    assert kind_of(wire.HEADOFFICE_STATE_TOPIC) is None
