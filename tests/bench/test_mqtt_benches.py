"""Tiny runs of the MQTT benchmarks (issue 7), so they never rot: real mosquitto, real ingest."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench import backlog_drain, fleet_ingest
from bench import run as bench_run


def test_tiny_backlog_drains_every_event_and_compares_with_bare_paho(tmp_path: Path) -> None:
    """GIVEN a kiosk store with 200 unacked sales WHEN the real kiosk drains it to a real
    `headoffice ingest` THEN the figure is a positive rate whose ratio is over the bare paho
    rate measured in the same run (the bench itself checks that head office stored all 200),
    and the scratch directory is gone."""
    [result] = backlog_drain.run(events=200, workdir=tmp_path, rounds=2)

    assert "200 sales" in result.what
    assert result.unit == "events/s"
    assert result.figure > 0 and result.reference_figure > 0
    assert math.isfinite(result.figure) and math.isfinite(result.reference_figure)
    assert result.ratio == result.figure / result.reference_figure
    assert "the median of 2 rounds" in result.note
    assert list(tmp_path.iterdir()) == []


def test_tiny_fleet_reports_lag_over_time_and_a_sustained_rate(tmp_path: Path) -> None:
    """GIVEN 5 simulated kiosks selling for a few seconds WHEN the fleet bench runs THEN it
    reports the last third's lag against the first third's, and a sustained rate against
    bare paho, each ratio its figure over its reference; the scratch directory is gone."""
    results = fleet_ingest.run(
        kiosks=5,
        rate=10.0,
        duration_s=3.0,
        step_rates=(20.0,),
        step_s=3.0,
        procs=2,
        reference_events=500,
        workdir=tmp_path,
    )

    lag, sustained = results
    assert lag.unit == "ms" and "5 kiosks" in lag.what
    assert "30 of 30 acked" in lag.note  # 10 sales/s (5 kiosks, one each 0.5 s) × 3 s
    assert sustained.unit == "events/s"
    for r in results:
        assert r.figure > 0 and r.reference_figure > 0
        assert r.ratio == r.figure / r.reference_figure
    assert sustained.figure == pytest.approx(20.0, rel=0.2)  # the 20/s step held
    assert list(tmp_path.iterdir()) == []


def test_phase_holds_only_when_all_acked_flat_and_under_the_bound() -> None:
    """GIVEN lag per third WHEN judged THEN flat and all acked holds; a lag that doubles, a
    sale never acked, or a lag over MAX_LAG_S does not."""
    flat = fleet_ingest.Phase(100.0, 10.0, 1000, 1000, (0.01, 0.02), (0.01, 0.03))
    assert flat.holds and not flat.grows and flat.acked_rate == 100.0
    growing = fleet_ingest.Phase(100.0, 10.0, 1000, 1000, (0.01, 0.02), (0.2, 0.5))
    assert growing.grows and not growing.holds
    lost = fleet_ingest.Phase(100.0, 10.0, 1000, 999, (0.01, 0.02), (0.01, 0.02))
    assert lost.grows and lost.not_acked == 1
    slow = fleet_ingest.Phase(100.0, 10.0, 1000, 1000, (1.5, 2.0), (1.5, 2.0))
    assert not slow.grows and not slow.holds


def test_discover_finds_the_mqtt_benches() -> None:
    names = [b.name for b in bench_run.discover()]
    assert "backlog_drain" in names and "fleet_ingest" in names
