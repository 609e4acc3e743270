"""The walking skeleton, end to end, with real parts wherever this machine has them.

scan (scanner twin) → basket → total → pay (card terminal twin) → one SQLite transaction
(sale, lines, stock movements, outbox row) → receipt through python-escpos to a printer
peer on a loopback TCP port → outbox published over MQTT to a real mosquitto → a real
`headoffice ingest` process stores the sale and acknowledges it → the kiosk deletes the
row. The light tower twin is green when idle and amber while the customer waits for help.

Timeouts are bounds for a clear failure, never assertions on speed.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from appliance import config as config_mod
from appliance.bootstrap import Kiosk, build
from appliance.core import buttons
from appliance.core.events import KeyPosition, Touched
from appliance.core.signals import Colour, Lamp
from appliance.shell.clock import SystemClock
from drivers.sim.card_terminal_sim import SimCardTerminal
from drivers.sim.scanner_sim import SimScanner
from tests.support.broker import Broker
from tests.support.printer_peer import PrinterPeer

MILK = "5900012345074"  # demo catalog: Whole milk 1 l, 3.49 PLN
CRISPS = "5900012346750"  # demo catalog: Salted crisps 150 g, 6.99 PLN
WAIT_S = 20.0


def run_until(kiosk: Kiosk, done: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s} s; state {kiosk.state.checkout}")
        kiosk.run_once(0.05)


@pytest.fixture
def peer() -> Iterator[PrinterPeer]:
    with PrinterPeer() as running:
        yield running


@pytest.fixture
def ingest(broker: Broker, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    db = tmp_path / "headoffice.sqlite3"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "headoffice",
            "ingest",
            "--broker",
            f"{broker.host}:{broker.port}",
            "--db",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield proc, db
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


@pytest.fixture
def kiosk(broker: Broker, peer: PrinterPeer, tmp_path: Path) -> Iterator[Kiosk]:
    settings = {
        "kiosk": {
            "id": "lane-1",
            "data_dir": str(tmp_path / "kiosk"),
            "currency": "PLN",
            "locale": "pl_PL",
        },
        "devices": {"scanner": "sim", "gpio": "sim", "printer": "escpos-network"},
        "printer": {"host": peer.host, "port": peer.port, "timeout_s": 3.0},
        "broker": {"host": broker.host, "port": broker.port},
    }
    cfg = config_mod.merge(config_mod.Config(), settings, "test")
    with build(cfg, SystemClock(), sim=False, catalog=_demo()) as built:
        built.start()
        yield built


def _demo():  # type: ignore[no-untyped-def]
    from appliance.bootstrap import DEMO_CATALOG
    from appliance.catalog_file import load_json

    return load_json(DEMO_CATALOG)


def test_one_whole_sale_end_to_end(
    kiosk: Kiosk,
    peer: PrinterPeer,
    ingest: tuple[subprocess.Popen[bytes], Path],
    tmp_path: Path,
) -> None:
    proc, ho_db = ingest
    scanner = kiosk.devices.scanner
    terminal = kiosk.devices.terminal
    bench = kiosk.devices.gpio_bench
    assert isinstance(scanner, SimScanner) and isinstance(terminal, SimCardTerminal)
    assert bench is not None
    store_file = tmp_path / "kiosk" / "kiosk.sqlite3"

    # GIVEN an idle kiosk THEN the tower is steady green, on the pins too
    run_until(kiosk, lambda: kiosk.state.devices.printer_online, "printer status")
    assert kiosk.tower.lamp == Lamp(Colour.GREEN)
    assert bench.lamp_pins() == {"red": False, "amber": False, "green": True}

    # WHEN the customer presses help THEN amber until staff mark help as given
    bench.press_help()
    run_until(kiosk, lambda: kiosk.tower.lamp == Lamp(Colour.AMBER), "amber on help")
    assert bench.lamp_pins() == {"red": False, "amber": True, "green": False}
    bench.turn_key(KeyPosition.STAFF)
    scanner.scan("STAFF-0042")  # the staff badge: every staff action is audited with it
    run_until(kiosk, lambda: kiosk.state.staff_id == "0042", "staff signed in")
    kiosk.loop.emit(Touched(at=kiosk.clock.monotonic(), button=buttons.STAFF_HELP_GIVEN))
    bench.turn_key(KeyPosition.NORMAL)
    run_until(kiosk, lambda: kiosk.tower.lamp == Lamp(Colour.GREEN), "green after help")

    # WHEN two items are scanned THEN the basket shows them and the total
    scanner.scan(MILK)
    scanner.scan(CRISPS)
    run_until(kiosk, lambda: kiosk.state.basket.item_count == 2, "two items in the basket")
    assert kiosk.state.basket.totals(kiosk.state.rules.promotions).total_minor == 349 + 699

    # WHEN the customer pays by card THEN the terminal is asked for the total
    kiosk.loop.emit(Touched(at=kiosk.clock.monotonic(), button=buttons.PAY))
    run_until(kiosk, lambda: kiosk.state.sales_committed == 1, "sale committed")
    assert terminal.requests == [(1048, "PLN")]

    # THEN the receipt reaches the printer peer over TCP, after the sale is durable
    assert peer.wait_until(lambda: len(peer.receipts) == 1, timeout_s=WAIT_S)
    receipt = peer.receipts[0]
    assert "Whole milk 1 l" in receipt and "Salted crisps 150 g" in receipt
    assert "10,48" in receipt
    with sqlite3.connect(store_file) as other:  # another connection sees the committed sale
        (sale_id, seq, total) = other.execute(
            "SELECT sale_id, seq, total_minor FROM sales"
        ).fetchone()
        assert total == 1048
        assert other.execute("SELECT count(*) FROM sale_lines").fetchone()[0] == 2
        moves = other.execute(
            "SELECT gtin, delta FROM stock_movements WHERE reason = 'sale' ORDER BY gtin"
        ).fetchall()
        assert moves == [("0" + MILK, -1), ("0" + CRISPS, -1)]
    assert f"{seq}" in receipt
    run_until(kiosk, lambda: kiosk.state.checkout.value == "thank-you", "thank-you screen")

    assert ("help-given", "0042") in [(a[1], a[3]) for a in kiosk.store.audit_log()]

    # THEN head office stores the sale and acknowledges it, and the outbox empties
    run_until(kiosk, lambda: kiosk.store.outbox_depth() == 0, "outbox delivered")
    assert kiosk.store.stock_level("0" + MILK) == 39

    # WHEN head office stops THEN it exits cleanly, and its ledger holds the sale once
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=WAIT_S) == 0
    shown = subprocess.run(
        [sys.executable, "-m", "headoffice", "sales", "--db", str(ho_db), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    sales = json.loads(shown.stdout)
    assert [s["sale_id"] for s in sales] == [sale_id]
    assert sales[0]["total_minor"] == 1048
