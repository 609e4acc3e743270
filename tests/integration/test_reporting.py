"""Sales from the kiosk outbox to head office's ledger over a real mosquitto, acked back.

Timeouts below are bounds for a failure message, never assertions on speed.
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from appliance import wire
from appliance.core.events import BrokerLinkChanged, Event, ReportAcked
from appliance.shell.reporter import Reporter
from appliance.shell.store import Store
from headoffice.db import open_ledger
from headoffice.ingest import Ingest
from tests.support.broker import Broker, Probe, on_topic
from tests.support.sales import commit_sale, sale_envelope

KIOSK = "k-test-1"
REPO = Path(__file__).resolve().parents[2]
WAIT_S = 10.0
RECONNECT_WAIT_S = 30.0  # paho's first reconnect waits 1-2 s, and doubles if refused


class KioskLoop:
    """Stands in for the kiosk's main loop: owns the store, pumps, handles what is emitted."""

    def __init__(
        self, store: Store, broker: Broker, window: int = 100, resend_after_s: float = 60.0
    ) -> None:
        self.store = store
        self.inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.seen: list[Event] = []
        self.handle_acks = True
        self.reporter = Reporter(
            KIOSK,
            broker.host,
            broker.port,
            self.inbox.put,
            time.monotonic,
            window=window,
            resend_after_s=resend_after_s,
        )

    def run_until(self, done: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"not done within {timeout_s} s; events: {self.seen}")
            self.step(0.05)

    def step(self, wait_s: float) -> None:
        self.reporter.pump(self.store)
        try:
            event = self.inbox.get(timeout=wait_s)
        except queue.Empty:
            return
        self.seen.append(event)
        if isinstance(event, ReportAcked) and self.handle_acks:
            self.store.mark_delivered(event.event_ids)
            self.reporter.notice_acked(event.event_ids)

    def acks_for(self, event_id: str) -> int:
        return sum(event_id in e.event_ids for e in self.seen if isinstance(e, ReportAcked))


@contextmanager
def kiosk(
    tmp_path: Path, broker: Broker, window: int = 100, resend_after_s: float = 60.0
) -> Iterator[KioskLoop]:
    with Store.open(tmp_path / "kiosk.db") as store:
        loop = KioskLoop(store, broker, window, resend_after_s)
        with loop.reporter:
            loop.reporter.start()
            yield loop


@contextmanager
def headoffice(broker: Broker, db_path: str, **options: Any) -> Iterator[Ingest]:
    """Ingest's run_forever in a thread, as the service runs it; stopped and joined after."""
    ingest = Ingest(broker.host, broker.port, db_path, client_id="ho-ingest-test", **options)
    thread = threading.Thread(target=ingest.run_forever, name="ingest-under-test")
    thread.start()
    try:
        wait_headoffice_online(broker)
        yield ingest
    finally:
        ingest.stop()
        thread.join(WAIT_S)
        assert not thread.is_alive(), "ingest did not stop"


def wait_headoffice_online(broker: Broker) -> None:
    probe = Probe(broker, [wire.HEADOFFICE_STATE_TOPIC])
    try:
        probe.expect(lambda m: wire.parse_online(m.payload), WAIT_S)
    finally:
        probe.close()


def stored_sales(db_path: str) -> list[str]:
    with open_ledger(db_path, create=False) as ledger:
        return [s.sale_id for s in ledger.sales()]


def test_a_committed_sale_reaches_head_office_once_and_leaves_the_outbox(
    tmp_path: Path, broker: Broker, ledger_db: str
) -> None:
    """GIVEN a sale committed in the kiosk store and head office ingest running
    WHEN the kiosk's loop pumps the reporter
    THEN head office stores the sale once, its ack comes back as ReportAcked through emit,
    and once the loop marks it delivered the outbox is empty."""
    db_path = ledger_db
    with headoffice(broker, db_path) as ingest, kiosk(tmp_path, broker) as loop:
        sale = commit_sale(loop.store, KIOSK)
        assert loop.store.outbox_depth() == 1

        loop.run_until(lambda: loop.store.outbox_depth() == 0)

        assert any(isinstance(e, BrokerLinkChanged) and e.connected for e in loop.seen)
        assert loop.acks_for(sale.event_id) >= 1
        assert loop.reporter.in_flight == 0
        assert stored_sales(db_path) == [sale.sale_id]
        assert ingest.stored == 1


def test_the_same_event_twice_is_stored_once_and_acked_twice(
    broker: Broker, ledger_db: str
) -> None:
    """GIVEN head office running WHEN one sale envelope is published, then published again
    THEN it is stored once and each copy gets its own ack."""
    db_path = ledger_db
    envelope = sale_envelope(KIOSK, 1)
    with headoffice(broker, db_path) as ingest:
        probe = Probe(broker, [wire.ack_topic(KIOSK)])
        try:
            for _ in range(2):
                probe.publish(wire.event_topic(KIOSK, wire.STREAM_SALES), envelope.to_json())
                ack = probe.expect(on_topic(wire.ack_topic(KIOSK)))
                assert wire.parse_ack(ack.payload) == (envelope.event_id,)
        finally:
            probe.close()
        assert ingest.stored == 1
    assert stored_sales(db_path) == [f"sale-{KIOSK}-1"]


