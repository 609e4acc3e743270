"""The example broker set-up (docs/mosquitto/) on a real mosquitto: mutual TLS, CN = user
name, and the ACL keeping each kiosk to its own topics.

The broker runs docs/mosquitto/mosquitto.conf and kiosk.acl themselves, with only ports and
file paths rewritten, so the shipped example is what is tested. Certificates come from a
throwaway PKI (tests/support/pki.py) laid out as docs/tls.md says.

What mosquitto 2.0.11 does, checked here rather than assumed: an ACL-denied PUBLISH at QoS 1
gets PUBACK 0x87 (MQTT 5); a SUBSCRIBE is granted whatever the ACL says and the read rules
are applied to each message delivered instead, so "cannot read" is proven by non-delivery,
with a message the same client may read published after as a barrier.
Timeouts are bounds for a failure message, never assertions on speed.
"""

from __future__ import annotations

import queue
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from appliance import wire
from appliance.broker_tls import TlsError, TlsFiles
from appliance.core.events import Event, ReportAcked
from appliance.doctor_probes import broker_tls
from appliance.shell.reporter import Reporter
from appliance.shell.store import Store
from headoffice.db import SqliteLedger
from headoffice.ingest import Ingest
from tests.support.broker import Broker, BrokerError, free_port, mosquitto_path
from tests.support.pki import Ca, Issued
from tests.support.sales import commit_sale, sale_envelope

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "mosquitto"
WAIT_S = 10.0
QUIET_S = 1.0  # how long "nothing arrives" is watched, after the barrier has arrived
NOT_AUTHORIZED = 0x87

KIOSK_A, STORE_A = "kiosk-a", "store-1"
KIOSK_B, STORE_B = "kiosk-b", "store-2"


@dataclass(frozen=True)
class Fleet:
    broker: Broker
    kiosk_port: int
    headoffice_port: int
    server_ca: Path
    kiosk_a: Issued
    kiosk_b: Issued
    headoffice: Issued
    rogue_b: Issued  # CN=kiosk-b, but from a CA the broker does not trust

    def files(self, issued: Issued) -> TlsFiles:
        return TlsFiles(self.server_ca, issued.cert, issued.key)


def example_config(tls: Path, acl: Path, kiosk_port: int, headoffice_port: int) -> str:
    """docs/mosquitto/mosquitto.conf with this test's ports and files, nothing else changed."""
    text = (EXAMPLE / "mosquitto.conf").read_text()
    replacements = {
        "listener 8883\n": f"listener {kiosk_port} 127.0.0.1\n",
        "listener 8884\n": f"listener {headoffice_port} 127.0.0.1\n",
        "/etc/mosquitto/kiosk.acl": str(acl),
        "/etc/mosquitto/tls/": f"{tls}/",
    }
    for old, new in replacements.items():
        assert old in text, f"the example no longer has {old!r}: update this test"
        text = text.replace(old, new)
    return text


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    try:
        mosquitto_path()
    except BrokerError as exc:
        pytest.fail(str(exc))
    tls = tmp_path / "tls"
    server_ca = Ca.create(tls, "server-ca")
    kiosk_ca = Ca.create(tls, "kiosk-ca")
    headoffice_ca = Ca.create(tls, "headoffice-ca")
    rogue_ca = Ca.create(tmp_path / "rogue", "rogue-ca")
    server = server_ca.issue_server(tls, "broker", ["127.0.0.1", "localhost"])
    assert server.cert == tls / "broker.crt" and server.key == tls / "broker.key"

    acl = tmp_path / "kiosk.acl"
    acl.write_text(
        (EXAMPLE / "kiosk.acl").read_text()
        # the per-kiosk store-group blocks, as head office would generate them
        + f"\nuser {KIOSK_A}\ntopic read pos/v1/g/{STORE_A}/cmd\n"
        + f"\nuser {KIOSK_B}\ntopic read pos/v1/g/{STORE_B}/cmd\n"
    )
    kiosk_port, headoffice_port = free_port(), free_port()
    conf = example_config(tls, acl, kiosk_port, headoffice_port)
    with Broker(tmp_path / "broker", listeners=conf, port=kiosk_port) as broker:
        yield Fleet(
            broker,
            kiosk_port,
            headoffice_port,
            server_ca.cert_path,
            kiosk_ca.issue_client(tmp_path / "a", KIOSK_A),
            kiosk_ca.issue_client(tmp_path / "b", KIOSK_B),
            headoffice_ca.issue_client(tmp_path / "ho", "headoffice"),
            rogue_ca.issue_client(tmp_path / "rogue", KIOSK_B),
        )


