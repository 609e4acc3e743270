"""Head office's signed commands reach a running kiosk over a real mosquitto, and back.

An in-process kiosk (bootstrap.build with every device its twin) runs its main loop in a
thread; head office is `headoffice.commands.send` and a real ingest. Timeouts are bounds
for a failure message, never assertions on speed.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from appliance import commands, wire
from appliance import config as config_mod
from appliance.bootstrap import Kiosk, build
from appliance.core import buttons
from appliance.core.events import Touched
from appliance.core.state import Checkout
from appliance.shell import catalog_import, command_log, config_overlay
from appliance.shell.clock import SystemClock
from drivers.sim.scanner_sim import SimScanner
from headoffice import commands as ho
from headoffice.ingest import Ingest
from tests.support.broker import Broker, Probe

KIOSK = "store12-lane3"
GROUP = "store12"
MILK = "5900012345074"
WAIT_S = 10.0


class SyncedClock(SystemClock):
    """The system's clock, said to be NTP-synchronised (a test machine's kernel may not say)."""

    def synced(self) -> bool:
        return True


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    """Head office's private key; its public key is installed in the kiosk's keys folder."""
    private, public = ho.keygen(tmp_path / "hq")
    (tmp_path / "kiosk-keys").mkdir()
    shutil.copy(public, tmp_path / "kiosk-keys" / "hq.pub")
    return private


@pytest.fixture
def ingest(broker: Broker, tmp_path: Path) -> Iterator[Ingest]:
    service = Ingest(broker.host, broker.port, tmp_path / "ho.db", client_id="ho-ingest-cmds")
    thread = threading.Thread(target=service.run_forever, name="ingest-under-test")
    thread.start()
    try:
        probe = Probe(broker, [wire.HEADOFFICE_STATE_TOPIC])
        try:
            probe.expect(lambda m: wire.parse_online(m.payload), WAIT_S)
        finally:
            probe.close()
        yield service
    finally:
        service.stop()
        thread.join(WAIT_S)


class Running:
    """A kiosk whose main loop runs in a thread, as `kiosk run` runs it in the main one."""

    def __init__(self, kiosk: Kiosk, loop: bool = True) -> None:
        self.kiosk = kiosk
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kiosk-loop")
        if loop:
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.kiosk.run_once(0.02)

    def until(self, done: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT_S
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {WAIT_S} s ({self.kiosk.state.checkout})")
            time.sleep(0.02)

    def touch(self, button: str) -> None:
        self.kiosk.loop.emit(Touched(at=self.kiosk.clock.monotonic(), button=button))

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(WAIT_S)


def kiosk_config(tmp_path: Path, broker: Broker) -> config_mod.Config:
    settings = {
        "kiosk": {
            "id": KIOSK,
            "store_id": GROUP,
            "data_dir": str(tmp_path / "kiosk"),
            "command_keys_dir": str(tmp_path / "kiosk-keys"),
        },
        "broker": {"host": broker.host, "port": broker.port},
    }
    return config_mod.merge(config_mod.Config(), settings, "test")


@contextmanager
def running_kiosk(tmp_path: Path, broker: Broker, loop: bool = True) -> Iterator[Running]:
    kiosk = build(kiosk_config(tmp_path, broker), SyncedClock(), sim=True)
    kiosk.start()
    run = Running(kiosk, loop)
    try:
        if loop:
            run.until(lambda: kiosk.reporter is not None and kiosk.reporter.connected, "connect")
        yield run
    finally:
        run.stop()
        kiosk.close()


@contextmanager
def results(broker: Broker) -> Iterator[Callable[..., dict[str, Any]]]:
    """Wait for the kiosk's result of one command id (as head office receives it); with an
    outcome, for that one (an unacknowledged result may be sent again after a restart)."""
    probe = Probe(broker, [wire.event_topic(KIOSK, wire.STREAM_RESULTS)])

    def result_of(cmd_id: str, outcome: str | None = None) -> dict[str, Any]:
        def match(message: Any) -> bool:
            body = wire.parse_envelope(message.payload).body
            return bool(body["cmd_id"] == cmd_id and outcome in (None, body["outcome"]))

        return wire.parse_envelope(probe.expect(match, WAIT_S).payload).body

    try:
        yield result_of
    finally:
        probe.close()


def send(broker: Broker, key: Path, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    sent = ho.send(broker.host, broker.port, key, KIOSK, kind, body, time.time(), wait_s=WAIT_S)
    assert sent.result is not None, f"no result for {kind}"
    return sent.result


def signed(key: Path, kind: str, body: dict[str, Any], **fields: Any) -> tuple[str, bytes]:
    """A command signed by head office's key, with any field overridden (not checked)."""
    now, counter = int(time.time()), time.time_ns() // 1000  # a new counter each call
    command = commands.new_command(kind, body, KIOSK, counter, now, str(uuid.uuid4()))
    command |= fields
    return command["cmd_id"], commands.sign_text(ho.load_key(key), commands.canonical(command))


