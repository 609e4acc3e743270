"""Signed commands and the fleet view over a real mosquitto, with `headoffice` as processes.

The kiosk side here is built only from this issue's pieces (appliance.commands.verify, the
wire catalogue, the telemetry builders), not from the kiosk's core, which wires them later.
Timeouts are bounds for a failure message, never assertions on speed.
"""

from __future__ import annotations

import json
import queue
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from appliance import commands, wire
from appliance.commands import Code, Rejected, Verified
from appliance.shell import telemetry
from headoffice.ingest import Ingest
from tests.support.broker import Broker

KIOSK = "store12-lane3"
GROUP = "store12"
REPO = Path(__file__).resolve().parents[2]
WAIT_S = 10.0


@contextmanager
def mqtt_client(broker: Broker) -> Iterator[mqtt.Client]:
    """A connected client whose callbacks hold no reference back to it or to an owner, so it
    is freed, and its sockets closed, as soon as the test lets go (paho#627)."""
    connected: queue.SimpleQueue[bool] = queue.SimpleQueue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_connect = lambda c, u, f, rc, p: connected.put(True)
    client.connect(broker.host, broker.port, keepalive=30)
    client.loop_start()
    try:
        connected.get(timeout=WAIT_S)
        yield client
    finally:
        client.disconnect()
        client.loop_stop()


def wait_headoffice_online(broker: Broker) -> None:
    online: queue.SimpleQueue[bool] = queue.SimpleQueue()
    with mqtt_client(broker) as client:
        client.on_message = lambda c, u, m: online.put(wire.parse_online(m.payload))
        client.subscribe(wire.HEADOFFICE_STATE_TOPIC, 1)
        deadline = time.monotonic() + WAIT_S
        while not online.get(timeout=max(0.0, deadline - time.monotonic())):
            pass


