"""Until NTP has set the clock, the kiosk stamps its records unsynced: SystemClock reads the
kernel's flag (adjtimex, as timedatectl does), falling back to timesyncd's flag file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance import config as config_mod
from appliance.bootstrap import Kiosk, build
from appliance.core import buttons
from appliance.core.events import Touched
from appliance.shell.clock import SimClock, SystemClock, kernel_clock_synced

MILK = "5900012345074"  # demo catalog: Whole milk 1 l


def _settle(kiosk: Kiosk, clock: SimClock) -> None:
    kiosk.run_once(0)
    kiosk.loop.process_pending()


@pytest.mark.parametrize("kernel", [True, False])
def test_the_kernels_word_decides(kernel: bool, tmp_path: Path) -> None:
    """GIVEN the kernel says synced (or not) WHEN asked THEN that, whatever the flag file."""
    flag = tmp_path / "synchronized"
    flag.touch()
    assert SystemClock(lambda: kernel, flag).synced() is kernel
    flag.unlink()
    assert SystemClock(lambda: kernel, flag).synced() is kernel


def test_without_the_kernel_the_timesyncd_flag_file_decides(tmp_path: Path) -> None:
    flag = tmp_path / "synchronized"
    clock = SystemClock(lambda: None, flag)
    assert clock.synced() is False
    flag.touch()  # timesyncd touches it on each synchronisation
    assert clock.synced() is True


def test_this_machines_kernel_answers() -> None:
    assert kernel_clock_synced() in (True, False)
    assert SystemClock().synced() in (True, False)


def test_a_sim_clock_is_unsynced_unless_told() -> None:
    clock = SimClock()
    assert clock.synced() is False
    clock.is_synced = True
    assert clock.synced() is True


@pytest.mark.parametrize("synced", [True, False])
def test_a_sale_carries_the_clocks_sync_state(synced: bool, tmp_path: Path) -> None:
    """GIVEN the kiosk built with a clock that is (or is not) synchronised WHEN a sale is
    paid THEN the sale's envelope for head office says clock_synced accordingly."""
    conf = tmp_path / "kiosk.toml"
    data = tmp_path / "data"
    conf.write_text(f'[kiosk]\ncurrency = "PLN"\ndata_dir = "{data}"\n')
    config = config_mod.merge(config_mod.load([conf], env={}), {"broker": {"enabled": False}}, "t")
    clock = SimClock(synced=synced)
    with build(config, clock, sim=True) as kiosk:
        assert kiosk.sim is not None
        kiosk.start()
        kiosk.sim.scanner.scan(MILK)
        _settle(kiosk, clock)
        kiosk.loop.emit(Touched(at=clock.monotonic(), button=buttons.PAY))
        _settle(kiosk, clock)
        assert kiosk.store.sales_count() == 1
        sales = [r for r in kiosk.store.outbox_pending(100) if r.stream == "sales"]
        assert [json.loads(r.payload)["clock_synced"] for r in sales] == [synced]
