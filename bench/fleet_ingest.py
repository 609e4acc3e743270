"""Fleet ingest (issue 7): 200 simulated kiosks' sales into one `headoffice ingest`, lag over time.

Each simulated kiosk is a light paho MQTT 5 client (not a kiosk process): it publishes sale
envelopes (appliance.wire, the store's own sale body, its own `seq` from 1) QoS 1 at a
steady rate, staggered across the fleet, and listens for head office's app-level acks.
Lag is publish → ack as the kiosk sees it. The clients are split over a few processes so
one GIL does not add to the lag; the ingest is its own process with a SQLite ledger
(fsync at every commit), as at head office.

Two measurements, one broker and one ingest:
- a steady run (default 200 kiosks × one sale a second for 30 s): the p95 lag of the sales
  sent in the last third, against the first third's (ratio 1 = flat; a ledger that falls
  behind shows as a ratio well above 1 and sales not acked at all);
- steps of rising total rate, each `step_s` long, until one does not hold: the highest
  acked rate of a step whose sales were all acked, whose lag did not grow and whose
  last-third p95 stayed under MAX_LAG_S, against a bare paho publisher's QoS 1 rate (same
  payload size, same broker, same run).
"""

from __future__ import annotations

import heapq
import math
import multiprocessing
import statistics
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from appliance import wire
from appliance.shell.store import sale_body
from bench.backlog_drain import WINDOW, bare_publish_s, ingest_process
from bench.common import Result, compare, scratch_dir
from bench.store_decision import WALL_AT, sale_draft
from tests.support.broker import Broker

CONNECT_TIMEOUT_S = 30.0
START_DELAY_S = 1.0  # after every client is connected and subscribed
GRACE_S = 5.0  # after the last publish: acks still due count, later ones are "not acked"
GROWTH = 2.0  # lag "grows" when the last third's p95 > GROWTH × the first's + SLACK_S
SLACK_S = 0.05
MAX_LAG_S = 1.0  # a step "holds" only while its last third's p95 lag stays under this
REFERENCE_EVENTS = 20_000


@dataclass(frozen=True, slots=True)
class Phase:
    """What the simulated fleet saw in one run at one offered rate."""

    rate: float  # offered, events/s over the fleet
    duration_s: float
    published: int
    acked: int
    first: tuple[float, float]  # (p50, p95) lag in s of sales sent in the first third
    last: tuple[float, float]  # the same for the last third

    @property
    def not_acked(self) -> int:
        return self.published - self.acked

    @property
    def grows(self) -> bool:
        return self.not_acked > 0 or self.last[1] > GROWTH * self.first[1] + SLACK_S

    @property
    def holds(self) -> bool:
        """Sustained: every sale acked, lag flat, and the last third's p95 under MAX_LAG_S."""
        return not self.grows and self.last[1] <= MAX_LAG_S

    @property
    def acked_rate(self) -> float:
        return self.acked / self.duration_s


def run(
    kiosks: int = 200,
    rate: float = 200.0,
    duration_s: float = 30.0,
    step_rates: Sequence[float] = (400.0, 800.0, 1_600.0, 3_200.0),
    step_s: float = 12.0,
    procs: int = 2,
    reference_events: int = REFERENCE_EVENTS,
    workdir: Path | None = None,
) -> list[Result]:
    """Measure in a scratch directory under workdir (default: the repo's disk), then remove it."""
    with scratch_dir("fleet-ingest-", workdir) as scratch:
        with Broker(scratch / "broker") as broker:
            _, payload = _envelope("fleet-ref", 1)
            reference_s = bare_publish_s(
                broker.host, broker.port, payload, reference_events, WINDOW
            )
            reference_rate = reference_events / reference_s
            with ingest_process(broker, scratch / "headoffice.sqlite3", scratch / "ingest.log"):
                steady = _phase(broker, "steady", kiosks, rate, duration_s, procs)
                steps: list[Phase] = []
                for number, step_rate in enumerate(step_rates):
                    steps.append(_phase(broker, f"s{number}", kiosks, step_rate, step_s, procs))
                    if not steps[-1].holds:
                        break
        return _results(kiosks, steady, steps, reference_rate, len(payload))


def _results(
    kiosks: int, steady: Phase, steps: list[Phase], reference_rate: float, size: int
) -> list[Result]:
    def ms(pair: tuple[float, float]) -> str:
        return f"p50 {pair[0] * 1000:.0f} / p95 {pair[1] * 1000:.0f} ms"

    verdict = "grows" if steady.grows else "does not grow"
    results = [
        compare(
            f"Publish→ack lag p95, {kiosks} kiosks at {steady.rate:,.0f} sales/s for "
            f"{steady.duration_s:.0f} s, last third",
            steady.last[1] * 1000,
            "ms",
            "the first third of the same run",
            steady.first[1] * 1000,
            f"lag {verdict}: first third {ms(steady.first)}, last third {ms(steady.last)}; "
            f"{steady.acked:,} of {steady.published:,} acked",
        )
    ]
    sustained = [p for p in [steady, *steps] if p.holds]
    tried = ", ".join(f"{p.rate:,.0f}" + ("" if p.holds else " (did not hold)") for p in steps)
    if sustained:
        best = max(sustained, key=lambda p: p.acked_rate)
        ceiling = "" if steps and not steps[-1].holds else "; every step held, so not the ceiling"
        results.append(
            compare(
                f"Highest sustained ingest rate, {kiosks} kiosks, steps of "
                f"{steps[0].duration_s if steps else steady.duration_s:.0f} s",
                best.acked_rate,
                "events/s",
                f"bare paho QoS 1 publish, {size:,}-byte payload, window {WINDOW}",
                reference_rate,
                f"offered {best.rate:,.0f}/s: {ms(best.last)} in its last third; "
                f"steps tried (sales/s): {tried}{ceiling}",
            )
        )
    return results


