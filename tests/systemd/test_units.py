"""systemd units: `systemd-analyze verify` accepts every one, their exposure stays low,
and a kiosk that keeps failing ends in the out-of-service sign, not in a blank screen."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.systemd.unitfiles import SYSTEMD_DIR, parse, seconds, value

UNITS = sorted(SYSTEMD_DIR.glob("*.service"))
ANALYZE = shutil.which("systemd-analyze")
KIOSK_BIN = "/opt/kiosk/venv/bin/kiosk"
SUPPLEMENTARY = {"input", "gpio", "dialout", "lp", "video", "render"}


def _installable_copies(tmp_path: Path) -> Path:
    """Every unit in one tmp directory (so references between them resolve), with
    ExecStart pointed at a stand-in executable: verify checks that it exists."""
    stand_in = tmp_path / "kiosk"
    stand_in.write_text("#!/bin/sh\nexit 0\n")
    stand_in.chmod(0o755)
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace(KIOSK_BIN, str(stand_in)))
    return tmp_path


def _analyze(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert ANALYZE, "systemd-analyze is missing: `make test` installs the systemd package"
    return subprocess.run(
        [ANALYZE, *args], capture_output=True, text=True, cwd=cwd, check=False, timeout=60
    )


def _exposure(unit: str, tmp_path: Path) -> float:
    done = _analyze("security", "--offline=true", unit, cwd=_installable_copies(tmp_path))
    match = re.search(rf"Overall exposure level for {re.escape(unit)}: (\d+\.\d)", done.stdout)
    assert match, done.stdout + done.stderr
    return float(match.group(1))


def test_there_are_the_kiosk_and_out_of_service_units() -> None:
    assert {u.name for u in UNITS} >= {"kiosk.service", "kiosk-out-of-service.service"}


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_unit_verifies_cleanly(unit: Path, tmp_path: Path) -> None:
    """GIVEN the unit beside its siblings WHEN systemd-analyze verifies it THEN not a word."""
    done = _analyze("verify", unit.name, cwd=_installable_copies(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_unit_parses_strictly(unit: Path) -> None:
    """No trailing comments, no continuation lines, every key inside a section."""
    sections = parse(unit)
    assert {"Unit", "Service"} <= sections.keys()
    assert value(sections, "Service", "ExecStart").startswith(KIOSK_BIN + " ")


def test_kiosk_unit_exposure_is_at_most_2_5(tmp_path: Path) -> None:
    assert _exposure("kiosk.service", tmp_path) <= 2.5


def test_out_of_service_unit_exposure_is_at_most_1_0(tmp_path: Path) -> None:
    """It needs no network, no writes and no input devices: tighter than the kiosk."""
    assert _exposure("kiosk-out-of-service.service", tmp_path) <= 1.0


def test_kiosk_unit_watchdog_and_user() -> None:
    unit = parse(SYSTEMD_DIR / "kiosk.service")
    assert value(unit, "Service", "Type") == "notify"
    assert 5 <= seconds(value(unit, "Service", "WatchdogSec")) <= 15
    assert value(unit, "Service", "User") == "kiosk"
    assert set(value(unit, "Service", "SupplementaryGroups").split()) == SUPPLEMENTARY


def test_a_kiosk_that_keeps_failing_ends_in_the_out_of_service_sign() -> None:
    """GIVEN Restart=always WHEN the kiosk fails StartLimitBurst times within the interval
    THEN systemd stops restarting, the unit is "failed" and OnFailure= starts the sign.
    The limit must be reachable, also by a slow crash loop: a kiosk that starts and dies a
    minute later, again and again, is as broken as one that dies at once."""
    unit = parse(SYSTEMD_DIR / "kiosk.service")
    assert value(unit, "Service", "Restart") == "always"
    burst = int(value(unit, "Unit", "StartLimitBurst"))
    interval_s = seconds(value(unit, "Unit", "StartLimitIntervalSec"))
    restart_s = seconds(value(unit, "Service", "RestartSec"))
    assert 3 <= burst <= 10
    assert burst * restart_s < interval_s, "restarts are too slow ever to hit the limit"
    slow_crash_s = 60  # starting (READY within ~10 s on a Pi), then a minute of selling
    assert burst * (restart_s + slow_crash_s) < interval_s, "a slow crash loop never ends"
    # no StartLimitAction=reboot: rebooting would hide the fault; the sign shows it
    assert unit["Unit"].get("StartLimitAction", ["none"])[-1] == "none"
    failure_units = value(unit, "Unit", "OnFailure").split()
    assert failure_units == ["kiosk-out-of-service.service"]
    assert (SYSTEMD_DIR / failure_units[0]).is_file()


def test_the_sign_gives_way_to_the_kiosk_and_runs_the_sign_command() -> None:
    """Starting the kiosk again stops the sign (Conflicts=), which holds the screen and the
    tower's pins; the sign is never rate-limited away itself."""
    unit = parse(SYSTEMD_DIR / "kiosk-out-of-service.service")
    assert "kiosk.service" in value(unit, "Unit", "Conflicts").split()
    assert seconds(value(unit, "Unit", "StartLimitIntervalSec")) == 0
    assert value(unit, "Service", "ExecStart") == f"{KIOSK_BIN} out-of-service"
    assert value(unit, "Service", "User") == "kiosk"
    assert set(value(unit, "Service", "SupplementaryGroups").split()) == {
        "gpio",
        "video",
        "render",
    }
    assert value(unit, "Service", "PrivateNetwork") == "yes"
    assert "ReadWritePaths" not in unit["Service"]
    assert "WantedBy" not in unit.get("Install", {}), "only OnFailure= starts the sign"