def movements(kiosk: Kiosk) -> list[tuple[int, str]]:
    rows = kiosk.store.db.execute(
        "SELECT delta, reason FROM stock_movements WHERE reason LIKE 'remote:%'"
    )
    return [(int(r[0]), str(r[1])) for r in rows]


def test_a_signed_command_reaches_the_running_kiosk_and_its_result_head_office(
    tmp_path: Path, broker: Broker, keys: Path, ingest: Ingest
) -> None:
    """GIVEN a running kiosk that trusts head office's key WHEN `send` closes and reopens
    the lane THEN each result arrives at head office as applied, the lane follows, and the
    audit log says it was head office; the counter is kept and the results are acked."""
    with running_kiosk(tmp_path, broker) as run:
        kiosk = run.kiosk
        result = send(broker, keys, "out-of-service", {"on": True, "reason": "cleaning"})
        assert (result["outcome"], result["code"]) == ("applied", "ok")
        run.until(lambda: kiosk.state.checkout is Checkout.OUT_OF_SERVICE, "closed")
        assert kiosk.state.out_of_service_reason == "Closed by head office: cleaning"

        result = send(broker, keys, "out-of-service", {"on": False, "reason": "clean"})
        assert result["outcome"] == "applied"
        run.until(lambda: kiosk.state.checkout is Checkout.WELCOME, "open again")

        audit = [(a[1], a[2], a[3]) for a in kiosk.store.audit_log()]
        assert ("out-of-service", "remote", "head-office") in audit
        assert ("back-in-service", "remote", "head-office") in audit
        assert sum(a[0] == "command" for a in audit) == 2
        [counter] = command_log.counters(kiosk.store).values()
        assert counter >= 1
        run.until(lambda: kiosk.store.outbox_depth() == 0, "results acknowledged")


def test_refused_commands_say_why_and_change_nothing(
    tmp_path: Path, broker: Broker, keys: Path, ingest: Ingest
) -> None:
    """GIVEN a running kiosk WHEN it receives an expired, a foreign, a forged, a cash-drawer
    and a replayed command THEN each gets a `rejected` result with its code, and nothing
    changes: no stock moved, the lane still open, only the first command's counter kept."""
    impostor, _ = ho.keygen(tmp_path / "impostor")
    with running_kiosk(tmp_path, broker) as run, results(broker) as result_of:
        kiosk = run.kiosk
        adjust = {"code": MILK, "delta": -1, "reason": "damaged"}
        first_id, first = signed(keys, "stock-adjust", adjust)
        probe = Probe(broker)
        try:
            probe.publish(wire.command_topic(KIOSK), first)
            assert result_of(first_id)["outcome"] == "applied"
            before = command_log.counters(kiosk.store)

            now = int(time.time())
            cases: list[tuple[str, bytes, str]] = []
            cmd_id, message = signed(
                keys, "out-of-service", {"on": True, "reason": "x"},
                issued_at=now - 7200, expires_at=now - 3600,
            )  # fmt: skip
            cases.append((cmd_id, message, "expired"))
            hq_key_id = json.loads(first)["key_id"]
            cmd_id, message = signed(
                keys, "out-of-service", {"on": True, "reason": "x"}, target="store99-lane1"
            )
            cases.append((cmd_id, message, "foreign"))
            cmd_id, message = signed(impostor, "out-of-service", {"on": True, "reason": "x"})
            forged = json.loads(message)
            forged["key_id"] = hq_key_id  # claims head office's key
            cases.append((cmd_id, json.dumps(forged).encode(), "bad-signature"))
            cmd_id, message = signed(keys, "open-drawer", {})
            cases.append((cmd_id, message, "forbidden-kind"))
            cases.append((first_id, first, "replayed"))  # the very same bytes again
            for cmd_id, message, code in cases:
                probe.publish(wire.command_topic(KIOSK), message)
                result = result_of(cmd_id)
                assert (result["outcome"], result["code"]) == ("rejected", code), result
                assert result["reason"]
        finally:
            probe.close()
        assert movements(kiosk) == [(-1, "remote: damaged")]
        assert kiosk.state.checkout is Checkout.WELCOME
        assert command_log.counters(kiosk.store) == before
        assert "drawer-opened" not in [a[1] for a in kiosk.store.audit_log()]


