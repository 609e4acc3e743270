"""Exactly once, in order, after each fault, with real processes (issue 7).

Every test runs a real mosquitto on a free port, `headoffice ingest` as its own process
and the kiosk as its own process: tests/support/selling_kiosk.py when the kiosk must sell
(it builds the kiosk as `kiosk run --sim --broker` does), and `python -m appliance run
--sim --headless` itself when a killed kiosk comes back. Processes are killed by pid with
SIGKILL; "a window" is reached on purpose, never by luck:

- between commit and publish: head office has never been online, so the kiosk commits
  and holds its rows;
- between publish and ack: the ingest is frozen (SIGSTOP), or a proxy drops everything
  from the broker to the kiosk (head office stored the sales, the acks vanish);
- head office killed before its ack: a proxy drops everything the ingest sends, so it
  commits but no ack and no PUBACK leave it;
- a network cut: a proxy between kiosk and broker drops the connection and refuses new
  ones for a while.

After each fault `audit` checks both files: every event the kiosk committed is in head
office's ledger exactly once, applied in seq order per stream, and the outbox is empty.
Timeouts are bounds for a clear failure message, never assertions on speed. The ledger
here is SQLite; the PostgreSQL ledger's ordering and idempotency have their own tests.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from appliance import wire
from appliance.shell.store import Store
from tests.support.broker import Broker, Probe
from tests.support.delivery import (
    KIOSK_ID,
    Audit,
    Child,
    IngestProcess,
    KioskRun,
    SellingKiosk,
    audit,
    committed_sales,
    kiosk_store,
    ledger_sales,
    outbox_depth,
    outbox_event_ids,
    outbox_payloads,
    wait_for,
    write_kiosk_config,
)
from tests.support.sales import commit_sale
from tests.support.tcp_proxy import DOWN, UP, TcpProxy

C = TypeVar("C", bound=Child)
FLUSH_S = 60.0  # reconnect backoff (1-2 s, doubling while refused) plus the flush itself


class Rig:
    """The files and processes of one test; every process it started ends with it."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.config = write_kiosk_config(tmp_path / "etc")
        self.data_dir = tmp_path / "kiosk"
        self.ledger = tmp_path / "headoffice.sqlite3"
        self._children: list[Child] = []
        self._ingests = 0

    def ingest(self, address: str) -> IngestProcess:
        self._ingests += 1
        log = self.tmp / f"ingest-{self._ingests}.log"
        return self._keep(IngestProcess(address, self.ledger, log))

    def selling_kiosk(self, address: str) -> SellingKiosk:
        return self._keep(SellingKiosk(self.config, self.data_dir, address))

    def kiosk_run(self, address: str) -> KioskRun:
        return self._keep(KioskRun(self.config, self.data_dir, address))

    def _keep(self, child: C) -> C:
        self._children.append(child)
        return child

    def close(self) -> None:
        for child in reversed(self._children):
            child.close()

    # -- what the test waits for --------------------------------------------------------

    def outbox(self) -> int:
        return outbox_depth(self.data_dir)

    def stored(self) -> int:
        return len(ledger_sales(self.ledger))

    def all_stored(self) -> bool:
        return set(ledger_sales(self.ledger)) >= set(committed_sales(self.data_dir))

    def settled(self) -> bool:
        return self.outbox() == 0 and self.all_stored()

    def audit(self) -> Audit:
        return audit(self.data_dir, self.ledger)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    running = Rig(tmp_path)
    try:
        yield running
    finally:
        running.close()


def address(server: Broker | TcpProxy) -> str:
    return f"{server.host}:{server.port}"


def wait_headoffice_online(broker: Broker) -> None:
    probe = Probe(broker, [wire.HEADOFFICE_STATE_TOPIC])
    try:
        probe.expect(lambda m: wire.parse_online(bytes(m.payload)), 30.0)
    finally:
        probe.close()


def events_seen(probe: Probe, into: set[str]) -> set[str]:
    """Event ids the probe has seen published by the kiosk so far (drains its queue)."""
    while not probe.received.empty():
        message = probe.received.get()
        if "/evt/" in message.topic:
            into.add(wire.parse_envelope(bytes(message.payload)).event_id)
    return into


def wait_published(probe: Probe, rig: Rig) -> None:
    """Until the probe has seen every event in the kiosk's outbox published."""
    published: set[str] = set()
    wait_for(
        lambda: events_seen(probe, published) >= outbox_event_ids(rig.data_dir),
        "the outbox published",
    )


def warm_up(rig: Rig, kiosk: SellingKiosk, sales: int = 5) -> None:
    """The path works before the fault: sales stored and acked, outbox empty."""
    kiosk.sell(sales)
    wait_for(rig.settled, "warm-up sales stored and acked")


