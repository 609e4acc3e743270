"""Power cuts: a real kiosk process is SIGKILLed at random moments across many sales.

GIVEN a simulated kiosk process selling as fast as it can (scans, card payments,
receipts, now and then head office's acknowledgements and staff refunds), WHEN it is
killed at a random moment (mid-commit, mid-print, mid-acknowledgement, mid-start) and
started again on the same store, THEN after every cut, opening the store afresh shows:
(a) every sale whose receipt printed is in the journal exactly once; (b) sale numbers
are unique and strictly increasing, and no earlier committed sale was lost or changed;
(c) each product's stock is the opening stock minus what the journal sold plus what it
refunded, and equals the sum of the stock ledger; (d) the outbox holds exactly the
committed sales and refunds head office has not acknowledged; (e) integrity_check is ok.

The witness of "printed" is printed.log, which the child fsyncs after each receipt
(tests/support/sell_forever.py). SIGKILL loses what the process had not yet handed to
the kernel; it does not lose the kernel's unwritten page cache as a real power cut
does: SQLite's synchronous=FULL is what covers that part (docs/store.md says more).

POWER_CUT_SEED=<n> repeats a run's choices (the kill timing itself is never exact).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.support.kiosk_process import Audit, KioskProcess, check_store, provision, timed


def cut_again_and_again(data_dir: Path, kills: int, seed: int) -> str:
    provision(data_dir)
    rng = random.Random(seed)
    audit: Audit | None = None
    found: Counter[str] = Counter()
    committed_unprinted = 0
    started = time.monotonic()
    for n in range(kills):
        child = KioskProcess(data_dir, seed=rng.randrange(2**31))
        try:
            if rng.random() < 0.15:
                # while it starts: store open, WAL recovery, settling the interrupted sale
                time.sleep(rng.uniform(0.0, 1.0))
                found["cut while starting"] += 1
            else:
                found[child.wait_ready()] += 1
                time.sleep(rng.uniform(0.0, 0.25))
            child.cut_power()
            audit = check_store(data_dir, audit)
        except AssertionError as exc:
            raise AssertionError(
                f"after cut {n + 1} of {kills} (POWER_CUT_SEED={seed}): {exc}\n"
                f"child log:\n{child.log_tail()}"
            ) from None
        committed_unprinted = max(committed_unprinted, audit.unprinted)
    # the kiosk still starts and sells after the last cut
    child = KioskProcess(data_dir, seed=rng.randrange(2**31))
    found[child.wait_ready()] += 1
    time.sleep(0.1)
    child.cut_power()
    final = check_store(data_dir, audit)
    assert final.printed > kills, "the child hardly sold: the cuts proved little"
    return timed(
        f"{kills} power cuts",
        started,
        sales=len(final.sales),
        receipts=final.printed,
        refunds=final.refunds,
        committed_not_printed=final.unprinted,
        restarts_found=dict(found),
    )


def _seed() -> int:
    return int(os.environ.get("POWER_CUT_SEED", random.randrange(2**31)))


def test_twenty_power_cuts_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    print(cut_again_and_again(tmp_path / "kiosk", kills=20, seed=_seed()))


@pytest.mark.slow
def test_two_hundred_power_cuts_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    print(cut_again_and_again(tmp_path / "kiosk", kills=200, seed=_seed()))