def test_a_command_delivered_again_after_a_crash_runs_once(
    tmp_path: Path, broker: Broker, keys: Path, ingest: Ingest
) -> None:
    """GIVEN a kiosk that received a stock adjustment but died before committing it (no
    PUBACK) WHEN it starts again THEN the broker delivers it again and it runs once;
    GIVEN a kiosk that committed one but died before its PUBACK WHEN it starts again
    THEN the redelivery is refused as a replay and the stock moved once."""
    first_id, first = signed(keys, "stock-adjust", {"code": MILK, "delta": -2, "reason": "a"})
    with results(broker) as result_of:
        with running_kiosk(tmp_path, broker, loop=False) as run:  # nobody runs its loop
            run.kiosk.loop.process_pending()
            run.until(lambda: run.kiosk.reporter.connected, "connect")
            probe = Probe(broker)
            probe.publish(wire.command_topic(KIOSK), first)
            probe.close()
            inbox = run.kiosk.loop._inbox  # the kiosk dies with the command in its inbox
            run.until(lambda: inbox.qsize() > 0, "delivered")
        with running_kiosk(tmp_path, broker) as run:
            assert result_of(first_id)["outcome"] == "applied"
            assert movements(run.kiosk) == [(-2, "remote: a")]

        second_id, second = signed(keys, "stock-adjust", {"code": MILK, "delta": 3, "reason": "b"})
        with running_kiosk(tmp_path, broker) as run:
            assert run.kiosk.reporter is not None
            run.kiosk.reporter.ack_command = lambda mid, connection: None  # dies before PUBACK
            probe = Probe(broker)
            probe.publish(wire.command_topic(KIOSK), second)
            probe.close()
            assert result_of(second_id)["outcome"] == "applied"
        with running_kiosk(tmp_path, broker) as run:
            again = result_of(second_id, "rejected")
            assert again["code"] == "replayed"
            assert movements(run.kiosk) == [(-2, "remote: a"), (3, "remote: b")]


def test_out_of_service_arriving_mid_sale_takes_effect_after_that_sale(
    tmp_path: Path, broker: Broker, keys: Path, ingest: Ingest
) -> None:
    """GIVEN a shopper with milk in the basket WHEN head office closes the lane THEN the
    shopper pays and gets the receipt, and only then the lane closes."""
    with running_kiosk(tmp_path, broker) as run:
        kiosk = run.kiosk
        assert kiosk.sim is not None and isinstance(kiosk.sim.scanner, SimScanner)
        kiosk.sim.scanner.scan(MILK)
        run.until(lambda: kiosk.state.checkout is Checkout.SCANNING, "scanning")

        result = send(broker, keys, "out-of-service", {"on": True, "reason": "closing"})
        assert result["outcome"] == "applied"
        assert kiosk.state.checkout is Checkout.SCANNING
        assert kiosk.state.service_request == (True, "closing")

        run.touch(buttons.PAY)
        run.until(lambda: kiosk.state.checkout is Checkout.THANK_YOU, "paid")
        assert kiosk.state.sales_committed == 1
        run.touch(buttons.DONE)
        run.until(lambda: kiosk.state.checkout is Checkout.OUT_OF_SERVICE, "closed after")
        assert kiosk.state.out_of_service_reason == "Closed by head office: closing"


def test_a_price_command_stages_a_version_applied_between_sales_never_downgraded(
    tmp_path: Path, broker: Broker, keys: Path, ingest: Ingest
) -> None:
    """GIVEN a sale in progress WHEN head office sends a new milk price (version 7) THEN it
    is staged, the open sale keeps the old price, and once the sale ends version 7 is live;
    a second price command with version 7 is refused as not newer, and changes nothing."""
    price = {"catalog_version": 7, "currency": "PLN", "rows": [{"code": MILK, "price_minor": 359}]}
    with running_kiosk(tmp_path, broker) as run:
        kiosk = run.kiosk
        assert kiosk.sim is not None
        kiosk.sim.scanner.scan(MILK)
        run.until(lambda: kiosk.state.basket.item_count == 1, "milk in the basket")

        result = send(broker, keys, "price", price)
        assert (result["outcome"], result["code"]) == ("applied", "ok"), result
        run.until(lambda: kiosk.state.catalog_waiting == 7, "version waiting")
        assert kiosk.state.catalog_version == 0
        assert kiosk.state.basket.lines[0].unit_price_minor == 349

        run.touch(buttons.PAY)
        run.until(lambda: kiosk.state.checkout is Checkout.THANK_YOU, "paid")
        run.touch(buttons.DONE)
        run.until(lambda: kiosk.state.catalog_version == 7, "version 7 live")
        product = kiosk.store.product("0" + MILK)
        assert product is not None and (product.price_minor, product.name) == (
            359,
            "Whole milk 1 l",
        )

        again = send(broker, keys, "price", price | {"rows": [{"code": MILK, "price_minor": 1}]})
        assert (again["outcome"], again["code"]) == ("rejected", "not-newer")
        assert "not newer" in again["reason"]
        assert catalog_import.pending(kiosk.store) is None
        product = kiosk.store.product("0" + MILK)
        assert product is not None and product.price_minor == 359