def test_malformed_messages_are_dropped_and_ingest_carries_on(
    broker: Broker, ledger_db: str
) -> None:
    """GIVEN head office running
    WHEN a non-JSON payload, a wrong-typed field, a payload from another kiosk than its
    topic, and an oversized payload arrive, followed by a good sale
    THEN none of the bad ones is stored or acked, and the good one is stored and acked."""
    db_path = ledger_db
    topic = wire.event_topic(KIOSK, wire.STREAM_SALES)
    wrong_type = json.loads(sale_envelope(KIOSK, 2).to_json())
    wrong_type["seq"] = "2"
    oversized = json.loads(sale_envelope(KIOSK, 3).to_json())
    oversized["body"]["note"] = "x" * wire.MAX_PAYLOAD_BYTES
    bad = [
        b"{not json",
        json.dumps(wrong_type).encode(),
        sale_envelope("k-someone-else", 4).to_json(),
        json.dumps(oversized).encode(),
    ]
    good = sale_envelope(KIOSK, 1)  # the stream's first: applied at once
    with headoffice(broker, db_path) as ingest:
        probe = Probe(broker, ["pos/v1/k/+/ack"])
        try:
            for payload in bad:
                probe.publish(topic, payload)
            probe.publish(topic, good.to_json())

            # one publisher, one topic: ingest sees them in order, so the first ack is the
            # good one's only if no bad one was acked
            ack = probe.expect(lambda m: True)
            assert ack.topic == wire.ack_topic(KIOSK)
            assert wire.parse_ack(ack.payload) == (good.event_id,)
        finally:
            probe.close()
        assert (ingest.stored, ingest.rejected) == (1, len(bad))
    assert stored_sales(db_path) == [f"sale-{KIOSK}-1"]


def test_the_kiosk_waits_for_head_office_to_be_online(tmp_path: Path, broker: Broker) -> None:
    """GIVEN a kiosk connected with a sale in its outbox and no head office state on the broker
    WHEN the loop pumps THEN nothing is published
    WHEN head office's retained online state appears THEN the sale is published."""
    probe = Probe(broker, [wire.ALL_EVENTS_FILTER, wire.status_topic(KIOSK)])
    try:
        with kiosk(tmp_path, broker) as loop:
            sale = commit_sale(loop.store, KIOSK)
            # the kiosk's own online status shows its on_connect (subscriptions) has run
            probe.expect(lambda m: m.topic == wire.status_topic(KIOSK), WAIT_S)
            loop.run_until(lambda: loop.reporter.connected)

            assert loop.reporter.pump(loop.store) == 0
            assert loop.reporter.in_flight == 0
            assert probe.received.empty()

            probe.publish(wire.HEADOFFICE_STATE_TOPIC, wire.online_payload(True, "now"), True)
            loop.run_until(lambda: loop.reporter.in_flight == 1)

            published = probe.expect(lambda m: m.topic.startswith(f"{wire.ROOT}/k/{KIOSK}/evt/"))
            assert wire.parse_envelope(published.payload).event_id == sale.event_id
            assert loop.store.outbox_depth() == 1  # no ack yet: it stays
    finally:
        probe.close()


def test_at_most_window_rows_are_in_flight_until_acked(tmp_path: Path, broker: Broker) -> None:
    """GIVEN a kiosk with a window of 2, three sales, and a head office that has not acked
    WHEN the loop pumps THEN only the first two are published
    WHEN a malformed ack and then head office's ack of the first arrive
    THEN the malformed one is dropped, the third sale is published, and the acked one leaves
    the outbox."""
    probe = Probe(broker, [wire.ALL_EVENTS_FILTER])
    try:
        probe.publish(wire.HEADOFFICE_STATE_TOPIC, wire.online_payload(True, "now"), True)
        with kiosk(tmp_path, broker, window=2) as loop:
            sales = [commit_sale(loop.store, KIOSK) for _ in range(3)]
            loop.run_until(lambda: loop.reporter.in_flight == 2)
            for sale in sales[:2]:
                message = probe.expect(lambda m: True)
                assert wire.parse_envelope(message.payload).event_id == sale.event_id
            assert loop.reporter.pump(loop.store) == 0

            probe.publish(wire.ack_topic(KIOSK), b'{"v": 1, "event_ids": "all"}')
            probe.publish(wire.ack_topic(KIOSK), wire.ack_payload([sales[0].event_id]))
            loop.run_until(lambda: loop.store.outbox_depth() == 2 and loop.reporter.in_flight == 2)
            assert [e.event_ids for e in loop.seen if isinstance(e, ReportAcked)] == [
                (sales[0].event_id,)
            ]

            message = probe.expect(lambda m: True)
            assert wire.parse_envelope(message.payload).event_id == sales[2].event_id
    finally:
        probe.close()


