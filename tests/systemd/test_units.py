"""systemd units: `systemd-analyze verify` accepts them and the kiosk's exposure stays low."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = sorted((Path(__file__).resolve().parents[2] / "systemd").glob("*.service"))
ANALYZE = shutil.which("systemd-analyze")


def _installable_copy(unit: Path, tmp_path: Path) -> Path:
    """verify checks that ExecStart exists: point it at a stand-in executable in tmp."""
    stand_in = tmp_path / "kiosk"
    stand_in.write_text("#!/bin/sh\nexit 0\n")
    stand_in.chmod(0o755)
    text = unit.read_text().replace("/opt/kiosk/venv/bin/kiosk", str(stand_in))
    copy = tmp_path / unit.name
    copy.write_text(text)
    return copy


def _analyze(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert ANALYZE, "systemd-analyze is missing: `make test` installs the systemd package"
    return subprocess.run(
        [ANALYZE, *args], capture_output=True, text=True, cwd=cwd, check=False, timeout=60
    )


def test_there_is_a_kiosk_unit() -> None:
    assert any(u.name == "kiosk.service" for u in UNITS)


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_unit_verifies_cleanly(unit: Path, tmp_path: Path) -> None:
    copy = _installable_copy(unit, tmp_path)
    done = _analyze("verify", copy.name, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr


def test_kiosk_unit_exposure_is_at_most_2_5(tmp_path: Path) -> None:
    copy = _installable_copy(next(u for u in UNITS if u.name == "kiosk.service"), tmp_path)
    done = _analyze("security", "--offline=true", copy.name, cwd=tmp_path)
    match = re.search(r"Overall exposure level for kiosk.service: (\d+\.\d)", done.stdout)
    assert match, done.stdout + done.stderr
    assert float(match.group(1)) <= 2.5


def test_kiosk_unit_watchdog_and_user() -> None:
    text = (Path(__file__).resolve().parents[2] / "systemd" / "kiosk.service").read_text()
    assert "Type=notify" in text and re.search(r"^WatchdogSec=\d+s$", text, re.M)
    groups = re.search(r"^SupplementaryGroups=(.*)$", text, re.M)
    assert groups and set(groups.group(1).split()) == {
        "input",
        "gpio",
        "dialout",
        "lp",
        "video",
        "render",
    }
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            assert " #" not in line, f"trailing comment is read as part of the value: {line}"
