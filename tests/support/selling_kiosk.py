"""A simulated kiosk that reports to a broker and sells when told: a child to SIGKILL.

    python -m tests.support.selling_kiosk --config FILE --data-dir DIR --broker HOST:PORT

It builds the kiosk as `kiosk run --sim --config FILE --data-dir DIR --broker HOST:PORT`
does (the demo settings, then FILE; every device a twin; the demo catalog on a new store;
the real reporter), without the window, since nobody could touch it. It prints "ready"
once started, then runs its main loop (reporter pump, acks, presence) and reads stdin:

    sell N    sells N sales (1-3 scans, card, done), the loop running between them, then
              prints "sold N"
    quit      closes the kiosk as a clean stop does, and exits 0

Every sale is committed by the kiosk's own runner (sale, stock and outbox row in one
transaction); the parent reads the store to see what was committed and what is left.
"""

from __future__ import annotations

import argparse
import logging
import queue
import random
import sys
import threading
from pathlib import Path

from appliance import config as config_mod
from appliance.bootstrap import Kiosk, build
from appliance.cli import DEMO_CONFIG
from appliance.core import buttons
from appliance.core.events import Touched
from appliance.core.state import Checkout
from appliance.shell.clock import SystemClock

# demo catalog (appliance/demo/catalog.json): groceries with no age check, 40 of each, so
# a long run takes some low: their stock alerts are a second stream to keep in order
CODES = tuple(f"59000123{n}" for n in (45074, 45142, 45210, 45289, 45357, 45425, 45494, 45562))


def settings(args: argparse.Namespace) -> config_mod.Config:
    cfg = config_mod.load([DEMO_CONFIG, args.config])
    host, _, port = args.broker.rpartition(":")
    return config_mod.merge(
        cfg,
        {
            "kiosk": {"data_dir": str(args.data_dir)},
            "broker": {"enabled": True, "host": host, "port": int(port)},
        },
        "selling_kiosk",
    )


def sell(kiosk: Kiosk, rng: random.Random) -> None:
    assert kiosk.sim is not None
    for _ in range(rng.randint(1, 3)):
        kiosk.sim.scanner.scan(rng.choice(CODES))
        kiosk.loop.process_pending()
    for button in (buttons.PAY, buttons.DONE):
        if button == buttons.DONE and kiosk.state.checkout is not Checkout.THANK_YOU:
            raise SystemExit(f"selling_kiosk: not paid, {kiosk.state.checkout.value}")
        kiosk.loop.emit(Touched(at=kiosk.clock.monotonic(), button=button, arg=""))
        kiosk.loop.process_pending()
    if kiosk.state.checkout is not Checkout.WELCOME:
        raise SystemExit(f"selling_kiosk: expected welcome, got {kiosk.state.checkout.value}")


def read_commands(into: queue.SimpleQueue[str]) -> None:
    for line in sys.stdin:
        into.put(line.strip())
    into.put("quit")  # the parent went away


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--broker", required=True, metavar="HOST:PORT")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    # the reporter's INFO lines (connects, session present) are what the parent reads;
    # force: python-escpos calls logging.basicConfig() when imported (as in appliance/cli.py)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    rng = random.Random(args.seed)
    commands: queue.SimpleQueue[str] = queue.SimpleQueue()
    threading.Thread(target=read_commands, args=(commands,), daemon=True).start()
    kiosk = build(settings(args), SystemClock(), sim=True)
    with kiosk:
        kiosk.start()
        print("ready", flush=True)
        while True:
            kiosk.run_once(0.02)
            try:
                command = commands.get_nowait()
            except queue.Empty:
                continue
            word, *rest = command.split()
            if word == "quit":
                return 0
            if word == "sell":
                count = int(rest[0])
                for _ in range(count):
                    sell(kiosk, rng)
                    kiosk.run_once(0)
                print(f"sold {count}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