def report(what: str, started: float, result: Audit, **figures: object) -> None:
    extra = "".join(f", {k} {v}" for k, v in figures.items())
    print(f"{what}: {time.monotonic() - started:.1f} s; {result}{extra}")


# -- the kiosk killed ---------------------------------------------------------------------


def test_kiosk_killed_between_commit_and_publish(rig: Rig, broker: Broker) -> None:
    """GIVEN a kiosk connected to the broker, and head office never online yet
    WHEN it commits 20 sales (which it must not publish: nobody would ack them) and is
    then SIGKILLed; head office starts, and the kiosk starts again (`kiosk run`)
    THEN every sale is stored once, in order, and the outbox empties;
    AND WHEN every one of those events is delivered a second time
    THEN each is acked again and the ledger does not change."""
    started = time.monotonic()
    probe = Probe(broker, [wire.ALL_EVENTS_FILTER, wire.status_topic(KIOSK_ID)])
    try:
        kiosk = rig.selling_kiosk(address(broker))
        probe.expect(lambda m: m.topic == wire.status_topic(KIOSK_ID), 30.0)  # connected
        kiosk.sell(20)
        time.sleep(0.5)  # a chance to misbehave: publish without head office online
        assert events_seen(probe, set()) == set(), "published while head office was away"
        assert rig.outbox() == 20
        copies = outbox_payloads(rig.data_dir)
        kiosk.kill()

        ingest = rig.ingest(address(broker))
        wait_headoffice_online(broker)
        rig.kiosk_run(address(broker))
        wait_for(rig.settled, "the backlog stored and acked after the restart", FLUSH_S)
        result = rig.audit()
        assert result.sales == 20

        before = ledger_rows(rig.ledger)
        acks = Probe(broker, [wire.ack_topic(KIOSK_ID)])
        try:
            for stream, payload in copies:
                acks.publish(wire.event_topic(KIOSK_ID, stream), payload)
            acked: set[str] = set()
            wanted = {wire.parse_envelope(p).event_id for _, p in copies}
            wait_for(lambda: _acked(acks, acked) >= wanted, "every copy acked again")
        finally:
            acks.close()
        assert ledger_rows(rig.ledger) == before
        wait_for(lambda: ingest.duplicates() >= len(copies), "copies logged as repeats")
        assert ingest.refusals() == []
    finally:
        probe.close()
    report("commit → kill → publish", started, result)


