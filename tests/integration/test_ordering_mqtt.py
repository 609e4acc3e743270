"""Ordering per kiosk and stream through a real mosquitto and a running ingest: early
events wait for the gap to fill and are acked only once applied; a gap the reorder
window does not close gets exactly one signed `resync` command, which the kiosk's own
verifier accepts. Against SQLite and PostgreSQL (the `ledger_db` fixture)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from appliance import commands, wire
from appliance.commands import Verified
from headoffice import commands as ho_commands
from headoffice.db import open_ledger
from headoffice.reorder import ReorderWindow
from tests.integration.test_reporting import WAIT_S, headoffice
from tests.support.broker import Broker, Probe
from tests.support.sales import sale_envelope

KIOSK = "k-order-1"
WINDOW_S = 0.5


def wait_for(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {WAIT_S} s")
        time.sleep(0.02)


def drain(probe: Probe) -> list[mqtt.MQTTMessage]:
    messages = []
    while not probe.received.empty():
        messages.append(probe.received.get())
    return messages


def acked(messages: list[mqtt.MQTTMessage]) -> list[str]:
    ack_topic = wire.ack_topic(KIOSK)
    return [i for m in messages if m.topic == ack_topic for i in wire.parse_ack(m.payload)]


def resyncs(
    messages: list[mqtt.MQTTMessage], trusted: dict[str, Ed25519PublicKey]
) -> list[dict[str, Any]]:
    """The bodies of the commands sent to the kiosk, each verified as the kiosk would."""
    bodies = []
    for m in messages:
        if m.topic == wire.command_topic(KIOSK):
            verdict = commands.verify(m.payload, trusted, KIOSK, [], time.time(), {})
            assert isinstance(verdict, Verified), verdict
            assert verdict.kind == "resync"
            bodies.append(dict(verdict.body))
    return bodies


def test_out_of_order_events_apply_in_order_and_a_gap_gets_one_signed_resync(
    tmp_path: Path, broker: Broker, ledger_db: str
) -> None:
    """GIVEN ingest running with a 0.5 s reorder window and the command key
    WHEN seq 3 and 2 arrive THEN both are held and nothing is acked
    WHEN seq 1 arrives THEN 1, 2, 3 are applied and acked; a repeat of 2 is acked again
    WHEN seq 5 arrives and 4 never does THEN exactly one resync command for the kiosk,
    signed with the head-office key, asks for stream sales from seq 4
    WHEN seq 4 then arrives THEN 4 and 5 are applied and acked: the ledger holds 1..5 once."""
    private, public = ho_commands.keygen(tmp_path / "hq")
    trusted = commands.trust_store([public.read_bytes()])
    topic = wire.event_topic(KIOSK, wire.STREAM_SALES)
    window = ReorderWindow(seconds=WINDOW_S)
    probe = Probe(broker, [wire.ack_topic(KIOSK), wire.command_topic(KIOSK)])
    try:
        with headoffice(broker, ledger_db, reorder=window, command_key=private) as ingest:
            for seq in (3, 2):
                probe.publish(topic, sale_envelope(KIOSK, seq).to_json())
            wait_for(lambda: ingest.held == 2, "two events held")
            time.sleep(4 * WINDOW_S)  # past the window: seq 1 is missing
            early = drain(probe)
            assert acked(early) == []
            assert resyncs(early, trusted) == [{"stream": "sales", "from_seq": 1}]

            probe.publish(topic, sale_envelope(KIOSK, 1).to_json())
            wait_for(lambda: ingest.stored == 3, "1, 2, 3 applied")
            probe.publish(topic, sale_envelope(KIOSK, 2).to_json())  # a duplicate
            messages: list[mqtt.MQTTMessage] = []

            def four_acks() -> bool:
                messages.extend(drain(probe))
                return len(acked(messages)) >= 4

            wait_for(four_acks, "four acks")
            assert sorted(acked(messages)) == [f"evt-{KIOSK}-{s}" for s in (1, 2, 2, 3)]

            probe.publish(topic, sale_envelope(KIOSK, 5).to_json())
            command = probe.expect(lambda m: m.topic == wire.command_topic(KIOSK), WAIT_S)
            assert resyncs([command], trusted) == [{"stream": "sales", "from_seq": 4}]
            time.sleep(4 * WINDOW_S)  # ingest looks again every window/4: no second request
            assert resyncs(drain(probe), trusted) == []

            probe.publish(topic, sale_envelope(KIOSK, 4).to_json())
            late = probe.expect(lambda m: m.topic == wire.ack_topic(KIOSK), WAIT_S)
            assert set(wire.parse_ack(late.payload)) == {f"evt-{KIOSK}-4", f"evt-{KIOSK}-5"}
            assert ingest.stored == 5
    finally:
        probe.close()
    with open_ledger(ledger_db, create=False) as ledger:
        assert [s.sale_seq for s in ledger.sales()] == [1, 2, 3, 4, 5]
        assert ledger.held() == []