def headoffice(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m headoffice ARGS` as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "headoffice", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class CommandReceiver:
    """A kiosk's command intake in miniature: subscribe to its own and its group's cmd
    topics, verify, remember the counter of what it accepted, report a `results` event."""

    def __init__(self, broker: Broker, public_key: Path) -> None:
        self.trusted = commands.trust_store([public_key.read_bytes()])
        self.last_counters: dict[str, int] = {}
        self.verdicts: queue.SimpleQueue[tuple[bytes, Verified | Rejected]] = queue.SimpleQueue()
        self._seq = 0
        ready: queue.SimpleQueue[bool] = queue.SimpleQueue()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=KIOSK, protocol=mqtt.MQTTv5)
        client.on_connect = lambda c, u, f, rc, p: c.subscribe(
            [(wire.command_topic(KIOSK), 1), (wire.group_command_topic(GROUP), 1)]
        )
        client.on_subscribe = lambda c, u, mid, codes, p: ready.put(True)
        client.on_message = self._on_message
        client.connect(broker.host, broker.port, keepalive=30)
        client.loop_start()
        self._client = client
        ready.get(timeout=WAIT_S)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        payload = bytes(message.payload)
        verdict = commands.verify(
            payload, self.trusted, KIOSK, [GROUP], time.time(), self.last_counters
        )
        if isinstance(verdict, Verified):
            self.last_counters[verdict.key_id] = verdict.counter  # persisted before executing
            body = wire.result_body(verdict.cmd_id, verdict.kind, "applied", "ok", "")
        else:
            body = wire.result_body(
                verdict.cmd_id or "", verdict.kind or "", "rejected", verdict.code, verdict.reason
            )
        self._seq += 1
        result = wire.Envelope(
            str(uuid.uuid4()), KIOSK, wire.STREAM_RESULTS, self._seq, _now(), True, body
        )
        client.publish(wire.event_topic(KIOSK, wire.STREAM_RESULTS), result.to_json(), 1)
        self.verdicts.put((payload, verdict))

    def next_verdict(self) -> tuple[bytes, Verified | Rejected]:
        return self.verdicts.get(timeout=WAIT_S)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self._client.on_message = None  # no cycle: paho's sockets close with it (paho#627)


def test_a_signed_command_runs_once_and_replays_and_other_keys_are_refused(
    tmp_path: Path, broker: Broker
) -> None:
    """GIVEN `headoffice keygen` keys for head office and for an impostor, and a kiosk that
    trusts head office's public key
    WHEN head office sends out-of-service, the broker delivers it again, and the impostor
    sends one too
    THEN the kiosk accepts the first once, refuses the redelivery as a replay and the
    impostor's as an unknown key, and `send --wait` reports each result."""
    for name in ("hq", "impostor"):
        made = headoffice("keygen", "--out", str(tmp_path / name))
        assert made.returncode == 0, made.stderr
    key = tmp_path / "hq" / "command.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert headoffice("keygen", "--out", str(tmp_path / "hq")).returncode == 1  # never overwrites
    broker_arg = f"{broker.host}:{broker.port}"
    body = json.dumps({"on": True, "reason": "cleaning the scanner"})
    kiosk = CommandReceiver(broker, tmp_path / "hq" / "command.pub")
    try:
        sent = headoffice(
            "send", KIOSK, "out-of-service", "--body", body, "--key", str(key),
            "--broker", broker_arg, "--wait", "--timeout", str(WAIT_S),
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        assert f"{KIOSK}: applied (ok)" in sent.stdout
        delivered, first = kiosk.next_verdict()
        assert isinstance(first, Verified), first
        assert (first.kind, first.body["on"], first.clock_checked) == ("out-of-service", True, True)
        assert first.cmd_id in sent.stdout

        with mqtt_client(broker) as hq:  # QoS 1 may deliver it again
            hq.publish(wire.command_topic(KIOSK), delivered, 1).wait_for_publish(WAIT_S)
        _, again = kiosk.next_verdict()
        assert isinstance(again, Rejected) and again.code == Code.REPLAYED
        assert again.cmd_id == first.cmd_id

        forged = headoffice(
            "send", KIOSK, "out-of-service", "--body", body,
            "--key", str(tmp_path / "impostor" / "command.key"),
            "--broker", broker_arg, "--wait", "--timeout", str(WAIT_S),
        )  # fmt: skip
        assert forged.returncode == 1, forged.stderr
        assert f"{KIOSK}: rejected (unknown-key)" in forged.stdout
        _, impostor = kiosk.next_verdict()
        assert isinstance(impostor, Rejected) and impostor.code == Code.UNKNOWN_KEY
        assert kiosk.last_counters == {first.key_id: first.counter}  # refusals changed nothing
    finally:
        kiosk.close()


def test_a_store_wide_command_reaches_the_kiosk_through_its_group(
    tmp_path: Path, broker: Broker
) -> None:
    """GIVEN a kiosk of store12 WHEN head office sends `rebirth` to group:store12
    THEN the kiosk receives it on the group topic and accepts it; a drawer kind is refused
    by `headoffice send` itself (usage error, nothing published)."""
    assert headoffice("keygen", "--out", str(tmp_path / "hq")).returncode == 0
    key = str(tmp_path / "hq" / "command.key")
    kiosk = CommandReceiver(broker, tmp_path / "hq" / "command.pub")
    try:
        broker_arg = f"{broker.host}:{broker.port}"
        sent = headoffice("send", f"group:{GROUP}", "rebirth", "--key", key, "--broker", broker_arg)
        assert sent.returncode == 0, sent.stderr
        _, verdict = kiosk.next_verdict()
        assert isinstance(verdict, Verified) and verdict.target == f"group:{GROUP}"

        drawer = headoffice("send", KIOSK, "open-drawer", "--key", key, "--broker", broker_arg)
        assert drawer.returncode == 2
        assert kiosk.verdicts.empty()
    finally:
        kiosk.close()


@contextmanager
def ingest(broker: Broker, db_path: str) -> Iterator[Ingest]:
    service = Ingest(broker.host, broker.port, db_path, client_id="ho-ingest-fleet")
    thread = threading.Thread(target=service.run_forever, name="ingest-under-test")
    thread.start()
    try:
        wait_headoffice_online(broker)
        yield service
    finally:
        service.stop()
        thread.join(WAIT_S)
        assert not thread.is_alive(), "ingest did not stop"


def fleet_until(db_path: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        shown = headoffice("fleet", "--db", db_path, "--json")
        if shown.returncode == 0:
            rows = json.loads(shown.stdout)
            for row in rows:
                if row["kiosk_id"] == KIOSK and done(row):
                    return row
        time.sleep(0.1)
    raise AssertionError(f"the fleet never showed it; last: {rows}")


def test_the_fleet_shows_a_kiosk_online_with_its_health_then_lost(
    tmp_path: Path, broker: Broker, ledger_db: str
) -> None:
    """GIVEN head office's ingest running WHEN a kiosk connects with its Will, publishes its
    status, birth and telemetry, and later drops off (the broker sends its Will)
    THEN `headoffice fleet --json` shows it online with its outbox depth and signal, and
    then offline."""
    db_path = ledger_db
    conn_seq = telemetry.next_connection_counter(tmp_path)
    with ingest(broker, db_path):
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=KIOSK, protocol=mqtt.MQTTv5)
        lost = wire.status_payload(False, "", conn_seq, "lost")
        client.will_set(wire.status_topic(KIOSK), lost, qos=1, retain=True)
        client.connect(broker.host, broker.port, keepalive=30)
        client.loop_start()
        try:
            online = wire.status_payload(True, _now(), conn_seq, "online")
            client.publish(wire.status_topic(KIOSK), online, 1, retain=True)
            born = telemetry.birth_payload(
                kiosk_id=KIOSK, conn_seq=conn_seq, at=_now(), clock_synced=True,
                config={"kiosk": KIOSK}, catalog_version=12, catalog_waiting=None,
                devices={"printer": "ok"}, signal="available", outbox_depth=4,
                outbox_heads={"sales": 7}, command_counters={},
            )  # fmt: skip
            client.publish(wire.birth_topic(KIOSK), born, 1, retain=True)

            def sampled(row: dict[str, Any]) -> bool:
                health = telemetry.telemetry_payload(
                    kiosk_id=KIOSK, at=_now(), clock_synced=True, data_dir=tmp_path,
                    devices={"printer": "paper-low"}, signal="paper-low", outbox_depth=9,
                    sales_today=3,
                )  # fmt: skip
                client.publish(wire.telemetry_topic(KIOSK), health, 0)  # QoS 0: may be lost
                return row["online"] is True and row["sales_today"] == 3

            row = fleet_until(db_path, sampled)
            assert (row["outbox_depth"], row["signal"], row["conn_seq"]) == (9, "paper-low", 1)
            assert row["software"] and row["catalog_version"] == 12
        finally:
            will = ReasonCode(PacketTypes.DISCONNECT, identifier=4)  # "disconnect with Will"
            client.disconnect(reasoncode=will)
            client.loop_stop()
        row = fleet_until(db_path, lambda r: r["online"] is False)
        assert row["conn_seq"] == conn_seq and row["since"] >= row["last_seen"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