def test_birth_is_retained_with_the_versions_and_telemetry_is_sampled(
    tmp_path: Path, broker: Broker, keys: Path, ingest: Ingest
) -> None:
    """GIVEN a running kiosk WHEN head office subscribes late THEN the retained birth and
    status carry the same connection counter and the kiosk's versions; telemetry carries
    every field; a `rebirth` command publishes the birth again with the same counter."""
    with running_kiosk(tmp_path, broker) as run:
        kiosk = run.kiosk
        assert kiosk.presence is not None
        kiosk.presence.telemetry_every_s = 0.2
        send(broker, keys, "stock-adjust", {"code": MILK, "delta": 1, "reason": "found"})
        probe = Probe(broker, [wire.birth_topic(KIOSK), wire.status_topic(KIOSK)])
        try:
            birth = wire.parse_birth(probe.expect(lambda m: m.topic.endswith("birth")).payload)
            status = wire.parse_status(
                probe.expect(lambda m: m.topic.endswith("status") and m.retain).payload
            )
            assert (status.online, status.state, status.conn_seq) == (True, "online", 1)
            assert birth.conn_seq == 1 and birth.software
            assert (birth.catalog_version, birth.catalog_waiting) == (0, None)
            assert birth.signal == "available" and birth.devices["printer"] == "ok"
            assert len(birth.config_digest) == 64 and birth.clock_synced is True

            send(broker, keys, "rebirth", {})
            reborn = probe.expect(lambda m: m.topic.endswith("birth") and not m.retain)
            again = wire.parse_birth(reborn.payload)
            assert again.conn_seq == birth.conn_seq
            assert list(again.command_counters.values()) == [max(again.command_counters.values())]
        finally:
            probe.close()
        sampler = Probe(broker, [wire.telemetry_topic(KIOSK)])
        try:
            sample = wire.parse_telemetry(sampler.expect(lambda m: True, WAIT_S).payload)
        finally:
            sampler.close()
        assert sample.kiosk_id == KIOSK and sample.signal == "available"
        assert sample.sales_today == 0 and sample.outbox_depth >= 0
        assert sample.disk_total_bytes and sample.uptime_s is not None


def test_a_config_command_is_checked_stored_and_applies_at_restart(
    tmp_path: Path, broker: Broker, keys: Path, ingest: Ingest
) -> None:
    """GIVEN a running kiosk WHEN head office renames the store THEN the result says it
    applies at restart, the running kiosk is unchanged, and the next start reads it."""
    with running_kiosk(tmp_path, broker) as run:
        result = send(broker, keys, "config", {"kiosk.store_name": 'Corner "Shop"\n12'})
        assert (result["outcome"], result["code"]) == ("applied", "ok")
        assert "applies at restart" in result["reason"]
        assert run.kiosk.config.kiosk.store_name == "Demo Store"
    restarted = config_overlay.apply(kiosk_config(tmp_path, broker))
    assert restarted.kiosk.store_name == 'Corner "Shop"\n12'


def test_resync_sends_held_events_again_and_says_gone_for_acknowledged_ones(
    tmp_path: Path, broker: Broker, keys: Path, ingest: Ingest
) -> None:
    """GIVEN results head office has acknowledged WHEN it asks to resync stream `results`
    from seq 1 THEN the kiosk says `failed`/`gone`; from a seq not yet used, nothing to do."""
    with running_kiosk(tmp_path, broker) as run:
        send(broker, keys, "rebirth", {})
        run.until(lambda: run.kiosk.store.outbox_depth() == 0, "acknowledged")
        gone = send(broker, keys, "resync", {"stream": "results", "from_seq": 1})
        assert (gone["outcome"], gone["code"]) == ("failed", "gone")
        later = send(broker, keys, "resync", {"stream": "sales", "from_seq": 1})
        assert (later["outcome"], later["code"]) == ("applied", "ok")


def test_the_drawer_is_never_a_command_however_well_signed(keys: Path) -> None:
    """A drawer kind signed by head office's own key is refused by name before anything."""
    trusted = commands.trust_store([keys.with_suffix(".pub").read_bytes()])
    for kind in ("open-drawer", "cash-payout", "till"):
        _, message = signed(keys, kind, {})
        verdict = commands.verify(message, trusted, KIOSK, [GROUP], time.time(), {})
        assert isinstance(verdict, commands.Rejected) and verdict.code == "forbidden-kind"
