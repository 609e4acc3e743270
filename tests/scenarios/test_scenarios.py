"""Every tests/scenarios/*.scenario runs headless against all twins and passes; broken
scenarios fail loudly, naming their line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.scenario import ScenarioError, parse, run_file

HERE = Path(__file__).parent
SCENARIOS = sorted(HERE.glob("*.scenario"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_passes(path: Path) -> None:
    run_file(path)


def test_there_are_scenarios() -> None:
    assert len(SCENARIOS) >= 10


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "probe.scenario"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            'product 5901234123457 "Milk" 3.49\nscan 5901234123457\nexpect total=9.99\n',
            3,
            "expected total=999, got 349",
        ),
        ("expect screen=scanning\n", 1, "expected screen=scanning, got welcome"),
        ("expect screen=nowhere\n", 1, "unknown screen"),
        ("touch pay\n", 1, "not on screen 'welcome'"),
        ("dance\n", 1, "unknown verb"),
        ('product 5901234123458 "Milk" 3.49\n', 1, "check digit"),
        ('product 5901234123457 "Milk" abc\n', 1, "not an amount"),
        ('expect receipt contains "x"\n', 1, "no receipt was printed"),
        ("wait -1\n", 1, "0 to 86400"),
        ("expect tower=purple\n", 1, "usage: expect tower"),
    ],
)
def test_broken_scenarios_name_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        run_file(_write(tmp_path, text))
    assert caught.value.line_no == line
    assert message in caught.value.message


def test_cli_exit_code_and_json(tmp_path: Path) -> None:
    """GIVEN the kiosk command WHEN a scenario passes or fails THEN exit 0 / non-zero."""
    good = HERE / "sale_happy_path.scenario"
    done = subprocess.run(
        [sys.executable, "-m", "appliance", "scenario", str(good), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report["sales"]) == 1
    assert report["sales"][0]["total_minor"] == 1197
    assert "Whole milk 1 l" in report["receipts"][0]
    assert report["final"]["screen"] == "welcome"
    bad = _write(tmp_path, "expect screen=scanning\n")
    done = subprocess.run(
        [sys.executable, "-m", "appliance", "scenario", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "probe.scenario:1:" in done.stderr


def test_parse_keeps_line_numbers() -> None:
    scenario = parse("# c\n\nscan 1\n  expect sales=0\n")
    assert [(s.line_no, s.verb) for s in scenario.steps] == [(3, "scan"), (4, "expect")]
