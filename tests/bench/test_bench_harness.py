"""The bench harness: a tiny store-decision run, the table, and the --only section rewrite."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench import run as bench_run
from bench import store_decision
from bench.common import Result, compare, render_table


def test_tiny_store_decision_gives_positive_figures_with_honest_ratios(tmp_path: Path) -> None:
    """GIVEN a 3-repeat, 100-record store decision WHEN it runs THEN every row is a positive
    figure whose ratio is its figure over the reference measured in the same run: the
    commits' rows against the appends interleaved with them, the others against all."""
    results = store_decision.run(repeats=3, sizes=(100,), workdir=tmp_path)

    whats = [r.what for r in results]
    # each size is timed after WARM_UP more fsync'd sales, and its label counts them too
    commits = [w for w in whats if "Sale commit" in w]
    assert len(commits) == 2  # the empty store, then 100 sales
    stored = int(commits[-1].rsplit(", ", 1)[1].split()[0].replace(",", ""))
    assert stored >= 100 + store_decision.WARM_UP  # counted when the timed sales began
    assert any("TinyDB" in w and "100 records stored" in w for w in whats)
    floor = results[0]
    assert floor.figure == floor.reference_figure and "append+fsync" in floor.what
    for r in results:
        if "TinyDB" in r.what:
            assert r.reference_figure == floor.figure  # the median of every append
    for r in results:
        assert r.figure > 0 and r.reference_figure > 0
        assert math.isfinite(r.figure) and math.isfinite(r.reference_figure)
        assert r.ratio == r.figure / r.reference_figure
    assert list(tmp_path.iterdir()) == []  # the scratch directory is gone


def test_table_has_one_row_per_result_with_reference_and_ratio() -> None:
    """GIVEN two results WHEN rendered THEN a markdown table shows figure, reference, ratio."""
    results = [
        compare("Sale commit", 2.5, "ms", "append+fsync", 0.5, "median of 3"),
        compare("TinyDB | insert", 1234.0, "ms", "append+fsync", 0.5),
    ]
    table = render_table(results).splitlines()

    assert table[0] == "| What | Figure | Reference (same run) | Ratio | Note |"
    assert len(table) == 4
    assert table[2] == "| Sale commit | 2.50 ms | append+fsync: 0.500 ms | 5.00× | median of 3 |"
    assert table[3].startswith("| TinyDB \\| insert | 1,234 ms |")  # a pipe cannot split a cell
    assert "2,468×" in table[3]


def test_only_rewrites_its_own_section_and_keeps_the_others() -> None:
    """GIVEN a document with two sections WHEN one is re-measured THEN the other is unchanged."""
    document = bench_run.render_document(
        "2026-11-22", {"alpha": "## alpha\n\nold alpha\n", "store_decision": "## old\n"}
    )
    sections = bench_run.read_sections(document)
    assert list(sections) == ["alpha", "store_decision"]

    sections["store_decision"] = "## store_decision\n\nnew figures\n"
    rewritten = bench_run.read_sections(bench_run.render_document("2026-11-23", sections))

    assert rewritten["alpha"] == sections["alpha"]
    assert rewritten["store_decision"].strip() == "## store_decision\n\nnew figures"


def test_discover_finds_the_store_decision_and_skips_the_harness() -> None:
    names = [b.name for b in bench_run.discover()]
    assert "store_decision" in names
    assert "common" not in names and "run" not in names


def test_result_ratio_is_figure_over_reference() -> None:
    assert compare("x", 3.0, "ms", "ref", 1.5) == Result("x", 3.0, "ms", "ref", 1.5, 2.0)


def test_tiny_store_start_runs_the_real_kiosk_and_reports_honest_ratios(tmp_path: Path) -> None:
    """GIVEN a small store WHEN the start-up bench runs THEN each figure comes from a child
    process that sold once, with the ratio against the empty store of the same run."""
    from bench import store_start

    results = store_start.run(items=500, lines=400, workdir=tmp_path)
    assert [r.unit for r in results] == ["ms", "ms", "ms", "MB", "MB"]
    for r in results:
        assert r.figure > 0 and r.reference_figure > 0
        assert r.ratio == pytest.approx(r.figure / r.reference_figure)


def test_tiny_scan_to_frame_sells_every_scan_and_draws_its_frame(tmp_path: Path) -> None:
    """GIVEN two small catalogs WHEN the scan-to-frame bench runs one basket on each THEN
    every scan was sold (the bench asserts it) and each p99 is compared with the smaller
    catalog's, measured in the same run."""
    from bench import scan_to_frame

    results = scan_to_frame.run(sizes=(50, 200), baskets=1, workdir=tmp_path)
    assert [r.what for r in results] == [
        "Scan to frame p99, 50-item catalog",
        "Scan to frame p99, 200-item catalog",
    ]
    assert results[0].ratio == 1.0
    for r in results:
        assert r.figure > 0 and r.ratio == pytest.approx(r.figure / r.reference_figure)
    assert list(tmp_path.iterdir()) == []


def test_tiny_first_frame_waits_for_ready_from_the_real_process(tmp_path: Path) -> None:
    """GIVEN a 300-item store WHEN the start bench runs THEN the figure is the time to the
    READY=1 the kiosk sends after its first frame (it would time out otherwise)."""
    from bench import ui_first_frame

    [result] = ui_first_frame.run(items=300, starts=1, workdir=tmp_path)
    assert result.figure > 0 and result.reference_figure > 0
    assert "300-item catalog" in result.what
    assert list(tmp_path.iterdir()) == []