class Client:
    """A bare MQTT 5 client over TLS that records CONNACK, PUBACK and SUBACK codes and
    messages, so a test can look at what the broker answered."""

    def __init__(self, fleet: Fleet, port: int, issued: Issued | None, client_id: str = "") -> None:
        self.client_id = client_id
        self.messages: queue.SimpleQueue[mqtt.MQTTMessage] = queue.SimpleQueue()
        self._connack: queue.SimpleQueue[ReasonCode | None] = queue.SimpleQueue()
        self._acks: dict[int, queue.SimpleQueue[list[ReasonCode]]] = {}
        self._lock = threading.Lock()
        self.disconnected = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=5)
        client.tls_set(
            ca_certs=str(fleet.server_ca),
            certfile=str(issued.cert) if issued else None,
            keyfile=str(issued.key) if issued else None,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        client.on_message = lambda c, u, message: self.messages.put(message)
        self._client = client
        self._port = port
        self._host = fleet.broker.host

    def connect(self) -> ReasonCode | None:
        """The CONNACK's reason code, or None when the connection died before one."""
        try:
            self._client.connect(self._host, self._port, keepalive=30)
        except (OSError, ssl.SSLError):
            return None
        self._client.loop_start()
        try:
            return self._connack.get(timeout=WAIT_S)
        except queue.Empty:
            return None

    def _on_connect(self, c: mqtt.Client, u: Any, f: Any, code: ReasonCode, p: Any) -> None:
        self._connack.put(code)

    def _on_disconnect(self, c: mqtt.Client, u: Any, f: Any, code: ReasonCode, p: Any) -> None:
        self._connack.put(None)  # a refusal during the TLS handshake ends up here
        self.disconnected.set()

    def _slot(self, mid: int) -> queue.SimpleQueue[list[ReasonCode]]:
        with self._lock:
            return self._acks.setdefault(mid, queue.SimpleQueue())

    def _on_publish(self, c: mqtt.Client, u: Any, mid: int, code: ReasonCode, p: Any) -> None:
        self._slot(mid).put([code])

    def _on_subscribe(
        self, c: mqtt.Client, u: Any, mid: int, codes: list[ReasonCode], p: Any
    ) -> None:
        self._slot(mid).put(codes)

    def publish(self, topic: str, payload: bytes = b"{}") -> int:
        """QoS 1; the PUBACK's reason code."""
        info = self._client.publish(topic, payload, qos=1)
        return self._slot(info.mid).get(timeout=WAIT_S)[0].value

    def subscribe(self, *filters: str) -> list[int]:
        """QoS 1; the SUBACK's reason codes."""
        _, mid = self._client.subscribe([(f, 1) for f in filters])
        assert mid is not None
        return [code.value for code in self._slot(mid).get(timeout=WAIT_S)]

    def received_until(self, barrier_topic: str) -> list[str]:
        """Topics received up to and including the first message on `barrier_topic`."""
        topics: list[str] = []
        deadline = time.monotonic() + WAIT_S
        while barrier_topic not in topics:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{barrier_topic} never arrived; got {topics}")
            try:
                topics.append(self.messages.get(timeout=left).topic)
            except queue.Empty:
                continue
        return topics

    def received_within(self, seconds: float) -> list[str]:
        topics: list[str] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                topics.append(self.messages.get(timeout=left).topic)
            except queue.Empty:
                break
        return topics

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        # break the callback cycle (eclipse-paho/paho.mqtt.python#627), as Probe does
        c = self._client
        c.on_connect = c.on_disconnect = c.on_publish = c.on_subscribe = c.on_message = None


@contextmanager
def connected(
    fleet: Fleet, issued: Issued, *, headoffice: bool = False, client_id: str = ""
) -> Iterator[Client]:
    port = fleet.headoffice_port if headoffice else fleet.kiosk_port
    client = Client(fleet, port, issued, client_id)
    try:
        code = client.connect()
        assert code is not None and code.value == 0, f"not connected: {code}"
        yield client
    finally:
        client.close()


def refused(fleet: Fleet, port: int, issued: Issued | None) -> bool:
    client = Client(fleet, port, issued, "someone")
    try:
        code = client.connect()
        return code is None or code.is_failure
    finally:
        client.close()


def test_a_kiosk_connects_with_its_certificate_and_nothing_else_gets_in(fleet: Fleet) -> None:
    """GIVEN the example broker
    WHEN kiosk A connects with its certificate, and others try without one, with a
    certificate from a CA the broker does not trust (claiming CN kiosk-b), or with a kiosk
    certificate on head office's listener
    THEN only kiosk A and head office (on its own listener) get in, and the broker took
    each one's CN as its user name."""
    with connected(fleet, fleet.kiosk_a), connected(fleet, fleet.headoffice, headoffice=True):
        pass
    assert refused(fleet, fleet.kiosk_port, None)
    assert refused(fleet, fleet.kiosk_port, fleet.rogue_b)
    assert refused(fleet, fleet.headoffice_port, fleet.kiosk_a)
    assert refused(fleet, fleet.kiosk_port, fleet.headoffice)
    log = fleet.broker.log_path.read_text()
    assert f"as {KIOSK_A} (p5, c1, k30, u'{KIOSK_A}')" in log  # client id = user name = CN
    assert "u'headoffice'" in log


def test_kiosk_a_cannot_publish_on_kiosk_b_topics_nor_any_head_office_topic(
    fleet: Fleet,
) -> None:
    """GIVEN kiosk A, kiosk B and head office connected, head office and B listening
    WHEN kiosk A publishes on each of B's topics, on its own ack and command topics, on a
    store group's command topic and on head office's state
    THEN the broker answers each with PUBACK 0x87 (not authorised) and nobody receives
    any of them, while A's own sale event is accepted and reaches head office."""
    denied = [
        wire.status_topic(KIOSK_B),
        wire.birth_topic(KIOSK_B),
        wire.telemetry_topic(KIOSK_B),
        wire.event_topic(KIOSK_B, wire.STREAM_SALES),
        wire.ack_topic(KIOSK_B),
        wire.command_topic(KIOSK_B),
        wire.ack_topic(KIOSK_A),  # a kiosk may not acknowledge itself
        wire.command_topic(KIOSK_A),  # nor command itself
        wire.group_command_topic(STORE_A),
        wire.HEADOFFICE_STATE_TOPIC,
    ]
    with (
        connected(fleet, fleet.headoffice, headoffice=True) as ho,
        connected(fleet, fleet.kiosk_b) as kiosk_b,
        connected(fleet, fleet.kiosk_a) as kiosk_a,
    ):
        ho.subscribe("pos/v1/#")
        kiosk_b.subscribe("pos/v1/#")
        codes = {topic: kiosk_a.publish(topic) for topic in denied}
        own = wire.event_topic(KIOSK_A, wire.STREAM_SALES)
        assert kiosk_a.publish(own, sale_envelope(KIOSK_A, 1).to_json()) == 0

        assert codes == dict.fromkeys(denied, NOT_AUTHORIZED)
        assert ho.received_until(own) == [own]  # nothing denied came before it
        assert ho.received_within(QUIET_S) == []
        assert kiosk_b.received_within(QUIET_S) == []


def test_kiosk_a_cannot_read_kiosk_b_acks_commands_or_another_stores_commands(
    fleet: Fleet,
) -> None:
    """GIVEN kiosk A subscribed to B's ack, command and event topics, to every kiosk's acks
    and to both stores' group commands
    WHEN head office acks B, commands B and B's store, and B sends an event
    THEN B gets its own, and A gets none of them: after them, A's own ack and its store's
    command (the barrier) arrive, and nothing else."""
    with (
        connected(fleet, fleet.headoffice, headoffice=True) as ho,
        connected(fleet, fleet.kiosk_b) as kiosk_b,
        connected(fleet, fleet.kiosk_a) as kiosk_a,
    ):
        codes = kiosk_a.subscribe(
            wire.ack_topic(KIOSK_B),
            wire.command_topic(KIOSK_B),
            wire.event_topic(KIOSK_B, "+"),
            "pos/v1/k/+/ack",
            wire.group_command_topic(STORE_B),
            wire.group_command_topic(STORE_A),
        )
        # 2.0.11 grants (QoS 1) and filters on delivery; a broker that refuses says 0x87
        assert all(code in (1, NOT_AUTHORIZED) for code in codes), codes
        b_topics = [wire.ack_topic(KIOSK_B), wire.command_topic(KIOSK_B)]
        kiosk_b.subscribe(*b_topics, wire.group_command_topic(STORE_B))

        for topic in [*b_topics, wire.group_command_topic(STORE_B)]:
            assert ho.publish(topic) == 0
        assert kiosk_b.publish(wire.event_topic(KIOSK_B, wire.STREAM_SALES)) == 0
        assert ho.publish(wire.ack_topic(KIOSK_A)) == 0
        assert ho.publish(wire.group_command_topic(STORE_A)) == 0

        assert sorted(kiosk_b.received_within(QUIET_S)) == sorted(
            [*b_topics, wire.group_command_topic(STORE_B)]
        )
        got = kiosk_a.received_until(wire.group_command_topic(STORE_A))
        got += kiosk_a.received_within(QUIET_S)
        # A's ack matches two of its filters (its own via +), so it may come twice
        assert set(got) == {wire.ack_topic(KIOSK_A), wire.group_command_topic(STORE_A)}, got


def test_a_kiosk_cannot_take_another_kiosks_client_id(fleet: Fleet) -> None:
    """GIVEN kiosk B connected
    WHEN kiosk A connects asking for client id "kiosk-b"
    THEN the broker gives A its own CN as client id: B stays connected and still gets
    its acks (without use_username_as_clientid A would have thrown B off, and taken over
    its session)."""
    with (
        connected(fleet, fleet.headoffice, headoffice=True) as ho,
        connected(fleet, fleet.kiosk_b, client_id=KIOSK_B) as kiosk_b,
    ):
        kiosk_b.subscribe(wire.ack_topic(KIOSK_B))
        with connected(fleet, fleet.kiosk_a, client_id=KIOSK_B):
            assert ho.publish(wire.ack_topic(KIOSK_B)) == 0
            assert kiosk_b.received_until(wire.ack_topic(KIOSK_B))
            assert not kiosk_b.disconnected.is_set()
    assert f"as {KIOSK_A} (p5" in fleet.broker.log_path.read_text()


def test_head_office_reads_kiosk_events_through_its_shared_subscription_and_acks(
    fleet: Fleet,
) -> None:
    """GIVEN head office subscribed as ingest is ($share/ingest/...), and to presence
    WHEN kiosk A publishes its status and a sale event, and head office acks it
    THEN head office receives both, and the ack reaches kiosk A."""
    with (
        connected(fleet, fleet.headoffice, headoffice=True) as ho,
        connected(fleet, fleet.kiosk_a) as kiosk_a,
    ):
        assert ho.subscribe(f"$share/ingest/{wire.ALL_EVENTS_FILTER}", wire.ALL_STATUS_FILTER)[
            0
        ] in (0, 1)
        kiosk_a.subscribe(wire.ack_topic(KIOSK_A))
        assert kiosk_a.publish(wire.status_topic(KIOSK_A), wire.online_payload(True, "")) == 0
        sale = wire.event_topic(KIOSK_A, wire.STREAM_SALES)
        assert kiosk_a.publish(sale, sale_envelope(KIOSK_A, 1).to_json()) == 0
        assert ho.received_until(sale) == [wire.status_topic(KIOSK_A), sale]
        assert ho.publish(wire.ack_topic(KIOSK_A), wire.ack_payload(["evt-kiosk-a-1"])) == 0
        assert kiosk_a.received_until(wire.ack_topic(KIOSK_A)) == [wire.ack_topic(KIOSK_A)]


def test_the_kiosk_reporter_delivers_a_sale_to_head_office_ingest_over_tls(
    fleet: Fleet, tmp_path: Path
) -> None:
    """GIVEN headoffice ingest with its certificate and the kiosk's reporter with kiosk A's
    (the production classes, TLS files as the config and CLI pass them)
    WHEN a sale is committed in the kiosk's store and the loop pumps the reporter
    THEN head office stores it, its ack comes back and the outbox empties."""
    db_path = tmp_path / "ho.db"
    ingest = Ingest(
        fleet.broker.host,
        fleet.headoffice_port,
        db_path,
        client_id="headoffice-ingest-test",
        tls=fleet.files(fleet.headoffice),
    )
    thread = threading.Thread(target=ingest.run_forever, name="ingest-under-test")
    thread.start()
    inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()
    try:
        with (
            Store.open(tmp_path / "kiosk.db") as store,
            Reporter(
                KIOSK_A,
                fleet.broker.host,
                fleet.kiosk_port,
                inbox.put,
                time.monotonic,
                tls=fleet.files(fleet.kiosk_a),
            ) as reporter,
        ):
            reporter.start()
            sale = commit_sale(store, KIOSK_A)
            deadline = time.monotonic() + WAIT_S
            while store.outbox_depth() > 0:
                assert time.monotonic() < deadline, fleet.broker.log_tail()
                reporter.pump(store)
                try:
                    event = inbox.get(timeout=0.05)
                except queue.Empty:
                    continue
                if isinstance(event, ReportAcked):
                    store.mark_delivered(event.event_ids)
                    reporter.notice_acked(event.event_ids)
    finally:
        ingest.stop()
        thread.join(WAIT_S)
    assert not thread.is_alive(), "ingest did not stop"
    with SqliteLedger.open(db_path) as ledger:
        assert [s.sale_id for s in ledger.sales()] == [sale.sale_id]
    assert "Denied" not in fleet.broker.log_path.read_text()


def test_the_reporter_refuses_a_certificate_that_names_another_kiosk(fleet: Fleet) -> None:
    """GIVEN kiosk B's certificate configured on kiosk A
    WHEN the reporter is built
    THEN it stops with an error naming the CN, before connecting anywhere."""
    with pytest.raises(TlsError, match="'kiosk-b', not 'kiosk-a'"):
        Reporter(
            KIOSK_A,
            fleet.broker.host,
            fleet.kiosk_port,
            lambda event: None,
            time.monotonic,
            tls=fleet.files(fleet.kiosk_b),
        )


def test_headoffice_send_signs_and_publishes_a_command_over_tls(
    fleet: Fleet, tmp_path: Path
) -> None:
    """GIVEN head office's command key and its TLS files
    WHEN `headoffice send kiosk-a rebirth --tls-ca --tls-cert --tls-key` runs, and again
    with only --tls-ca
    THEN kiosk A receives the signed command; the incomplete one exits 2 sending nothing."""
    from headoffice import cli
    from headoffice import commands as ho_commands

    private, _ = ho_commands.keygen(tmp_path / "keys")
    tls = [
        "--tls-ca",
        str(fleet.server_ca),
        "--tls-cert",
        str(fleet.headoffice.cert),
        "--tls-key",
        str(fleet.headoffice.key),
    ]
    broker = f"{fleet.broker.host}:{fleet.headoffice_port}"
    with connected(fleet, fleet.kiosk_a) as kiosk_a:
        kiosk_a.subscribe(wire.command_topic(KIOSK_A))
        args = ["send", KIOSK_A, "rebirth", "--key", str(private), "--broker", broker]
        assert cli.main([*args, *tls]) == 0
        assert kiosk_a.received_until(wire.command_topic(KIOSK_A)) == [wire.command_topic(KIOSK_A)]
        assert cli.main([*args, *tls[:2]]) == 2
        assert kiosk_a.received_within(QUIET_S) == []


def test_kiosk_doctor_checks_the_tls_broker_without_taking_the_kiosks_session(
    fleet: Fleet,
) -> None:
    """GIVEN the example broker WHEN the doctor's broker probe runs with kiosk A's files
    THEN it is accepted (a TLS handshake, no MQTT CONNECT that would throw the running kiosk
    off); with a certificate from a CA the broker does not trust, or a closed port, it is a
    fault with the reason. Kiosk A stays connected all along."""
    with connected(fleet, fleet.kiosk_a, client_id=KIOSK_A) as kiosk_a:
        ok = broker_tls("127.0.0.1", fleet.kiosk_port, fleet.files(fleet.kiosk_a), WAIT_S)
        assert ok.ok and "TLS accepted as kiosk-a" in ok.state, ok
        rogue = broker_tls("127.0.0.1", fleet.kiosk_port, fleet.files(fleet.rogue_b), WAIT_S)
        assert not rogue.ok and "refused" in rogue.state, rogue
        closed = broker_tls("127.0.0.1", free_port(), fleet.files(fleet.kiosk_a), WAIT_S)
        assert not closed.ok and "unreachable" in closed.state
        assert not kiosk_a.disconnected.is_set()
