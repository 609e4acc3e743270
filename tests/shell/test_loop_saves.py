"""The main loop keeps the unpaid sale and the lane's closure in the store as they change.
A store that refuses every write (a full disk) must not make it try again and again: each
failure is a StoreFailed event, whose step would otherwise ask for the same save."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance import config as config_mod
from appliance.bootstrap import Kiosk, build
from appliance.core.state import Checkout
from appliance.shell.clock import SimClock
from appliance.shell.store import StoreError
from tests.support.kiosk_process import CODES, catalog

TRIES_ALLOWED = 20  # far above what one change needs; a loop would pass it at once


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    settings = {
        "kiosk": {"id": "k-saves", "data_dir": str(tmp_path), "currency": "EUR"},
        "broker": {"enabled": False},
    }
    config = config_mod.merge(config_mod.Config(), settings, "loop saves test")
    with build(config, SimClock(), sim=True, catalog=catalog()) as built:
        built.start()
        yield built


def test_a_store_refusing_every_write_stops_the_lane_once_not_for_ever(
    kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a store whose every save of the open sale fails WHEN a customer scans THEN
    process_pending returns with the item in the basket, and the save was tried a handful
    of times, not until the test's guard (before, it looped for ever)."""
    assert kiosk.sim is not None
    tries: list[Any] = []

    def refuse(body: Any, at: str) -> None:
        tries.append(body)
        if len(tries) > TRIES_ALLOWED:
            raise AssertionError("the loop keeps retrying a save that keeps failing")
        raise StoreError("the open sale could not be saved: database or disk is full")

    monkeypatch.setattr(kiosk.store, "save_open_sale", refuse)
    kiosk.sim.scanner.scan(CODES[1])
    kiosk.loop.process_pending()

    assert 1 <= len(tries) <= 3
    # an unsaved basket is not worth closing the lane for: the customer goes on
    assert kiosk.state.checkout is Checkout.SCANNING and len(kiosk.state.basket.lines) == 1