def test_rows_without_an_ack_are_sent_again_after_resend_after_s(
    tmp_path: Path, broker: Broker
) -> None:
    """GIVEN a head office that says online but never acks (its messages were lost)
    WHEN resend_after_s passes without an ack on a steady connection
    THEN the kiosk sends the same event again; once acked, it leaves the outbox."""
    probe = Probe(broker, [wire.ALL_EVENTS_FILTER])
    try:
        probe.publish(wire.HEADOFFICE_STATE_TOPIC, wire.online_payload(True, "now"), True)
        with kiosk(tmp_path, broker, resend_after_s=0.2) as loop:
            sale = commit_sale(loop.store, KIOSK)
            copies: list[str] = []
            loop.run_until(lambda: _drain_event_ids(probe, copies) >= 2)
            assert set(copies) == {sale.event_id}

            probe.publish(wire.ack_topic(KIOSK), wire.ack_payload([sale.event_id]))
            loop.run_until(lambda: loop.store.outbox_depth() == 0)
    finally:
        probe.close()


def _drain_event_ids(probe: Probe, into: list[str]) -> int:
    while not probe.received.empty():
        into.append(wire.parse_envelope(probe.received.get().payload).event_id)
    return len(into)


@pytest.mark.parametrize(
    ("ending", "persistence"),
    [("stop", False), ("stop", True), ("kill", True)],
    ids=["stop", "stop-persistent", "crash-persistent"],
)
def test_unacked_rows_are_sent_again_after_a_broker_restart_and_stored_once(
    tmp_path: Path, ending: str, persistence: bool, ledger_db: str
) -> None:
    """GIVEN a sale that head office stored but whose ack the kiosk never handled
    WHEN the broker stops (or crashes) and starts again on the same port, and another sale is
    committed meanwhile
    THEN after reconnecting the kiosk sends both, head office stores each exactly once,
    acks both, and the outbox empties."""
    db_path = ledger_db
    with (
        Broker(tmp_path / "broker", persistence=persistence) as broker,
        headoffice(broker, db_path) as ingest,
        kiosk(tmp_path, broker) as loop,
    ):
        loop.handle_acks = False  # as if the ack were lost on the way
        first = commit_sale(loop.store, KIOSK)
        loop.run_until(lambda: loop.acks_for(first.event_id) == 1)
        assert loop.store.outbox_depth() == 1

        if ending == "kill":
            broker.kill()
        else:
            broker.stop()
        loop.run_until(lambda: not loop.reporter.connected)
        second = commit_sale(loop.store, KIOSK)
        broker.start()
        loop.handle_acks = True

        loop.run_until(lambda: loop.store.outbox_depth() == 0, RECONNECT_WAIT_S)

        assert loop.acks_for(first.event_id) >= 2  # sent again, acked again
        assert [e.connected for e in loop.seen if isinstance(e, BrokerLinkChanged)][-2:] == [
            False,
            True,
        ]
        assert ingest.stored == 2
    assert stored_sales(db_path) == [first.sale_id, second.sale_id]
    with open_ledger(db_path, create=False) as ledger:
        assert [e.event_id for e in ledger.events()] == [first.event_id, second.event_id]


def test_headoffice_ingest_process_stores_a_sale_and_exits_0_on_sigterm(
    tmp_path: Path, broker: Broker, ledger_db: str
) -> None:
    """GIVEN `python -m headoffice ingest` running as its own process
    WHEN a sale is published to it and it then receives SIGTERM
    THEN the sale was stored and acked, it says offline, and it exits 0."""
    db_path = ledger_db
    log_path = tmp_path / "ingest.log"
    envelope = sale_envelope(KIOSK, 1)
    command = [
        sys.executable,
        "-m",
        "headoffice",
        "ingest",
        "--broker",
        f"{broker.host}:{broker.port}",
        "--db",
        db_path,
        "--client-id",
        "ho-ingest-process",
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=log)
    try:
        probe = Probe(broker, [wire.HEADOFFICE_STATE_TOPIC, wire.ack_topic(KIOSK)])
        try:
            probe.expect(
                lambda m: m.topic == wire.HEADOFFICE_STATE_TOPIC and wire.parse_online(m.payload),
                WAIT_S,
            )
            probe.publish(wire.event_topic(KIOSK, wire.STREAM_SALES), envelope.to_json())
            ack = probe.expect(on_topic(wire.ack_topic(KIOSK)), WAIT_S)
            assert wire.parse_ack(ack.payload) == (envelope.event_id,)

            proc.send_signal(signal.SIGTERM)
            assert proc.wait(WAIT_S) == 0, log_path.read_text()
            probe.expect(
                lambda m: (
                    m.topic == wire.HEADOFFICE_STATE_TOPIC and not wire.parse_online(m.payload)
                ),
                WAIT_S,
            )
        finally:
            probe.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert stored_sales(db_path) == [f"sale-{KIOSK}-1"]
    assert "stopping" in log_path.read_text()
