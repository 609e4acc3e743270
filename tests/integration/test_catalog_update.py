"""A catalog update staged by `kiosk catalog import` while the kiosk sells goes live between
sales, never in the middle of one: the shopper's prices do not change under them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from appliance import config as config_mod
from appliance.bootstrap import Kiosk, build
from appliance.core import buttons
from appliance.core.events import Touched
from appliance.shell import catalog_import
from appliance.shell.clock import SimClock

MILK = "5900012345074"  # demo catalog: Whole milk 1 l, 3.49 PLN


def _unit_prices(kiosk: Kiosk) -> list[int]:
    return [line.unit_price_minor for line in kiosk.state.basket.lines]


def _settle(kiosk: Kiosk, clock: SimClock, seconds: float = 0.0) -> None:
    clock.advance(seconds)
    kiosk.run_once(0)
    kiosk.loop.process_pending()


def test_a_staged_price_change_waits_for_the_sale_to_end(tmp_path: Path) -> None:
    data = tmp_path / "kiosk"
    conf = tmp_path / "kiosk.toml"
    conf.write_text(f'[kiosk]\ncurrency = "PLN"\ndata_dir = "{data}"\n')
    cfg = config_mod.load([conf], env={})
    cfg = config_mod.merge(cfg, {"broker": {"enabled": False}}, "test")
    clock = SimClock()
    with build(cfg, clock, sim=True) as kiosk:
        assert kiosk.sim is not None
        kiosk.start()
        # GIVEN a shopper with milk at 3.49 in the basket
        kiosk.sim.scanner.scan(MILK)
        _settle(kiosk, clock)
        assert _unit_prices(kiosk) == [349]

        # WHEN head office's new price (4.99) is imported while they shop
        delta = tmp_path / "delta.csv"
        delta.write_text(f"code,name,price,vat\n{MILK},Whole milk 1 l,4.99,5\n")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "appliance",
                "catalog",
                "import",
                str(delta),
                "--delta",
                "--config",
                str(conf),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        _settle(kiosk, clock, 6.0)  # the kiosk looks for staged versions every few seconds

        # THEN nothing changes in the middle of the sale
        kiosk.sim.scanner.scan(MILK)
        _settle(kiosk, clock)
        assert _unit_prices(kiosk) == [349], "the second milk of the same sale costs the same"
        assert kiosk.store.product("0" + MILK).price_minor == 349  # type: ignore[union-attr]
        assert catalog_import.pending(kiosk.store) is not None

        # WHEN the sale ends THEN the new version goes live at once
        kiosk.loop.emit(Touched(at=clock.monotonic(), button=buttons.PAY))
        _settle(kiosk, clock)
        assert kiosk.store.sales_count() == 1
        _settle(kiosk, clock, 6.0)  # thank-you → welcome: between sales
        assert catalog_import.pending(kiosk.store) is None
        assert kiosk.store.product("0" + MILK).price_minor == 499  # type: ignore[union-attr]
        assert kiosk.state.catalog_version == catalog_import.catalog_version(kiosk.store) > 0

        # AND the next shopper pays the new price
        kiosk.sim.scanner.scan(MILK)
        _settle(kiosk, clock)
        assert _unit_prices(kiosk) == [499]