_DRAFT = sale_draft()


def _envelope(kiosk_id: str, seq: int) -> tuple[str, bytes]:
    """A sale as the kiosk's store writes it: (its event id, the envelope)."""
    event_id = str(uuid.uuid4())
    body = sale_body(str(uuid.uuid4()), seq, _DRAFT)
    envelope = wire.Envelope(event_id, kiosk_id, wire.STREAM_SALES, seq, WALL_AT, True, body)
    return event_id, envelope.to_json()


def _phase(
    broker: Broker, prefix: str, kiosks: int, rate: float, duration_s: float, procs: int
) -> Phase:
    """One run of `kiosks` fresh kiosks (ids start at seq 1) at `rate` sales/s in all."""
    ids = [f"fleet-{prefix}-{i:03d}" for i in range(kiosks)]
    period_s = kiosks / rate
    procs = max(1, min(procs, kiosks))
    start_at = time.time() + START_DELAY_S + 0.02 * kiosks  # time to connect them all
    ctx = multiprocessing.get_context("spawn")  # no inherited paho threads or sockets
    with ProcessPoolExecutor(procs, mp_context=ctx) as pool:
        jobs = [
            pool.submit(
                _simulate,
                broker.host,
                broker.port,
                [(i, ids[i]) for i in range(part, kiosks, procs)],
                kiosks,
                period_s,
                start_at,
                duration_s,
            )
            for part in range(procs)
        ]
        outcomes = [job.result() for job in jobs]
    samples = [s for samples, _ in outcomes for s in samples]
    published = sum(p for _, p in outcomes)
    acked = sum(1 for _, lag, ok in samples if ok)

    def third(lo: float, hi: float) -> tuple[float, float]:
        lags = [lag for sent, lag, _ in samples if lo <= sent < hi]
        return _p50_p95(lags)

    return Phase(
        rate,
        duration_s,
        published,
        acked,
        third(0.0, duration_s / 3),
        third(2 * duration_s / 3, math.inf),
    )


def _p50_p95(lags: list[float]) -> tuple[float, float]:
    if not lags:
        raise RuntimeError("no sales in this third: the run is too short for its rate")
    if len(lags) == 1:
        return lags[0], lags[0]
    cuts = statistics.quantiles(lags, n=20, method="inclusive")
    return statistics.median(lags), cuts[-1]


def _simulate(
    host: str,
    port: int,
    kiosks: list[tuple[int, str]],
    fleet_size: int,
    period_s: float,
    start_at: float,
    duration_s: float,
) -> tuple[list[tuple[float, float, bool]], int]:
    """In a worker process: these kiosks sell every period_s from start_at (wall clock)
    for duration_s. Returns (sent s after start, lag s, acked) per sale, and how many sales
    were published; a sale not acked GRACE_S after the last publish has the lag it had
    then (a lower bound) and acked False."""
    lock = threading.Lock()
    sent: dict[str, float] = {}  # event_id → perf_counter at publish
    samples: list[tuple[float, float, bool]] = []
    ready = threading.Semaphore(0)
    t0 = 0.0

    def on_connect(client: mqtt.Client, userdata: Any, flags: Any, rc: ReasonCode, p: Any) -> None:
        client.subscribe(wire.ack_topic(userdata), qos=1)

    def on_subscribe(client: mqtt.Client, userdata: Any, mid: int, rcs: Any, p: Any) -> None:
        ready.release()

    def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        with lock:
            for event_id in wire.parse_ack(bytes(message.payload)):
                at = sent.pop(event_id, None)
                if at is not None:
                    samples.append((at - t0, now - at, True))

    clients = []
    try:
        for _, kiosk_id in kiosks:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2,
                client_id=kiosk_id,
                protocol=mqtt.MQTTv5,
                userdata=kiosk_id,
            )
            client.on_connect = on_connect
            client.on_subscribe = on_subscribe
            client.on_message = on_message
            client.connect(host, port, keepalive=60)
            client.loop_start()
            clients.append(client)
        for _ in clients:
            if not ready.acquire(timeout=CONNECT_TIMEOUT_S):
                raise RuntimeError("a simulated kiosk did not connect and subscribe in time")
        # staggered over the whole fleet, so the total rate is even across processes
        due: list[tuple[float, int, int]] = [
            (period_s * index / fleet_size, slot, 1) for slot, (index, _) in enumerate(kiosks)
        ]
        heapq.heapify(due)
        time.sleep(max(0.0, start_at - time.time()))
        t0 = time.perf_counter()
        published = 0
        while due:
            at, slot, seq = heapq.heappop(due)
            if at >= duration_s:
                break
            wait_s = t0 + at - time.perf_counter()
            if wait_s > 0:
                time.sleep(wait_s)
            kiosk_id = kiosks[slot][1]
            event_id, payload = _envelope(kiosk_id, seq)
            with lock:
                sent[event_id] = time.perf_counter()
            topic = wire.event_topic(kiosk_id, wire.STREAM_SALES)
            clients[slot].publish(topic, payload, qos=1)
            published += 1
            heapq.heappush(due, (at + period_s, slot, seq + 1))
        give_up = time.perf_counter() + GRACE_S
        while time.perf_counter() < give_up:
            with lock:
                if not sent:
                    break
            time.sleep(0.05)
        with lock:
            now = time.perf_counter()
            samples.extend((at - t0, now - at, False) for at in sent.values())
            return list(samples), published
    finally:
        for client in clients:
            client.disconnect()
            client.loop_stop()
            client.on_connect = client.on_subscribe = client.on_message = None  # paho#627