def ledger_rows(ledger: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(ledger, timeout=10)
    try:
        return db.execute(
            "SELECT e.rowid, e.*, s.* FROM events e LEFT JOIN sales s USING (event_id)"
            " ORDER BY e.rowid"
        ).fetchall()
    finally:
        db.close()


def _acked(probe: Probe, into: set[str]) -> set[str]:
    while not probe.received.empty():
        into.update(wire.parse_ack(bytes(probe.received.get().payload)))
    return into


@pytest.mark.parametrize("how", ["headoffice-frozen", "acks-lost"])
def test_kiosk_killed_between_publish_and_ack(rig: Rig, broker: Broker, how: str) -> None:
    """GIVEN a kiosk and head office working (5 sales stored and acked)
    WHEN head office is frozen (SIGSTOP: the kiosk publishes, nothing is stored or acked)
    or everything from the broker to the kiosk is dropped (head office stores and acks,
    the acks vanish), the kiosk commits and publishes 10 more, and is SIGKILLed with all
    10 still in its outbox; then head office runs again and the kiosk restarts
    THEN each sale is stored once, in order, and the outbox empties."""
    started = time.monotonic()
    ingest = rig.ingest(address(broker))
    wait_headoffice_online(broker)
    with TcpProxy(broker.host, broker.port) as proxy:
        kiosk = rig.selling_kiosk(address(proxy))
        warm_up(rig, kiosk)
        probe = Probe(broker, [wire.ALL_EVENTS_FILTER])
        try:
            if how == "headoffice-frozen":
                ingest.pause()
            else:
                proxy.drop(DOWN)
            kiosk.sell(10)
            wait_published(probe, rig)
        finally:
            probe.close()
        if how == "acks-lost":
            wait_for(rig.all_stored, "head office stored the 10")
        assert rig.outbox() == 10, "an ack reached the kiosk"
        kiosk.kill()
    ingest.resume()
    if how == "headoffice-frozen":
        wait_for(rig.all_stored, "head office stored the 10 once it ran again")
    rig.kiosk_run(address(broker))
    wait_for(rig.settled, "the 10 acked after the restart", FLUSH_S)
    result = rig.audit()
    assert result.sales == 15
    assert ingest.refusals() == []
    report(f"publish → kill ({how})", started, result, repeats=ingest.duplicates())


# -- head office killed -------------------------------------------------------------------


def test_headoffice_killed_after_its_commit_before_its_ack(rig: Rig, broker: Broker) -> None:
    """GIVEN head office's ingest behind a proxy, and a kiosk working (5 sales acked)
    WHEN everything the ingest sends is dropped (its acks and PUBACKs), the kiosk sells 10,
    the ingest commits them, and is SIGKILLed before any ack got out
    THEN the kiosk still holds all 10; a new ingest (same session) gets them again from
    the broker and from the kiosk, stores nothing twice, acks them, and the outbox empties."""
    started = time.monotonic()
    with TcpProxy(broker.host, broker.port) as proxy:
        first = rig.ingest(address(proxy))
        wait_headoffice_online(broker)
        kiosk = rig.selling_kiosk(address(broker))
        warm_up(rig, kiosk)
        proxy.drop(UP)
        kiosk.sell(10)
        wait_for(rig.all_stored, "head office committed the 10")
        time.sleep(0.5)  # an ack that got out would reach the kiosk by now
        assert rig.outbox() == 10, "an ack got out"
        first.kill()
    second = rig.ingest(address(broker))
    wait_for(rig.settled, "the 10 acked by the new ingest", FLUSH_S)
    result = rig.audit()
    assert result.sales == 15
    assert second.duplicates() >= 10, "the 10 did not come again"
    assert first.refusals() == second.refusals() == []
    kiosk.quit()
    report("head office commit → kill → ack", started, result, repeats=second.duplicates())


# -- the broker restarted -----------------------------------------------------------------


@pytest.mark.parametrize("persistence", [False, True], ids=["no-persistence", "persistence"])
def test_broker_restart_with_events_queued_for_headoffice(
    rig: Rig, tmp_path: Path, persistence: bool
) -> None:
    """GIVEN a broker with or without persistence, head office and a kiosk working
    WHEN head office is frozen, the kiosk publishes 10 sales (queued for head office's
    session), the broker stops (SIGTERM: with persistence it saves sessions, queues and
    retained messages to its file) and the kiosk sells 10 more while it is down; then
    the broker starts again and head office runs again
    THEN every sale is stored once, in order, and the outbox empties: with persistence
    from the broker's saved queue and the kiosk's resend, without it from the resend."""
    started = time.monotonic()
    with Broker(tmp_path / "broker", persistence=persistence) as broker:
        ingest = rig.ingest(address(broker))
        wait_headoffice_online(broker)
        kiosk = rig.selling_kiosk(address(broker))
        warm_up(rig, kiosk)
        ingest.pause()
        probe = Probe(broker, [wire.ALL_EVENTS_FILTER])
        try:
            kiosk.sell(10)
            wait_published(probe, rig)
        finally:
            probe.close()
        broker.stop()
        saved = tmp_path / "broker" / "persistence" / "mosquitto.db"
        assert saved.exists() == persistence
        kiosk.sell(10)  # committed while the broker is down
        assert rig.outbox() == 20
        broker.start()
        ingest.resume()
        wait_for(rig.settled, "all 20 stored and acked after the restart", FLUSH_S)
        result = rig.audit()
        assert result.sales == 25
        assert ingest.refusals() == []
        assert kiosk.quit() == 0
    # the kiosk's session (subscriptions, queued acks) came back from the file, or did not
    sessions = re.findall(r"session present: (\w+)", kiosk.log())
    assert sessions[0] == "False" and sessions[-1] == str(persistence), sessions
    report(f"broker restart ({persistence=})", started, result, repeats=ingest.duplicates())


# -- the network cut ----------------------------------------------------------------------


def test_network_cut_between_kiosk_and_broker(rig: Rig, broker: Broker) -> None:
    """GIVEN a kiosk reaching the broker through a proxy, and head office working
    WHEN the acks stop reaching the kiosk while it sells 10 (head office stores them),
    then the connection is dropped and reconnects are refused while the kiosk sells 10
    more, and then the network comes back
    THEN the same kiosk process reconnects by itself, sends what is unacked, and every
    sale is stored once, in order, with the outbox empty."""
    started = time.monotonic()
    ingest = rig.ingest(address(broker))
    wait_headoffice_online(broker)
    with TcpProxy(broker.host, broker.port) as proxy:
        kiosk = rig.selling_kiosk(address(proxy))
        warm_up(rig, kiosk)
        proxy.drop(DOWN)
        kiosk.sell(10)
        wait_for(rig.all_stored, "head office stored the 10")
        proxy.cut()
        kiosk.sell(10)
        wait_for(lambda: proxy.refused >= 1, "the kiosk tried to reconnect and was refused")
        assert rig.outbox() == 20
        proxy.restore()
        wait_for(rig.settled, "all 20 stored and acked after the cut", FLUSH_S)
        result = rig.audit()
        assert result.sales == 25
        assert proxy.accepted >= 2
        assert ingest.duplicates() >= 1, "the unacked 10 were not sent again"
        assert ingest.refusals() == []
        assert kiosk.quit() == 0
    report("network cut", started, result, repeats=ingest.duplicates(), refused=proxy.refused)


# -- head office could not store: only the kiosk's resend timer helps -------------------


@pytest.mark.slow
def test_events_headoffice_could_not_store_are_sent_again_by_the_resend_timer(
    rig: Rig, broker: Broker
) -> None:
    """GIVEN a kiosk and head office working, both staying connected throughout
    WHEN head office cannot write its ledger (another writer holds the lock: as a full
    disk, the ingest logs the event as not stored, confirms the MQTT delivery and sends
    no ack) while the kiosk sells 2, and then can again
    THEN nothing reconnects and nobody says online again, so only the kiosk's resend
    timer (60 s without an ack) sends them again: each is stored once, in order, and the
    outbox empties. (Over a minute: the timer is not configurable.)"""
    started = time.monotonic()
    ingest = rig.ingest(address(broker))
    wait_headoffice_online(broker)
    kiosk = rig.selling_kiosk(address(broker))
    warm_up(rig, kiosk)
    lock = sqlite3.connect(rig.ledger, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        kiosk.sell(2)
        wait_for(lambda: ingest.events_not_stored() >= 2, "both refused (5 s busy timeout)")
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert rig.outbox() == 2 and rig.stored() == 5
    waited = wait_for(rig.settled, "the 2 sent again and acked", 150.0)
    result = rig.audit()
    assert result.sales == 7
    assert "no ack from head office" in kiosk.log()
    assert kiosk.quit() == 0
    assert kiosk.log().count("connected to") == 1  # the one connection, never dropped
    report("resend timer", started, result, waited_s=round(waited, 1))


# -- a week of backlog --------------------------------------------------------------------


def fill_outbox(data_dir: Path, sales: int) -> None:
    """`sales` sales committed through Store.commit_sale itself (what the kiosk's runner
    calls), fsync off for the fill only, as bench/store_decision.py's pre-fill does."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with Store.open(kiosk_store(data_dir)) as store:
        store.db.execute("PRAGMA synchronous=OFF")
        for _ in range(sales):
            commit_sale(store, KIOSK_ID)
        store.db.execute("PRAGMA synchronous=FULL")
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def flush_backlog(rig: Rig, broker: Broker, sales: int, timeout_s: float) -> None:
    started = time.monotonic()
    fill_outbox(rig.data_dir, sales)
    filled = time.monotonic()
    assert rig.outbox() == sales
    ingest = rig.ingest(address(broker))
    wait_headoffice_online(broker)
    with TcpProxy(broker.host, broker.port) as proxy:
        proxy.cut()  # the kiosk starts with the network down
        kiosk = rig.kiosk_run(address(proxy))
        wait_for(lambda: proxy.refused >= 1, "the kiosk tried to connect")
        proxy.restore()
        reconnected = time.monotonic()
        wait_for(rig.settled, f"{sales:,} events flushed", timeout_s)
        flushed = time.monotonic()
        result = rig.audit()
        assert result.sales == sales
        assert ingest.refusals() == []
        kiosk.terminate()
    print(
        f"backlog of {sales:,}: filled in {filled - started:.1f} s, flushed in"
        f" {flushed - reconnected:.1f} s ({sales / (flushed - reconnected):.0f} events/s);"
        f" {result}, repeats {ingest.duplicates()}"
    )


def test_a_backlog_of_5000_is_flushed_once_in_order_on_reconnect(rig: Rig, broker: Broker) -> None:
    """GIVEN 5,000 sales in the kiosk's outbox (head office unreachable for a while)
    WHEN the kiosk starts with the network down and the network then comes back
    THEN all 5,000 are stored once, in order, and the outbox is empty."""
    flush_backlog(rig, broker, 5_000, timeout_s=180.0)


@pytest.mark.slow
def test_a_week_of_backlog_100000_is_flushed_once_in_order_on_reconnect(
    rig: Rig, broker: Broker
) -> None:
    """GIVEN a week of sales, 100,000, in the kiosk's outbox
    WHEN the kiosk starts with the network down and the network then comes back
    THEN all 100,000 are stored once, in order, and the outbox is empty."""
    flush_backlog(rig, broker, 100_000, timeout_s=1800.0)
